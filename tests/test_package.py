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


def _modules():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1] / "hdvec"
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def test_no_module_assigns_a_top_level_name_twice():
    """Numba reads module globals at compile time: a constant defined twice silently changes a kernel."""
    import ast

    for name, path in _modules():
        seen: dict[str, int] = {}
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name):
                    assert t.id not in seen, f"{name} assigns {t.id} at lines {seen[t.id]} and {node.lineno}"
                    seen[t.id] = node.lineno


def test_no_import_cycles_inside_the_package():
    """No hdvec module imports (at the top or inside a function) a module that imports it back."""
    import ast

    modules = dict(_modules())
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:  # `from pkg import module` depends on the module, else on pkg
                    deps.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}

    def cycle_from(start):
        stack, path, on_path = [iter(sorted(graph[start]))], [start], {start}
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                on_path.discard(path.pop())
            elif child in on_path:
                return path[path.index(child):] + [child]
            else:
                stack.append(iter(sorted(graph[child])))
                path.append(child)
                on_path.add(child)
        return None

    for module in graph:
        cyc = cycle_from(module)
        assert cyc is None, f"import cycle: {' -> '.join(cyc)}"


def test_kernel_entry_points_are_private_or_check_their_inputs():
    """Nothing reachable as hdvec.x.y hands unchecked indices to a kernel (Numba does not bounds-check)."""
    import numpy as np
    import pytest

    from hdvec.hdc import search
    from hdvec.index import codes, fastscan, graph_build, partition

    for gone in ("scan", "scan_rabitq_index", "rerank_full", "rerank_level2"):
        assert not hasattr(codes, gone), gone
    for gone in ("nearest_lists", "coarse_tables"):
        assert not hasattr(partition, gone), gone
    assert not hasattr(fastscan, "scan")  # the fast-scan kernel is reached through Index.search only
    for gone in ("insert_rows", "consolidate_rows"):  # graph kernels: through GraphIndex only
        assert not hasattr(graph_build, gone), gone
    words = np.zeros((4, 3), np.uint64)
    with pytest.raises(ValueError, match="same width"):
        search.hamming_topk(words, words[:, :1].copy(), 2)
    x = np.zeros((4, 8), np.float32)
    with pytest.raises(ValueError, match="item_sqnorms"):
        search.dense_topk(x, x, 2, "l2", item_sqnorms=np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        search.dense_topk(x, x[:, ::2], 2, "l2")
    with pytest.raises(ValueError, match="like the centroids"):
        partition.Partition(np.zeros((2, 8), np.float32)).assign(np.zeros((3, 5), np.float32))


def test_the_first_kernel_compilation_is_announced_once(tmp_path):
    code = ("import logging, numpy as np; logging.basicConfig(level=logging.INFO, format='%(message)s'); "
            "from hdvec import hdc; m = hdc.BSC(128, seed=0); x = m.random(5); m.bundle(x); m.cleanup(x, x, 2)")
    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert cold.stderr.count("hdvec: compiling Numba kernels on first use") == 1, cold.stderr
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert "compiling" not in warm.stderr, warm.stderr  # loaded from the cache: nothing to say
