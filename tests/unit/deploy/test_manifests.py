"""Every kustomization renders with the real kustomize and every object passes its schema."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from tests.unit.deploy.schemas import K8S_VERSIONS, schema_errors
from tests.unit.deploy.support import DEPLOY, KUSTOMIZATIONS, Doc, render
from tests.unit.deploy.workload import find_all

# The timeout covers a cold first build of the Go tools (~3 min, once); warm, each test
# takes well under a second.
pytestmark = [pytest.mark.unit, pytest.mark.timeout(600)]

BASE_KINDS = {
    "ServiceAccount": 1,
    "ConfigMap": 1,
    "Service": 1,
    "Deployment": 1,
    "Job": 1,
    "PodDisruptionBudget": 1,
    "NetworkPolicy": 2,
    "ScaledObject": 1,
}
EXPECTED_KINDS = {
    "base": BASE_KINDS,
    "dev": BASE_KINDS,
    "prod": {**BASE_KINDS, "TriggerAuthentication": 1, "ServiceMonitor": 1},
}
NAMESPACES = {"dev": "inventory-dev", "prod": "inventory"}


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_rendered_object_is_valid(
    rendered: dict[str, list[Doc]], name: str, version: str
) -> None:
    errors = [error for doc in rendered[name] for error in schema_errors(doc, version)]
    assert errors == []


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_the_secret_example_is_valid(example_secrets: list[Doc], version: str) -> None:
    assert [e for doc in example_secrets for e in schema_errors(doc, version)] == []


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_each_kustomization_renders_the_expected_objects(
    rendered: dict[str, list[Doc]], name: str
) -> None:
    kinds: dict[str, int] = {}
    for doc in rendered[name]:
        kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
    assert kinds == EXPECTED_KINDS[name]  # no Secret: those are never rendered nor committed


@pytest.mark.parametrize("name", NAMESPACES)
def test_overlays_put_everything_in_their_namespace(
    rendered: dict[str, list[Doc]], name: str
) -> None:
    assert {doc["metadata"].get("namespace") for doc in rendered[name]} == {NAMESPACES[name]}


CONTAINER = ("spec", "template", "spec", "containers", 0)
MUTATIONS: dict[str, tuple[str, tuple[str | int, ...], str, object]] = {
    # what breaks: (kind, path to the parent, key, new value)
    "misspelt container field": ("Deployment", CONTAINER, "imagePullPolicyy", "Always"),
    "port number as a string": ("Deployment", (*CONTAINER, "ports", 0), "containerPort", "8080"),
    "probe path misplaced": ("Deployment", (*CONTAINER, "livenessProbe"), "path", "/healthz"),
    "unknown NetworkPolicy field": ("NetworkPolicy", ("spec",), "egres", []),
    "Job retries as a string": ("Job", ("spec",), "backoffLimit", "3"),
    "misspelt KEDA trigger parameter": (
        "ScaledObject",
        ("spec", "triggers", 0, "metadata"),
        "lagTreshold",
        "10",
    ),
    "KEDA replica count as a string": ("ScaledObject", ("spec",), "maxReplicaCount", "12"),
    "KEDA auth parameter misplaced": ("TriggerAuthentication", ("spec",), "secretRef", []),
    "ServiceMonitor path not absolute": (
        "ServiceMonitor",
        ("spec", "endpoints", 0),
        "path",
        "metrics",
    ),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_broken_object_fails_validation(rendered: dict[str, list[Doc]], mutation: str) -> None:
    kind, path, key, value = MUTATIONS[mutation]
    original = find_all(rendered["prod"], kind)[0]
    assert schema_errors(original, K8S_VERSIONS[0]) == []
    broken = copy.deepcopy(original)
    parent = broken
    for step in path:
        parent = parent[step]
    parent[key] = value
    assert schema_errors(broken, K8S_VERSIONS[0]) != []


def test_a_broken_base_file_fails_after_rendering(kustomize: Path, tmp_path: Path) -> None:
    """End to end: a typo in a committed file survives kustomize and is caught afterwards."""
    tree = tmp_path / "k8s"
    shutil.copytree(DEPLOY / "k8s", tree)
    deployment = tree / "base" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("readinessProbe:", "readynessProbe:"))
    docs = render(kustomize, tree / "overlays" / "prod")
    errors = [e for doc in docs for e in schema_errors(doc, K8S_VERSIONS[0])]
    assert any("readynessProbe" in error for error in errors)
