"""The house by layers (service/__init__.py): imports point down only, and no module is too long to read."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"
# a layer may import the layers after it in this list, never those before it
LAYERS = ["web", "graph", "reasoning", "store"]
ROOT_MODULES = {"app", "cli", "config", "iris", "__init__"}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "service" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS + ["datasets"] else "root:" + parts[1]


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                pytest.fail(f"{path}:{node.lineno} uses a relative import; the house imports by full name")
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


MODULES = sorted(p for p in SERVICE.rglob("*.py") if "node_modules" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SERVICE)))
def test_imports_point_down_only(path):
    own = path.relative_to(SERVICE).parts
    own_layer = own[0] if len(own) > 1 else None
    for line, target in imports_of(path):
        layer = layer_of(target)
        if layer is None or own_layer is None:
            continue  # not ours, or a root module (the CLI and the factory may import anything)
        if layer.startswith("root:"):
            assert layer[5:] in {"iris", "config"}, f"{path}:{line} imports {target}: only iris and config are shared"
            continue
        if own_layer == "datasets" or layer == "datasets":
            assert layer in {"datasets", "store"} or own_layer == layer, f"{path}:{line} imports {target}"
            continue
        assert LAYERS.index(layer) >= LAYERS.index(own_layer), \
            f"{path}:{line}: the {own_layer} layer imports {target}, from the {layer} layer above it"


def test_the_root_holds_only_the_entry_points():
    assert {p.stem for p in SERVICE.glob("*.py")} <= ROOT_MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SERVICE)))
def test_no_module_is_over_600_lines(path):
    assert len(path.read_text().splitlines()) <= 600, f"{path} has grown past 600 lines: split it by job"
