"""HDC classifiers as scikit-learn estimators (they need scikit-learn: ``pip install hdvec[learn]``).

* ``Centroid`` - class bundles, optional retraining epochs; dense or packed binary.
* ``Vanilla`` - record encoding + bundling (Rahimi et al. 2016).
* ``AdaptHD``, ``OnlineHD`` - mistake-driven prototype updates.
* ``NeuralHD``, ``DistHD`` - retraining that regenerates encoder dimensions (Zou et al. 2021, Wang et al. 2023).
* ``SparseHD``, ``QuantHD``, ``CompHD`` - sparse, binary and folded prototypes.
* ``LeHDC`` - binary prototypes trained as a binary neural network (Duan et al. 2022).
* ``IntRVFL`` - density encoding with a ridge-regression readout (Kleyko et al. 2020).

Every classifier takes raw features with an ``encoder`` (a default per
method) or hypervectors with ``encoder="precomputed"``; ``fit`` /
``partial_fit`` / ``predict`` / ``decision_function`` / ``score``;
``save(path)`` / ``Class.load(path)`` in hdvec's file format.
"""

from .centroid import AdaptHD, Centroid, OnlineHD, Vanilla
from .compressed import CompHD, QuantHD, SparseHD
from .lehdc import LeHDC
from .neural import DistHD, NeuralHD
from .rvfl import IntRVFL

__all__ = ["AdaptHD", "Centroid", "CompHD", "DistHD", "IntRVFL", "LeHDC", "NeuralHD", "OnlineHD", "QuantHD",
           "SparseHD", "Vanilla"]
