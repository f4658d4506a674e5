"""Fixtures of the deployment tests: the real kustomize, every rendering, the example Secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.deploy.support import DEPLOY, KUSTOMIZATIONS, Doc, build_tool, load_yaml, render


@pytest.fixture(scope="session")
def kustomize() -> Path:
    """The pinned kustomize (built from its Go module into .cache/bin on first use, ~2-3 min)."""
    return build_tool(DEPLOY / "k8s" / "tools" / "install-kustomize.sh")


@pytest.fixture(scope="session")
def rendered(kustomize: Path) -> dict[str, list[Doc]]:
    """``kustomize build`` of the base and of every overlay, by name."""
    return {name: render(kustomize, path) for name, path in KUSTOMIZATIONS.items()}


@pytest.fixture(scope="session")
def example_secrets() -> list[Doc]:
    """The Secrets of deploy/k8s/base/secret.example.yaml (never rendered, never committed)."""
    return load_yaml(DEPLOY / "k8s" / "base" / "secret.example.yaml")
