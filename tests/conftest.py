import os

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", deadline=None, max_examples=25, derandomize=True)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


HAS_CUDA = _cuda_available()
cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")

BACKENDS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("cpu", id="torch-cpu"),
    pytest.param("cuda", id="torch-cuda", marks=[pytest.mark.cuda, cuda]),
]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """None for NumPy, else a torch device string."""
    if request.param != "numpy":
        pytest.importorskip("torch")
    return None if request.param == "numpy" else request.param


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def as_numpy(x):
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.asarray(x)
