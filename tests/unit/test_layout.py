"""The package's layout is its architecture: subpackages import only those below them, so no
import cycle can form, and no module shadows a standard-library one."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "rlsafe"
#: what each subpackage may import (its ``__init__`` docstring says why); the root modules
#: (config, run, api, report, sweep_names) sit above them all
ALLOWED = {
    "compiled": set(),
    "envs": {"compiled"},
    "agents": {"compiled"},
    "discretizers": {"compiled"},
    "analysis": {"compiled"},
    "output": {"compiled", "analysis", "envs"},
    "training": {"compiled", "envs", "agents", "discretizers", "analysis", "output"},
}


def _subpackage(module: str) -> str:
    """``rlsafe.training.runner`` -> ``training``; a root module (``rlsafe.config``) -> ``root``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else "root"


def _runtime_imports(path: Path, keep_type_checking: bool = False) -> list[str]:
    """The rlsafe modules ``path`` imports (``from rlsafe import x`` as ``rlsafe.x``), except
    under ``if TYPE_CHECKING:`` unless ``keep_type_checking``."""
    tree = ast.parse(path.read_text())
    skipped = (
        set()
        if keep_type_checking
        else {
            id(node)
            for stmt in ast.walk(tree)
            if isinstance(stmt, ast.If) and getattr(stmt.test, "id", None) == "TYPE_CHECKING"
            for node in ast.walk(stmt)
        }
    )
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rlsafe"):
            found += (
                [f"rlsafe.{a.name}" for a in node.names]
                if node.module == "rlsafe"
                else [node.module]
            )
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("rlsafe")]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "configs" not in p.relative_to(PACKAGE).parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_subpackage_imports_only_those_below_it(path):
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    own = _subpackage(module)
    if own == "root":
        return
    wrong = [
        m
        for m in _runtime_imports(path)
        if _subpackage(m) != own and _subpackage(m) not in ALLOWED[own]
    ]
    assert not wrong, (
        f"{module} imports {wrong}: rlsafe/{own}/ may import only "
        f"{sorted(ALLOWED[own]) or 'nothing else of rlsafe'} (see its __init__)"
    )


def test_every_subpackage_is_in_the_table_and_says_what_lives_there():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")} - {"configs"}
    assert subpackages == set(ALLOWED)
    for name in subpackages:
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc, f"rlsafe/{name}/__init__.py has no docstring"


def test_no_module_is_named_after_a_standard_library_one():
    clashes = sorted(
        str(p.relative_to(PACKAGE)) for p in MODULES if p.stem in sys.stdlib_module_names
    )
    assert not clashes


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_rlsafe_import_names_a_module_that_exists(path):
    """Imports inside functions run late (matplotlib's are lazy): a moved module must not leave
    one behind that only fails when that function runs."""
    root = PACKAGE.parent
    missing = []
    for module in _runtime_imports(path, keep_type_checking=True):
        parts = module.split(".")
        file, folder = root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts)
        in_init = (
            parts[:-1]
            and (root.joinpath(*parts[:-1]) / "__init__.py").is_file()
            and f"def {parts[-1]}" in (root.joinpath(*parts[:-1]) / "__init__.py").read_text()
        )
        if not (file.is_file() or (folder / "__init__.py").is_file() or in_init):
            missing.append(module)
    assert not missing, f"{path.name} imports {missing}, which do not exist"
