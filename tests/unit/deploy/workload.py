"""Reading rendered objects: lookups, pod templates, and the environment a container gets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.unit.deploy.support import Doc

__all__ = [
    "app_container",
    "configmap_env",
    "container_env",
    "find",
    "find_all",
    "pod_spec",
    "secret_refs",
]


def find_all(docs: Iterable[Doc], kind: str) -> list[Doc]:
    """Every object of ``kind``."""
    return [doc for doc in docs if doc.get("kind") == kind]


def find(docs: Iterable[Doc], kind: str, name: str | None = None) -> Doc:
    """The one object of ``kind`` (named ``name`` when given)."""
    matches = [
        doc for doc in find_all(docs, kind) if name is None or doc["metadata"]["name"] == name
    ]
    if len(matches) != 1:
        raise LookupError(f"expected one {kind} {name or ''}, rendered {len(matches)}")
    return matches[0]


def pod_spec(workload: Doc) -> dict[str, Any]:
    """The pod template's spec of a Deployment or Job."""
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def app_container(docs: Iterable[Doc]) -> dict[str, Any]:
    """The service's container in the Deployment."""
    containers = pod_spec(find(docs, "Deployment", "inventory-ledger"))["containers"]
    (container,) = (c for c in containers if c["name"] == "inventory-ledger")
    assert isinstance(container, dict)
    return container


def _configmaps(docs: Iterable[Doc]) -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d.get("data", {}) for d in find_all(docs, "ConfigMap")}


def configmap_env(docs: Iterable[Doc], container: dict[str, Any]) -> dict[str, str]:
    """Variables a container gets from ConfigMaps (envFrom and configMapKeyRef), by name."""
    docs = list(docs)
    maps = _configmaps(docs)
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(maps[source["configMapRef"]["name"]])
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("configMapKeyRef")
        if ref is not None:
            env[var["name"]] = maps[ref["name"]][ref["key"]]
    return env


def secret_refs(container: dict[str, Any]) -> dict[str, tuple[str, str, bool]]:
    """Variables a container takes from Secrets: name → (secret, key, optional)."""
    refs = {}
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if ref is not None:
            refs[var["name"]] = (ref["name"], ref["key"], bool(ref.get("optional", False)))
    if any("secretRef" in source for source in container.get("envFrom", [])):
        raise AssertionError("envFrom secretRef hides which keys a pod reads; use secretKeyRef")
    return refs


def container_env(docs: Iterable[Doc], container: dict[str, Any]) -> set[str]:
    """Names of every variable a container gets, whatever the source."""
    names = set(configmap_env(docs, container)) | set(secret_refs(container))
    names |= {var["name"] for var in container.get("env", [])}
    return names
