"""The HubSpot connector: CRM v3 objects (contacts, companies, deals, ...) through hubspot-api-client.

Reads walk the search API by (modified stamp, id) (`reads.py`); writes go in
batches of 100 (`writes.py`). Lookups are where HubSpot's eventual consistency
bites: search does not find a record written a few seconds ago, so a lookup
through search right after a write would miss it and let a sync create it
twice. A lookup by a unique property (email on contacts, `hs_object_id`, any
property with `hasUniqueValue`) therefore goes through `batch/read` with
`idProperty`, which reads the primary store and is consistent; only lookups by
other properties use search, which is why the manifest says
`lookup_consistent=False`. Writes that must never duplicate should be upserts
keyed by a unique property: HubSpot applies those idempotently, whatever
search says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from connectors.hubspot import reads
from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.errors import HubSpotRequestError
from connectors.hubspot.manifest import MANIFEST
from connectors.hubspot.records import object_info, source_record, to_wire
from connectors.hubspot.settings import HubSpotSettings, settings_from_connection
from connectors.hubspot.writes import BatchWriter, plan
from officebridge.connections import Connection
from officebridge.connector import (
    ConnectorManifest,
    ObjectInfo,
    Page,
    ReadRequest,
    SourceRecord,
    WriteOp,
    WriteResult,
)
from officebridge.errors import ConfigError
from officebridge.retry import DEFAULT_POLICY, RetryPolicy

log = logging.getLogger(__name__)
BATCH_READ = 100


class HubSpotConnector:
    """Connector for HubSpot's CRM v3 objects API (hubspot-api-client 12)."""

    manifest: ClassVar[ConnectorManifest] = MANIFEST

    def __init__(self, connection: Connection, *, retry_policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.settings: HubSpotSettings = settings_from_connection(connection)
        self.api = HubSpotApi(self.settings, retry_policy)
        self._describes: dict[str, ObjectInfo] = {}

    def check(self) -> None:
        """One cheap authenticated call: proves the token, its contacts scope and TLS trust."""
        self.api.call("check (list contacts)", self.api.basic.get_page, "contacts", limit=1)

    def describe(self, object_name: str) -> ObjectInfo:
        if object_name not in self._describes:
            try:
                reply = self.api.call(
                    f"properties of {object_name}", self.api.properties.get_all, object_name
                )
            except HubSpotRequestError as exc:
                raise ConfigError(f"HubSpot has no object type {object_name!r}: {exc}") from None
            self._describes[object_name] = object_info(object_name, reply.body)
        return self._describes[object_name]

    def _cursor(self, object_name: str, asked: str | None) -> str:
        name = asked or MANIFEST.capabilities.cursors_for(object_name)[0]
        if name not in self.describe(object_name).fields:
            raise ConfigError(f"{object_name} has no stamp property {name!r} to read changes by")
        return name

    def read(self, request: ReadRequest) -> Iterator[Page]:
        name = request.object
        if request.since is not None and not isinstance(request.since, datetime):
            raise ConfigError(f"read {name}: HubSpot reads by a change stamp, not a token")
        if request.batch_size < 1:
            raise ConfigError(f"read {name}: batch_size must be positive")
        groups = request.filter or []
        if not isinstance(groups, list):
            raise ConfigError(f"read {name}: the filter must be a list of HubSpot filterGroups")
        info = self.describe(name)
        cursor = self._cursor(name, request.cursor)
        props = list(dict.fromkeys([*request.fields, cursor]))
        window = reads.Window(name, cursor, props, request.since, request.until, groups)
        gone = reads.archived(self.api, window) if request.include_deleted else []
        for chunk in reads.merged(iter(reads.SearchWalk(self.api, window)), gone, cursor, request.batch_size):
            yield Page([source_record(raw, info, request.fields, cursor) for raw in chunk])

    def _batch_read(
        self, object_name: str, props: list[str], keys: list[str], *, id_property: str | None, archived: bool
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_READ):
            body: dict[str, Any] = {
                "inputs": [{"id": k} for k in keys[start : start + BATCH_READ]],
                "properties": props,
            }
            if id_property:
                body["idProperty"] = id_property
            reply = self.api.call(
                f"batch read {object_name}", self.api.batch.read, object_name, body, archived=archived
            )
            found.extend(reply.body.get("results") or [])
        return found

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        """Records by id from the primary store (not the lagging index); archived ones come back flagged."""
        wanted = list(dict.fromkeys(i for i in ids if i))
        if not wanted:
            return []
        info = self.describe(object_name)
        cursor = self._cursor(object_name, None)
        props = list(dict.fromkeys([*fields, cursor]))
        live = self._batch_read(object_name, props, wanted, id_property=None, archived=False)
        seen = {str(r["id"]) for r in live}
        rest = [i for i in wanted if i not in seen]
        gone = self._batch_read(object_name, props, rest, id_property=None, archived=True) if rest else []
        by_id = {str(r["id"]): source_record(r, info, tuple(fields), cursor) for r in [*live, *gone]}
        return [by_id[i] for i in wanted if i in by_id]

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        info = self.describe(object_name)
        field = info.fields.get(field_name)
        if field is None:
            raise ConfigError(f"{object_name} has no property {field_name!r} to look up by")
        wanted: dict[str, list[Any]] = {}
        for value in values:
            if value not in (None, ""):
                wanted.setdefault(to_wire(field, value).casefold(), []).append(value)
        texts = [group[0] for group in wanted.values()]
        keys = [to_wire(field, v) for v in texts]
        if field.external_id:
            found = self._batch_read(object_name, [field_name], keys, id_property=field_name, archived=False)
        else:
            found = self._search_in(object_name, field_name, keys)
        out: dict[Any, str] = {}
        for raw in sorted(found, key=lambda r: int(r["id"])):
            held = str((raw.get("properties") or {}).get(field_name) or "").casefold()
            for value in wanted.get(held, []):
                out.setdefault(value, str(raw["id"]))
        return out

    def _search_in(self, object_name: str, field_name: str, keys: list[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_READ):
            chunk = keys[start : start + BATCH_READ]
            after = "0"
            while after:
                body = {
                    "filterGroups": [
                        {"filters": [{"propertyName": field_name, "operator": "IN", "values": chunk}]}
                    ],
                    "properties": [field_name],
                    "limit": reads.PAGE,
                    "after": after,
                }
                reply = self.api.call(
                    f"search {object_name} by {field_name}", self.api.search.do_search, object_name, body
                )
                found.extend(reply.body.get("results") or [])
                after = ((reply.body.get("paging") or {}).get("next") or {}).get("after") or ""
        return found

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        writer = BatchWriter(self.api, object_name, self.describe(object_name))
        results: list[WriteResult] = []
        for chunk in plan(ops):
            results.extend(writer.send(chunk))
        return results

    def close(self) -> None:
        self._describes.clear()
