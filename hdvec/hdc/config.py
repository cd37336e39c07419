"""Models by name: rebuild a model from ``Model.config()`` (saved files record it)."""

from __future__ import annotations

from .binary import BSC
from .dense import MAP
from .fourier import FHRR, HRR
from .model import Model
from .modular import CGR, MCR
from .orthogonal import MBAT
from .sparse_block import BSBC
from .vtb import VTB

MODELS = {"MAP": MAP, "BSC": BSC, "HRR": HRR, "FHRR": FHRR, "MBAT": MBAT, "BSBC": BSBC, "VTB": VTB, "MCR": MCR,
          "CGR": CGR}


def model_from_config(config: dict) -> Model:
    """Rebuild a model from ``Model.config()`` (used by ``ItemMemory.load``).

    Parameters
    ----------
    config : dict
        As returned by ``model.config()``.

    Returns
    -------
    Model
        A model of the same class, dimension, seed and options.

    Raises
    ------
    ValueError
        If ``config["model"]`` is not one of MAP, BSC, HRR, FHRR, MBAT, BSBC, VTB, MCR, CGR.
    """
    cfg = dict(config)
    name = cfg.pop("model", None)
    if name not in MODELS:
        raise ValueError(f"`config['model']` must be one of {sorted(MODELS)}; got {name!r}")
    dim = cfg.pop("dim")
    return MODELS[name](dim, **cfg)
