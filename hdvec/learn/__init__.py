"""HDC classifiers as scikit-learn estimators (they need scikit-learn: ``pip install hdvec[learn]``).

* ``Centroid`` - class bundles, optional retraining epochs; dense or packed binary.
* ``Vanilla`` - record encoding + bundling (Rahimi et al. 2016).
* ``AdaptHD``, ``OnlineHD`` - mistake-driven prototype updates.

Every classifier takes raw features with an ``encoder`` (a default per
method) or hypervectors with ``encoder="precomputed"``; ``fit`` /
``partial_fit`` / ``predict`` / ``decision_function`` / ``score``;
``save(path)`` / ``Class.load(path)`` in hdvec's file format.
"""

from .centroid import AdaptHD, Centroid, OnlineHD, Vanilla

__all__ = ["AdaptHD", "Centroid", "OnlineHD", "Vanilla"]
