"""The architecture, kept honest by parsing the source (nothing is imported to check it).

- The catalog's kernels (``src/losskit/losses/``) never import NumPy: they run on any array library.
- Imports flow one way: ``_array``/``_config`` <- ``losses`` (the catalog: records, kernels,
  derivatives) <- ``fast`` (per-library kernels registered on the records) and ``derivatives``
  <- ``core``/``registry`` <- ``guidance`` (and add-ons such as integrations) <- the ``losskit``
  package itself <- ``platform`` <- ``cli``. Nothing lower imports anything higher, and no two
  parts import each other, at any depth; imports inside functions count too.
- ``losskit.__all__`` names things that exist, including the public contract of DESIGN.md.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import losskit as lk
from losskit.losses import CATALOG

PACKAGE = Path(lk.__file__).parent

#: Layer of each top-level part of the package; a part not listed is an add-on built on the core.
LAYERS = {
    "_array": 0,
    "_config": 0,
    "losses": 1,
    "fast": 2,  # per-library fast kernels: they import the catalog and register on its records
    "derivatives": 2,
    "core": 3,
    "registry": 3,
    "guidance": 4,
    "": 5,  # ``losskit`` itself: the public facade, which gathers the layers below
    "platform": 6,
    "cli": 7,
}
ADD_ON_LAYER = 4


def layer(part: str) -> int:
    return LAYERS.get(part, ADD_ON_LAYER)


def modules():
    """(dotted module name, path) of every module in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imported_modules(module: str, path: Path):
    """Absolute names of every module that ``module`` imports, at any depth of its code."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module
            for alias in node.names:  # ``from . import core`` imports the module ``losskit.core``
                submodule = f"{origin}.{alias.name}"
                yield submodule if is_module(submodule) else origin


def is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def part_of(module: str) -> str | None:
    """The top-level part of losskit that ``module`` belongs to ('' for the package itself)."""
    if module == "losskit":
        return ""
    if not module.startswith("losskit."):
        return None
    part = module.split(".")[1]
    if (PACKAGE / f"{part}.py").exists() or (PACKAGE / part).is_dir():
        return part
    return ""  # ``from losskit import name``: a name of the facade


MODULES = list(modules())


def test_the_parser_sees_the_package():
    names = {module for module, _ in MODULES}
    assert {"losskit", "losskit._array", "losskit.losses", "losskit.losses._spec", "losskit.core", "losskit.registry"} <= names
    imports = set(imported_modules("losskit.losses._prepare", PACKAGE / "losses" / "_prepare.py"))
    assert {"losskit._array", "losskit._config", "losskit.losses._domain"} <= imports


def upward_imports(module: str, path: Path) -> list[str]:
    own = part_of(module)
    return [t for t in imported_modules(module, path) if part_of(t) not in (None, own) and layer(part_of(t)) > layer(own)]


def test_the_check_catches_an_upward_import(tmp_path):
    source = tmp_path / "fake.py"
    source.write_text("from .._array import EPSILON\n\ndef f():\n    from ..registry import get\n    import numpy as np\n")
    assert upward_imports("losskit.losses.fake", source) == ["losskit.registry"]
    assert upward_imports("losskit.guidance.fake", source) == []


@pytest.mark.parametrize(("module", "path"), [m for m in MODULES if m[0].startswith("losskit.losses")], ids=lambda m: str(m))
def test_catalog_modules_do_not_import_numpy(module, path):
    roots = {name.split(".")[0] for name in imported_modules(module, path)}
    assert "numpy" not in roots, f"{module} imports numpy: the catalog runs on any array library through `xp`"


@pytest.mark.parametrize(("module", "path"), [m for m in MODULES if m[0] != "losskit"], ids=lambda m: str(m))
def test_imports_flow_one_way(module, path):
    upward = upward_imports(module, path)
    assert not upward, f"{module} (layer {layer(part_of(module))}) imports {upward}: a lower layer must not import a higher one"


def part_graph() -> dict[str, set[str]]:
    """Which other top-level parts each part imports (the package facade left out)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES:
        own = part_of(module)
        if own == "":
            continue
        targets = {part_of(t) for t in imported_modules(module, path)} - {None, "", own}
        graph.setdefault(own, set()).update(targets)
    return graph


def test_no_import_cycle_between_parts():
    graph = part_graph()
    assert "losses" in graph.get("fast", set())  # the fast kernels import the catalog they register on

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})) for nxt in graph.get(start, ()))

    cycles = sorted(part for part in graph if reaches(part, part, {part}))
    assert not cycles, f"parts on an import cycle: {cycles}"


def test_the_core_imports_nothing_but_numpy_and_array_api_compat_at_module_level():
    """Optional dependencies are imported lazily, inside the functions that need them. (A module
    that is itself imported only lazily, once the library is loaded, may import it: PyTorch's
    autograd.Function, which Dynamo cannot define inside a trace; test_fast_torch checks that
    ``import losskit`` does not import torch.)"""
    allowed = {"numpy", "array_api_compat", "losskit", "__future__"}
    imported_lazily = {"losskit.fast._torch_autograd": {"torch"}}
    for module, path in MODULES:
        if layer(part_of(module)) > LAYERS["registry"]:
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                if root not in allowed | imported_lazily.get(module, set()):
                    assert root in sys.stdlib_module_names, f"{module} imports {name} at module level"


def test_all_names_exist_and_cover_the_contract():
    missing = [name for name in lk.__all__ if not hasattr(lk, name)]
    assert not missing
    assert len(lk.__all__) == len(set(lk.__all__))
    contract = {"Loss", "get", "register", "available", "to_categorical", "check_compatibility", "recommend", "diagnose", "LossCompatibilityWarning"}
    contract |= {spec.name for spec in CATALOG}
    assert contract <= set(lk.__all__), contract - set(lk.__all__)
