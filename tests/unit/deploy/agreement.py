"""Do the manifests and the one ``Settings`` class agree? Pure checks returning problems.

Each field of :class:`inventory_ledger.settings.Settings` is read from ``INVENTORY_<FIELD>``.
The manifests must name only such variables, must provide every field (or the field is in
:data:`OPTIONAL_WITH_DEFAULT`), and must keep secrets in Secrets, the owner DSN away from the
app and the app DSN away from the migration.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from inventory_ledger.settings import Settings
from tests.unit.deploy.support import Doc, environment
from tests.unit.deploy.workload import (
    app_container,
    configmap_env,
    container_env,
    find,
    pod_spec,
    secret_refs,
)

__all__ = [
    "APP_EXCLUDED",
    "MIGRATION_NEEDS",
    "OPTIONAL_WITH_DEFAULT",
    "SETTINGS_ENV",
    "effective_settings",
    "is_secret",
    "problems",
    "settings_env",
]

OPTIONAL_WITH_DEFAULT: Mapping[str, str] = {
    # field: why a deployment may leave it out (its default is right, or it is opt-in)
    "kafka_sasl_mechanism": "only with a SASL_* protocol (the prod overlay sets it)",
    "cost_spill_dir": "None = the system temp dir, /tmp in the pod: an emptyDir sized for it",
    "kafka_sasl_username": "only with a SASL_* protocol (the prod overlay sets it)",
    "kafka_ssl_cafile": "None = the image's system CA bundle; mount a file to pin a private CA",
    "kafka_ssl_certfile": "mTLS only: a client certificate mounted from a Secret",
    "kafka_ssl_keyfile": "mTLS only: the client key mounted from a Secret",
}
"""The one list of settings a deployment may omit. Everything else must be configured."""

APP_EXCLUDED = frozenset({"migration_database_url"})
"""Fields the service must never receive (least privilege: the owner DSN)."""

MIGRATION_NEEDS = frozenset({"migration_database_url", "app_role"})
"""Fields ``inventory-ledger migrate`` reads."""


def _env_name(name: str, field: FieldInfo, settings: type[Settings] = Settings) -> str:
    alias = field.validation_alias or field.alias
    if isinstance(alias, str):
        return alias.upper()
    prefix = str(settings.model_config.get("env_prefix", ""))
    return f"{prefix}{name}".upper()


def settings_env(settings: type[Settings] = Settings) -> dict[str, str]:
    """``INVENTORY_<FIELD>`` → field name, for every field of ``settings``."""
    return {_env_name(name, field, settings): name for name, field in settings.model_fields.items()}


SETTINGS_ENV: Mapping[str, str] = settings_env()
"""``INVENTORY_<FIELD>`` → field name, for every field of Settings."""


def _mentions_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_mentions_secret(arg) for arg in typing.get_args(annotation))


def is_secret(field: str, settings: type[Settings] = Settings) -> bool:
    """A ``SecretStr`` field: it belongs in a Secret, never in a ConfigMap."""
    return _mentions_secret(settings.model_fields[field].annotation)


def _unknown(names: Iterable[str], where: str, env: Mapping[str, str]) -> list[str]:
    return [
        f"{where}: {name} is not a field of Settings (expected one of INVENTORY_<FIELD>)"
        for name in sorted(names)
        if name.upper() not in env
    ]


def problems(
    docs: list[Doc], example_secrets: list[Doc], settings: type[Settings] = Settings
) -> list[str]:
    """Every disagreement between the rendered manifests and Settings (empty: they agree)."""
    env = settings_env(settings)
    fields = settings.model_fields

    def _fields(names: Iterable[str]) -> set[str]:
        return {env[n.upper()] for n in names if n.upper() in env}

    app = app_container(docs)
    job = find(docs, "Job", "inventory-ledger-migrate")
    (migrate,) = pod_spec(job)["containers"]
    found: list[str] = []

    secret_keys = {
        (s["metadata"]["name"], key)
        for s in example_secrets
        for key in {**s.get("data", {}), **s.get("stringData", {})}
    }
    for where, container in (("Deployment", app), ("Job", migrate)):
        names = container_env(docs, container)
        found += _unknown(names, where, env)
        for var, (secret, key, _) in secret_refs(container).items():
            if (secret, key) not in secret_keys:
                found.append(f"{where}: {var} reads {secret}/{key}, not in secret.example.yaml")
            if var != key:
                found.append(f"{where}: {var} must read the Secret key of the same name")
        for var in configmap_env(docs, container):
            if var.upper() in env and is_secret(env[var.upper()], settings):
                found.append(f"{where}: secret setting {var} is in a ConfigMap")
    found += _unknown({key for _, key in secret_keys}, "secret.example.yaml", env)

    app_fields = _fields(container_env(docs, app))
    job_fields = _fields(container_env(docs, migrate))
    found += [f"Deployment: must not get {f} (least privilege)" for f in app_fields & APP_EXCLUDED]
    found += [f"Job: lacks {f}" for f in sorted(MIGRATION_NEEDS - job_fields)]
    if "database_url" in job_fields:
        found.append("Job: must not get the app DSN (database_url); it migrates as the owner")
    for field in sorted(set(fields) - app_fields - APP_EXCLUDED):
        if field not in OPTIONAL_WITH_DEFAULT:
            found.append(
                f"Settings.{field} is configured nowhere: add {_env_name(field, fields[field])}"
                " to deploy/k8s/base/config.env (or secret.example.yaml + a secretKeyRef in"
                " deployment.yaml when secret), or list it in OPTIONAL_WITH_DEFAULT with a reason"
            )
    found += [
        f"OPTIONAL_WITH_DEFAULT names {f}, which is no field of Settings"
        for f in sorted(set(OPTIONAL_WITH_DEFAULT) - set(fields))
    ]
    return found


def effective_settings(docs: list[Doc], example_secrets: list[Doc]) -> Settings:
    """The Settings the service would run with: its ConfigMap values, the example Secrets.

    Raises pydantic's ``ValidationError`` when a ConfigMap value is not a valid setting.
    """
    values = {
        key: str(value)
        for secret in example_secrets
        for key, value in secret.get("stringData", {}).items()
        if key.upper() in SETTINGS_ENV and SETTINGS_ENV[key.upper()] not in APP_EXCLUDED
    }
    values.update(configmap_env(docs, app_container(docs)))
    with environment(values):
        return Settings()
