import subprocess
import sys


def test_import_does_not_import_torch():
    code = "import sys, hdvec; from hdvec import hdc; m = hdc.BSC(100, seed=0); m.bundle(m.random(3)); " \
           "print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names():
    from hdvec import hdc

    for name in ("BSC", "MAP", "HRR", "FHRR", "MBAT", "ItemMemory", "pack_bits", "unpack_bits"):
        assert hasattr(hdc, name), name
    m = hdc.MBAT(64, seed=0)
    assert callable(m.role) and callable(m.compose)
