"""Which source fields carry sensitive values: those feeding a target field the mapping calls sensitive.

A mapping's `sensitive` list names target fields (`email`), but a dead letter
also keeps the source record (`Email`), and an expression may build a sensitive
value from several source fields. Every source field a sensitive rule reads
(copy, expression, lookup or link key, a phone transform's `from`) is therefore
sensitive too, as the compiled mapping's own read list says.
"""

from __future__ import annotations

from typing import Any

from officebridge.mapping.checks import source_reads


def sensitive_sources(mapping: Any) -> frozenset[str]:
    """Source field names whose values must be masked wherever the source record is shown."""
    sensitive = set(mapping.sensitive)
    if not sensitive:
        return frozenset()
    return frozenset(
        name
        for name, path, _ in source_reads(mapping)
        if len(path) >= 2 and path[0] == "fields" and path[1] in sensitive
    )
