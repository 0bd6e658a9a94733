"""The package's layout rules (issue 13), checked on the source: no module over 800
lines, no module importing another module's private names, and no import cycles between
datamech modules — also none that a function-level import would hide."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "datamech"
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _imports(module: str, path: Path):
    """(imported module, imported names) of every import in the file, at any depth."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield _resolve(module, path, node), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _target(name: str, imported: str) -> str | None:
    """The datamech module an import refers to (``from pkg import submodule`` included)."""
    if f"{name}.{imported}" in MODULES:
        return f"{name}.{imported}"
    return name if name in MODULES else None


def test_no_module_is_too_long():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these modules by concern: {long}"


def test_no_private_names_imported_across_modules():
    bad = []
    for module, path in MODULES.items():
        for name, names in _imports(module, path):
            if not name.startswith("datamech"):
                continue
            for imported in names:
                if imported.startswith("_") and not imported.startswith("__"):
                    if f"{name}.{imported}" not in MODULES:  # a private submodule is fine
                        bad.append(f"{module} imports {name}.{imported}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for name, names in _imports(module, path):
            if not name.startswith("datamech"):
                continue
            targets = {_target(name, n) for n in names} if names else {_target(name, "")}
            for t in targets - {None, module}:
                # a package's __init__ re-exporting its submodules is not a cycle
                if not t.startswith(module + "."):
                    graph[module].add(t)
    # drop edges into a package __init__ from its own submodules' parents chain
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycle = stack[stack.index(t) :] + [t]
                if not _through_own_package(cycle):
                    cycles.append(" -> ".join(cycle))
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "\n".join(cycles)


def _through_own_package(cycle: list[str]) -> bool:
    """A submodule importing a sibling through its package's ``__init__`` (which imports
    the submodule to re-export it) is how packages work, not a design cycle."""
    return any(
        b.startswith(a + ".") or a.startswith(b + ".")
        for a, b in zip(cycle, cycle[1:], strict=False)
    )


@pytest.mark.parametrize("module", ["datamech", "datamech.cli"])
def test_top_level_imports_stay_light(module):
    """``import datamech`` and the CLI parser must not import the solvers eagerly."""
    import subprocess
    import sys

    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('cvxpy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
