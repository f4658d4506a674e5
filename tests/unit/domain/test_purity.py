"""The domain core imports only the standard library (and itself): no I/O, no contracts."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import inventory_ledger.domain

pytestmark = pytest.mark.unit

_PACKAGE = Path(inventory_ledger.domain.__file__).parent


def _absolute_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _allowed(module: str) -> bool:
    own = module == "inventory_ledger.domain" or module.startswith("inventory_ledger.domain.")
    return own or module.split(".", maxsplit=1)[0] in sys.stdlib_module_names


@pytest.mark.parametrize(
    "path", sorted(_PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(_PACKAGE))
)
def test_domain_module_imports_only_the_standard_library(path: Path) -> None:
    foreign = {name for name in _absolute_imports(path) if not _allowed(name)}
    assert foreign == set(), f"{path.name} imports {sorted(foreign)}"
