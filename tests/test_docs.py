"""The documentation site builds with ``mkdocs build --strict``, as CI runs it.

Strict mode turns every warning into a failure: a broken link or anchor, a
page missing from the nav, and any griffe warning about a docstring that
does not parse as numpydoc in the API reference.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# mkdocs, the Material theme, mkdocstrings and its Python handler
DOCS_MODULES = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    missing = [m for m in DOCS_MODULES if not _installed(m)]
    if missing:
        pytest.fail(f"the docs tools are missing ({', '.join(missing)}): "
                    'pip install -e ".[test]" (or ".[docs]")')
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # silences Material's end-of-life banner (not a warning)
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}"
    for page in ("index.html", "api/hdc/index.html", "api/encoders/index.html", "api/index.html"):
        assert (site / page).is_file(), f"{page} was not built"


def test_docstring_examples_run():
    """Every ``>>>`` example in the package's docstrings gives the output it shows."""
    import doctest
    import importlib
    import pkgutil

    import hdvec

    failed, tried = 0, 0
    for info in pkgutil.walk_packages(hdvec.__path__, "hdvec."):
        if info.name.rsplit(".", 1)[-1] == "_torch":  # imports torch at the top: tested with the torch suite
            continue
        result = doctest.testmod(importlib.import_module(info.name), optionflags=doctest.ELLIPSIS)
        failed, tried = failed + result.failed, tried + result.attempted
    assert tried >= 10 and failed == 0, (failed, tried)
