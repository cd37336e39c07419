"""Encoders that turn text, JSON and functions into hypervectors (coming next)."""
