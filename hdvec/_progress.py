"""Progress bars for long operations (tqdm), shared by the encoders and the index."""

from __future__ import annotations

from typing import Any


def progress_bar(total: int, desc: str, unit: str, progress: bool | None, min_total: int) -> Any:
    """A tqdm bar over ``total`` items, or None when no bar should show.

    ``progress``: True shows one, False never; None (the default of the public
    calls) shows one for at least ``min_total`` items and only when stderr is
    a terminal (tqdm's ``disable=None``), so logs and CI output stay clean.
    """
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"`progress` must be True, False or None; got {type(progress).__name__}")
    if progress is False or (progress is None and total < min_total):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=None if progress is None else False)


def progress_step(bar: Any, on: bool = True) -> None:
    """One more item done on ``bar`` (None: no bar) when ``on``."""
    if bar is not None and on:
        bar.update(1)


def progress_close(bar: Any, total: int) -> None:
    """Fill ``bar`` to ``total`` and close it (None: no bar)."""
    if bar is not None:
        bar.update(total - bar.n)
        bar.close()
