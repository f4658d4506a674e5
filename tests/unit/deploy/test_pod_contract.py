"""The pods match the app: port and probes from Settings, drain time, hardening, spreading."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.deploy.agreement import effective_settings
from tests.unit.deploy.support import KUSTOMIZATIONS, Doc
from tests.unit.deploy.workload import app_container, find, find_all, pod_spec

# The timeout covers a cold first build of the Go tools (~3 min, once); warm, each test
# takes well under a second.
pytestmark = [pytest.mark.unit, pytest.mark.timeout(600)]

PROBES = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
NON_ROOT_UID = 10001  # the Dockerfile's USER (test_dockerfile checks that side)
STAGE = "inventory-ledger/stage"


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def _labels(doc: Doc) -> dict[str, str]:
    labels: dict[str, str] = doc["spec"]["template"]["metadata"]["labels"]
    return labels


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_probes_and_ports_follow_the_settings(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    docs = rendered[name]
    settings = effective_settings(docs, example_secrets)
    container = app_container(docs)
    assert _port_number(container, "http") == settings.http_port
    for probe, path in PROBES.items():
        handler = container[probe]["httpGet"]
        assert (handler["path"], _port_number(container, handler["port"])) == (
            path,
            settings.http_port,
        ), probe
    # /readyz asks Postgres and Kafka in parallel, each within readiness_timeout_s.
    assert container["readinessProbe"]["timeoutSeconds"] > settings.readiness_timeout_s
    annotations = find(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(settings.http_port)
    assert annotations["prometheus.io/path"] == "/metrics"
    assert container["args"] == ["run"]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_service_exposes_http_and_metrics(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    docs = rendered[name]
    settings = effective_settings(docs, example_secrets)
    service = find(docs, "Service")
    pod_labels = _labels(find(docs, "Deployment"))
    assert _selects(service["spec"]["selector"], pod_labels)
    ports = {p["name"]: p for p in service["spec"]["ports"]}
    assert set(ports) == {"http", "metrics"}
    container = app_container(docs)
    assert {p["name"] for p in container["ports"]} >= {ports["http"]["targetPort"]}
    assert {p["name"] for p in container["ports"]} >= {ports["metrics"]["targetPort"]}
    for monitor in find_all(docs, "ServiceMonitor"):
        assert _selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
        assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
        assert [e["path"] for e in monitor["spec"]["endpoints"]] == ["/metrics"]
        # Lag and backlog gauges are refreshed at least once per scrape.
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["interval"].endswith("s")
            assert int(endpoint["interval"][:-1]) >= settings.metrics_interval_s


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_pods_outlive_their_drain(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    """SIGTERM comes after preStop; the drain (shutdown_timeout_s) must end before SIGKILL."""
    docs = rendered[name]
    settings = effective_settings(docs, example_secrets)
    spec = pod_spec(find(docs, "Deployment"))
    pre_stop = app_container(docs)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    margin = 5
    assert spec["terminationGracePeriodSeconds"] >= (
        int(pre_stop[1]) + settings.shutdown_timeout_s + margin
    )


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_pods_are_hardened(rendered: dict[str, list[Doc]], name: str, kind: str) -> None:
    spec = pod_spec(find(rendered[name], kind))
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == NON_ROOT_UID
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in spec["volumes"]}
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert {"requests", "limits"} <= set(container["resources"])
        assert "memory" in container["resources"]["limits"]
        # The only writable path is /tmp, an emptyDir with a size limit.
        (mount,) = container["volumeMounts"]
        assert mount["mountPath"] == "/tmp"
        assert "sizeLimit" in volumes[mount["name"]]["emptyDir"]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_deployment_rolls_one_pod_at_a_time_and_spreads(
    rendered: dict[str, list[Doc]], name: str
) -> None:
    deployment = find(rendered[name], "Deployment")
    labels = _labels(deployment)
    assert _selects(deployment["spec"]["selector"]["matchLabels"], labels)
    assert "replicas" not in deployment["spec"]  # KEDA's HPA owns it
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    constraints = pod_spec(deployment)["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in constraints} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }
    assert all(_selects(c["labelSelector"]["matchLabels"], labels) for c in constraints)


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_migration_is_a_separate_one_shot_job(
    rendered: dict[str, list[Doc]], name: str
) -> None:
    docs = rendered[name]
    job = find(docs, "Job")
    (container,) = pod_spec(job)["containers"]
    assert container["args"] == ["migrate"]
    assert container["image"] == app_container(docs)["image"]  # same release, same schema
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert not _selects(find(docs, "Deployment")["spec"]["selector"]["matchLabels"], _labels(job))


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_disruption_budget_covers_the_service_pods(
    rendered: dict[str, list[Doc]], name: str
) -> None:
    docs = rendered[name]
    budget = find(docs, "PodDisruptionBudget")
    assert _selects(budget["spec"]["selector"]["matchLabels"], _labels(find(docs, "Deployment")))
    # maxUnavailable, not minAvailable: drains always progress, whatever KEDA's replica count.
    assert budget["spec"] == budget["spec"] | {"maxUnavailable": 1}
    assert "minAvailable" not in budget["spec"]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_migrate_stage_can_be_applied_alone(rendered: dict[str, list[Doc]], name: str) -> None:
    """``kubectl apply --selector inventory-ledger/stage=migrate`` brings all the Job needs."""
    docs = rendered[name]
    stage = [d for d in docs if d["metadata"].get("labels", {}).get(STAGE) == "migrate"]
    assert sorted((d["kind"], d["metadata"]["name"].split("-")[-1]) for d in stage) == [
        ("ConfigMap", find(docs, "ConfigMap")["metadata"]["name"].split("-")[-1]),
        ("Job", "migrate"),
        ("NetworkPolicy", "migrate"),
        ("ServiceAccount", "ledger"),
    ]
    job = pod_spec(find(docs, "Job"))
    assert job["serviceAccountName"] in {d["metadata"]["name"] for d in stage}
    for source in job["containers"][0]["envFrom"]:
        assert source["configMapRef"]["name"] in {d["metadata"]["name"] for d in stage}
    assert all(d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-1" for d in stage)
