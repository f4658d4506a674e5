"""KEDA scales on the service's own group and topics, within the partitions; the network
policy lets the pods reach Kafka, Postgres and DNS only."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.unit.deploy.agreement import effective_settings
from tests.unit.deploy.support import KUSTOMIZATIONS, Doc
from tests.unit.deploy.workload import app_container, container_env, find, find_all

# The timeout covers a cold first build of the Go tools (~3 min, once); warm, each test
# takes well under a second.
pytestmark = [pytest.mark.unit, pytest.mark.timeout(600)]

PARTITIONS = "inventory-ledger/inbound-topic-partitions"
SASL = {"SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512", "PLAIN": "plaintext"}


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_keda_watches_the_services_group_and_topics(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    docs = rendered[name]
    settings = effective_settings(docs, example_secrets)
    scaled = find(docs, "ScaledObject")
    deployment = find(docs, "Deployment")
    assert scaled["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    triggers = scaled["spec"]["triggers"]
    assert {t["type"] for t in triggers} == {"kafka"}
    assert sorted(t["metadata"]["topic"] for t in triggers) == sorted(settings.inbound_topics)
    for trigger in triggers:
        meta = trigger["metadata"]
        assert meta["consumerGroup"] == settings.consumer_group
        assert meta["bootstrapServers"] == settings.kafka_bootstrap_servers
        assert int(meta["lagThreshold"]) > 0
        assert meta.get("allowIdleConsumers", "false") == "false"
        assert meta["offsetResetPolicy"] == "earliest"  # as the consumer: lag from the start


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_keda_never_scales_past_the_partitions(rendered: dict[str, list[Doc]], name: str) -> None:
    scaled = find(rendered[name], "ScaledObject")
    spec = scaled["spec"]
    partitions = int(scaled["metadata"]["annotations"][PARTITIONS])
    # >= 1 always: the same pods run the outbox relay and the query API.
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= partitions
    assert spec["minReplicaCount"] <= spec["fallback"]["replicas"] <= spec["maxReplicaCount"]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_keda_authenticates_like_the_service(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    docs = rendered[name]
    settings = effective_settings(docs, example_secrets)
    protocol = settings.kafka_security_protocol
    auths = {a["metadata"]["name"]: a for a in find_all(docs, "TriggerAuthentication")}
    env = container_env(docs, app_container(docs))
    keys = {(s["metadata"]["name"], k) for s in example_secrets for k in s["stringData"]}
    for trigger in find(docs, "ScaledObject")["spec"]["triggers"]:
        meta = trigger["metadata"]
        assert meta.get("tls", "disable") == ("enable" if protocol.endswith("SSL") else "disable")
        if not protocol.startswith("SASL"):
            assert "sasl" not in meta
            continue
        assert meta["sasl"] == SASL[settings.kafka_sasl_mechanism or "PLAIN"]
        auth = auths[trigger["authenticationRef"]["name"]]["spec"]
        params = {e["parameter"]: e for e in auth.get("env", [])}
        params |= {s["parameter"]: s for s in auth.get("secretTargetRef", [])}
        assert set(params) == {"username", "password"}
        for ref in auth.get("env", []):
            assert ref["name"] in env
            assert ref["containerName"] == app_container(docs)["name"]
        for ref in auth.get("secretTargetRef", []):
            assert (ref["name"], ref["key"]) in keys


def _ports(rule: dict[str, object]) -> set[int | str]:
    return {p["port"] for p in rule.get("ports", [])}  # type: ignore[attr-defined]


def _kafka_ports(servers: str) -> set[int | str]:
    return {int(server.rsplit(":", 1)[1]) for server in servers.split(",")}


def _postgres_ports(example_secrets: list[Doc], key: str) -> set[int | str]:
    (dsn,) = [s["stringData"][key] for s in example_secrets if key in s["stringData"]]
    return {urlsplit(dsn).port or 5432}


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_service_reaches_only_kafka_postgres_and_dns(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    docs = rendered[name]
    settings = effective_settings(docs, example_secrets)
    policy = find(docs, "NetworkPolicy", "inventory-ledger")
    labels = find(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert [_ports(rule) for rule in policy["spec"]["ingress"]] == [{"http"}]
    egress = policy["spec"]["egress"]
    assert all(rule.get("to") for rule in egress)  # never "any destination"
    allowed = [_ports(rule) for rule in egress]
    kafka = _kafka_ports(settings.kafka_bootstrap_servers)
    postgres = _postgres_ports(example_secrets, "INVENTORY_DATABASE_URL")
    assert allowed == [{53}, kafka, postgres]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_migration_reaches_only_postgres_and_dns(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    docs = rendered[name]
    policy = find(docs, "NetworkPolicy", "inventory-ledger-migrate")
    labels = find(docs, "Job")["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert policy["spec"].get("ingress", []) == []
    postgres = _postgres_ports(example_secrets, "INVENTORY_MIGRATION_DATABASE_URL")
    assert [_ports(rule) for rule in policy["spec"]["egress"]] == [{53}, postgres]
    assert all(rule.get("to") for rule in policy["spec"]["egress"])
