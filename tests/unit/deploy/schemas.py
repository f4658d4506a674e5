"""Schema validation of rendered objects: Kubernetes' own schemas, vendored ones for CRDs.

Built-in kinds are checked with kubernetes-validate in *strict* mode (unknown fields are
errors, as ``kubectl apply --validate=strict`` makes them) against every pinned Kubernetes
version. Custom resources (KEDA, Prometheus Operator) are checked against the minimal JSON
schemas vendored under ``deploy/k8s/schemas/`` (each names its source). A kind with no
schema at all is an error: nothing renders unvalidated.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate

from tests.unit.deploy.support import DEPLOY, Doc

__all__ = ["CRD_SCHEMAS", "K8S_VERSIONS", "schema_errors"]

K8S_VERSIONS = ("1.31.0", "1.37.0")
"""Oldest Kubernetes the manifests support (matchLabelKeys, unhealthyPodEvictionPolicy GA)
and the newest kubernetes-validate ships schemas for."""

CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_v1alpha1_scaledobject.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "keda.sh_v1alpha1_triggerauthentication.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_v1_servicemonitor.json",
}


@cache
def _crd_validator(file: str) -> Any:
    schema = json.loads((DEPLOY / "k8s" / "schemas" / file).read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _where(doc: Doc) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def schema_errors(doc: Doc, version: str) -> list[str]:
    """Why ``doc`` is not a valid object for Kubernetes ``version`` (empty when it is)."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in CRD_SCHEMAS:
        validator = _crd_validator(CRD_SCHEMAS[key])  # type: ignore[index]
        return [
            f"{_where(doc)}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)
        ]
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{_where(doc)}: no schema for {key} (vendor one under deploy/k8s/schemas/)"]
    except kubernetes_validate.ValidationError as error:
        path = "/".join(map(str, error.path))
        return [f"{_where(doc)} (k8s {version}): {path}: {error.message}"]
    return []
