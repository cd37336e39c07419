"""Quantized nearest-neighbour index (coming next)."""
