"""Execute the example notebooks in ``examples/notebooks`` and check they are committed without outputs.

Each notebook runs in a fresh ``python3`` kernel (ipykernel of this interpreter) with the notebook's folder as
working directory and ``MPLBACKEND=Agg``; a failing cell fails the test with the cell's source and traceback.
Notebooks that read ``../shared/data`` (or ``$HDVEC_DATA``) are skipped when that folder is missing; the
others use synthetic data and always run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

try:
    import ipykernel  # noqa: F401  (the kernel nbclient starts)
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    MISSING = None
except ImportError as exc:  # a clear failure, not a skip: the test extra installs them
    MISSING = exc

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "examples" / "notebooks"
DATA = Path(os.environ.get("HDVEC_DATA", ROOT.parent / "shared" / "data")).resolve()

# notebook -> paths under the data folder it reads (empty: synthetic data only)
REQUIRES = {
    "01_vsa_basics.ipynb": [],
    "02_text.ipynb": ["langid/train", "langid/test", "segmentation/choi"],
    "03_json_search.ipynb": ["json/movies.json", "json/world-countries.json"],
    "04_functions.ipynb": [],
    "05_index.ipynb": [],
    "06_classification.ipynb": ["langid/train", "langid/test", "emg/complete5.bin", "emg/labels5.bin"],
}

# run first, in memory only: the kernel must be this interpreter (the venv), not another python3 kernelspec
PROBE = "import sys; print(sys.executable)"


def _require_packages() -> None:
    if MISSING is not None:
        pytest.fail(f"notebook tests need nbclient, nbformat and ipykernel ({MISSING}); "
                    f'install them with: pip install -e ".[test]"', pytrace=False)


def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(REQUIRES)


@pytest.mark.parametrize("name", sorted(REQUIRES))
def test_notebook_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _require_packages()
    missing = [str(DATA / p) for p in REQUIRES[name] if not (DATA / p).exists()]
    if missing:
        pytest.skip(f"{name} needs the shared data, not found: {', '.join(missing)} (set HDVEC_DATA)")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # inherited by the kernel process
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")  # this environment's kernelspec before user-level ones
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{name}: a cell failed\n{exc}", pytrace=False)
    kernel_python = "".join(o.get("text", "") for o in nb.cells[0].outputs).strip()
    assert Path(kernel_python) == Path(sys.executable), (
        f"the python3 kernel ran {kernel_python}, not this interpreter {sys.executable}: "
        "a python3 kernelspec elsewhere takes precedence (jupyter kernelspec list)")


@pytest.mark.parametrize("name", sorted(REQUIRES))
def test_notebook_committed_without_outputs(name: str) -> None:
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{name}: cells {dirty} have outputs or execution counts; clear them before committing"
    assert "widgets" not in nb.get("metadata", {}), f"{name}: notebook metadata holds widget state"
