"""Every kustomization renders with the real kustomize and every object passes its schema."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.deploy.schemas import K8S_VERSIONS, schema_errors
from tests.unit.deploy.support import DEPLOY, KUSTOMIZATIONS, Doc, render
from tests.unit.deploy.workload import app_container, find, find_all

pytestmark = pytest.mark.unit

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


def _container(docs: list[Doc]) -> Doc:
    return app_container(docs)


MUTATIONS: dict[str, tuple[str, Callable[[list[Doc]], Doc]]] = {
    "misspelt container field": (
        "Deployment",
        lambda docs: _set(_container(docs), "imagePullPolicyy", "Always", find(docs, "Deployment")),
    ),
    "port number as a string": (
        "Deployment",
        lambda docs: _set(
            _container(docs)["ports"][0], "containerPort", "8080", find(docs, "Deployment")
        ),
    ),
    "probe path in the wrong place": (
        "Deployment",
        lambda docs: _set(
            _container(docs)["livenessProbe"], "path", "/healthz", find(docs, "Deployment")
        ),
    ),
    "unknown NetworkPolicy field": (
        "NetworkPolicy",
        lambda docs: _set(
            find_all(docs, "NetworkPolicy")[0]["spec"],
            "egres",
            [],
            find_all(docs, "NetworkPolicy")[0],
        ),
    ),
    "misspelt KEDA trigger parameter": (
        "ScaledObject",
        lambda docs: _set(
            find(docs, "ScaledObject")["spec"]["triggers"][0]["metadata"],
            "lagTreshold",
            "10",
            find(docs, "ScaledObject"),
        ),
    ),
    "KEDA replica count as a string": (
        "ScaledObject",
        lambda docs: _set(
            find(docs, "ScaledObject")["spec"], "maxReplicaCount", "12", find(docs, "ScaledObject")
        ),
    ),
    "ServiceMonitor path without a slash": (
        "ServiceMonitor",
        lambda docs: _set(
            find(docs, "ServiceMonitor")["spec"]["endpoints"][0],
            "path",
            "metrics",
            find(docs, "ServiceMonitor"),
        ),
    ),
}


def _set(target: Doc, key: str, value: object, doc: Doc) -> Doc:
    target[key] = value
    return doc


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_broken_object_fails_validation(rendered: dict[str, list[Doc]], mutation: str) -> None:
    docs = copy.deepcopy(rendered["prod"])
    _, mutate = MUTATIONS[mutation]
    broken = mutate(docs)
    assert all(schema_errors(doc, K8S_VERSIONS[0]) == [] for doc in rendered["prod"])
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
