"""The Airflow Asset a sync publishes, and the reference a dependent sync schedules on.

A sync's asset stands for "the target object, as written by this sync". Its
URI is `<system>://<connection id>/<object>?sync=<sync>`: stable (it changes
only when the mapping changes), free of secrets and hosts (the connection id
names the system; its host and password live in the connection), and known
at parse time without a connection lookup. The `sync` query keeps two syncs
that write the same object (accounts and contacts both write res.partner)
apart: Airflow requires active asset URIs to be unique, and a sync scheduled
after another must not also be woken by its own writes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

ASSET_PREFIX = "officebridge."


def asset_name(sync: str) -> str:
    return ASSET_PREFIX + sync


def asset_uri(mapping: Any) -> str:
    target = mapping.target
    return f"{target.system}://{quote(target.connection)}/{quote(target.object)}?sync={quote(mapping.name)}"


def published_asset(mapping: Any) -> Any:
    from airflow.sdk import Asset  # noqa: PLC0415 - Airflow is an optional dependency

    extra = {"system": mapping.target.system, "object": mapping.target.object, "sync": mapping.name}
    return Asset(name=asset_name(mapping.name), uri=asset_uri(mapping), group="officebridge", extra=extra)


def upstream_asset(sync: str) -> Any:
    """What `schedule: {on: <sync>}` waits for: the asset that sync publishes, by name."""
    from airflow.sdk import Asset  # noqa: PLC0415

    return Asset.ref(name=asset_name(sync))
