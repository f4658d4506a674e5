"""Where the project checkout, its download cache and the stack's state live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inventory_ledger.local_stack.errors import StackError

__all__ = ["StackPaths", "project_root"]

_MARKER = Path("deploy/local/kafka/pom.xml")


def project_root(start: Path | None = None) -> Path:
    """The checkout that holds ``deploy/local`` (searched from ``start``, cwd, then this file)."""
    candidates = [start or Path.cwd(), Path(__file__).resolve()]
    for base in candidates:
        for folder in (base, *base.parents):
            if (folder / _MARKER).is_file():
                return folder
    raise StackError(
        "the local stack runs from a checkout of the project: no deploy/local/kafka/pom.xml "
        "found above the current directory"
    )


@dataclass(frozen=True)
class StackPaths:
    """All paths of one local stack. ``home`` holds its state; ``cache`` its downloads."""

    root: Path
    home: Path

    @classmethod
    def resolve(cls, home: Path | None) -> StackPaths:
        root = project_root()
        return cls(root=root, home=(home or root / ".cache" / "stack").resolve())

    @property
    def cache(self) -> Path:
        return self.root / ".cache"

    @property
    def kafka_deploy(self) -> Path:
        return self.root / "deploy" / "local" / "kafka"

    @property
    def postgres_deploy(self) -> Path:
        return self.root / "deploy" / "local" / "postgres"

    @property
    def kafka_libs(self) -> Path:
        return self.cache / "kafka" / "libs"

    @property
    def maven_repo(self) -> Path:
        return self.cache / "m2"

    @property
    def kafka_home(self) -> Path:
        return self.home / "kafka"
