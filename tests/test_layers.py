"""The package's layers: engine ← scenario ← views ← tui and serve ← cli. No module imports upwards.

Every import in every module counts, the ones inside functions too: a lazy import upwards is
still a dependency. Third-party libraries are fenced the same way (the engine is NumPy only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import nnsim

ROOT = Path(nnsim.__file__).parent
VIEWS = ("nnsim.present", "nnsim.report", "nnsim.trace", "nnsim.export", "nnsim.views")
LAYERS = [  # (layer, module prefixes); a module belongs to the first layer whose prefix it has
    ("base", ("nnsim.text", "nnsim.wire")),
    ("engine", ("nnsim.engine",)),
    ("scenario", ("nnsim.scenario",)),
    ("views", VIEWS),
    ("tui", ("nnsim.tui",)),
    ("serve", ("nnsim.serve",)),
    ("cli", ("nnsim.cli", "nnsim.__main__")),
    ("package", ("nnsim",)),
]
MAY_IMPORT = {
    "base": set(),
    "engine": {"base", "engine"},
    "scenario": {"base", "engine", "scenario"},
    "views": {"base", "engine", "scenario", "views"},
    "tui": {"base", "engine", "scenario", "views", "tui"},
    "serve": {"base", "engine", "scenario", "views", "serve"},
    "cli": {"base", "engine", "scenario", "views", "tui", "serve", "cli", "package"},
    "package": {"base", "package"},
}
# Textual's output filter lives with serving (it exists for SSH rooms); the app asks for it. Each
# SSH session's child process takes its terminal and then is the `nnsim` command.
EXCEPTIONS = {("nnsim.tui.app", "nnsim.serve.screendiff"), ("nnsim.serve.child", "nnsim.cli")}
THIRD_PARTY_BANNED = {
    "engine": {"rich", "textual", "asyncssh", "textual_serve"},
    "scenario": {"rich", "textual", "asyncssh", "textual_serve"},
    "views": {"textual", "asyncssh", "textual_serve"},
}


def layer_of(module: str) -> str:
    for name, prefixes in LAYERS:
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return name
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ("nnsim",) + path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(module: str, path: Path) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from . import actions` imports a submodule
            found |= {f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in modules()}
    return found


@pytest.mark.parametrize("module", sorted(modules()))
def test_no_module_imports_a_layer_above_its_own(module):
    path = modules()[module]
    mine = layer_of(module)
    upward = []
    for target in sorted(imports(module, path)):
        top = target.split(".")[0]
        if top == "nnsim":
            if target == "nnsim" and mine != "package":
                continue  # the package itself (one_blas_thread, __version__) sits beside every layer
            theirs = layer_of(target)
            if theirs not in MAY_IMPORT[mine] and (module, target) not in EXCEPTIONS:
                upward.append(f"{target} ({theirs})")
        elif top in THIRD_PARTY_BANNED.get(mine, ()):
            upward.append(target)
    assert not upward, f"{module} ({mine} layer) imports {', '.join(upward)}"


def test_the_check_sees_an_upward_import(tmp_path):
    """The checker itself: an engine module importing the TUI is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from ..tui import app  # noqa: F401\n    import rich\n")
    found = imports("nnsim.engine.bad", bad)
    assert "nnsim.tui" in found and "rich" in found
    assert layer_of("nnsim.tui") not in MAY_IMPORT[layer_of("nnsim.engine.bad")]
