"""The manifests name exactly the fields of Settings, and every field is configured.

When someone adds a field to ``inventory_ledger.settings.Settings``, this fails until the
field is in ``deploy/k8s/base/config.env`` (or a Secret) or in ``OPTIONAL_WITH_DEFAULT``.
"""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from inventory_ledger.settings import Settings
from tests.unit.deploy.agreement import (
    OPTIONAL_WITH_DEFAULT,
    SETTINGS_ENV,
    effective_settings,
    is_secret,
    problems,
)
from tests.unit.deploy.support import KUSTOMIZATIONS, Doc
from tests.unit.deploy.workload import app_container, find, find_all

# The timeout covers a cold first build of the Go tools (~3 min, once); warm, each test
# takes well under a second.
pytestmark = [pytest.mark.unit, pytest.mark.timeout(600)]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_manifests_and_settings_agree(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    assert problems(rendered[name], example_secrets) == []


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_configmap_values_are_valid_settings(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], name: str
) -> None:
    settings = effective_settings(rendered[name], example_secrets)
    assert settings.http_host in {"0.0.0.0", "::"}  # reachable from outside the pod


def test_secret_settings_live_in_the_secret_example(example_secrets: list[Doc]) -> None:
    keys = {key for secret in example_secrets for key in secret.get("stringData", {})}
    secrets = {env for env, field in SETTINGS_ENV.items() if is_secret(field)}
    assert secrets - keys == set()


def test_the_optional_list_explains_itself() -> None:
    assert all(reason.strip() for reason in OPTIONAL_WITH_DEFAULT.values())


def _configmap(docs: list[Doc]) -> dict[str, str]:
    data: dict[str, str] = find(docs, "ConfigMap")["data"]
    return data


BREAKS = {
    "app DSN no longer passed": lambda docs: app_container(docs)["env"].pop(0),
    "a setting dropped from the ConfigMap": lambda docs: _configmap(docs).pop(
        "INVENTORY_CONSUMER_GROUP"
    ),
    "a variable that is no setting": lambda docs: _configmap(docs).update(
        {"INVENTORY_CONSUMER_GRUOP": "x"}
    ),
    "a secret in the ConfigMap": lambda docs: _configmap(docs).update(
        {"INVENTORY_API_TOKEN": "s3cr3t"}
    ),
    "owner DSN given to the app": lambda docs: app_container(docs)["env"].append(
        {
            "name": "INVENTORY_MIGRATION_DATABASE_URL",
            "valueFrom": {
                "secretKeyRef": {
                    "name": "inventory-ledger-migration",
                    "key": "INVENTORY_MIGRATION_DATABASE_URL",
                }
            },
        }
    ),
    "a Secret key the example lacks": lambda docs: app_container(docs)["env"][0]["valueFrom"][
        "secretKeyRef"
    ].update({"key": "DATABASE_URL"}),
}


@pytest.mark.parametrize("change", BREAKS)
def test_a_drifted_manifest_is_reported(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc], change: str
) -> None:
    docs = copy.deepcopy(rendered["prod"])
    BREAKS[change](docs)
    assert problems(docs, example_secrets) != []


def test_a_new_setting_is_reported(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc]
) -> None:
    """A field added to Settings but not to the manifests fails the agreement check."""

    class Grown(Settings):
        brand_new_knob: int = 1

    found = problems(rendered["prod"], example_secrets, Grown)
    assert [p for p in found if "INVENTORY_BRAND_NEW_KNOB" in p] != []


def test_an_invalid_configmap_value_is_reported(
    rendered: dict[str, list[Doc]], example_secrets: list[Doc]
) -> None:
    docs = copy.deepcopy(rendered["prod"])
    _configmap(docs)["INVENTORY_HTTP_PORT"] = "http"
    with pytest.raises(ValidationError):
        effective_settings(docs, example_secrets)


def test_no_secret_values_are_rendered(rendered: dict[str, list[Doc]]) -> None:
    assert all(not find_all(docs, "Secret") for docs in rendered.values())
