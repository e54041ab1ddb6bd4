"""A mapping's erasure policy: what `officebridge erase` does to one person's records of this sync.

The optional top-level `erasure:` block says which source field holds the
person's email (`identify`) and, for each side, whether the record is deleted,
anonymised (the listed fields get the listed values) or kept. It is checked
when the mapping loads, like everything else: the words and shapes here (the
JSON Schema only says "text or a mapping"), the operations each side needs
from the systems' manifests (delete needs delete, anonymise needs update) and,
when the systems can be asked, that every named field exists and is writable.
The erasure itself lives in `officebridge.erasure`; this module only declares.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, Literal

from officebridge.connector import ObjectInfo, OpKind, manifests

if TYPE_CHECKING:
    from collections.abc import Callable

    from officebridge.mapping.loader import Collector
    from officebridge.mapping.spec import Mapping

Action = Literal["delete", "anonymise", "keep"]
ACTIONS: tuple[Action, ...] = ("delete", "anonymise", "keep")
_NEEDS = {"delete": OpKind.DELETE, "anonymise": OpKind.UPDATE}


@dataclass(frozen=True, slots=True)
class SidePolicy:
    """What happens to one side's record: its action and, for anonymise, the values written."""

    action: Action
    values: tuple[tuple[str, Any], ...] = ()  # field -> the value anonymise writes (None empties it)

    @property
    def changes(self) -> bool:
        return self.action != "keep"


@dataclass(frozen=True, slots=True)
class ErasurePolicy:
    identify: str  # the source field that holds the person's email
    source: SidePolicy
    target: SidePolicy


def with_erasure(
    mapping: Mapping | None,
    data: dict[str, Any],
    out: Collector,
    describe: Callable[[str, str, str], ObjectInfo | None] | None = None,
) -> Mapping | None:
    """The mapping with its `erasure` policy attached; every problem of the block goes to `out`."""
    raw = data.get("erasure")
    if raw is None or not isinstance(raw, dict):
        return mapping  # absent, or not a mapping: the schema reports the type
    identify = raw.get("identify")
    source = _side(raw.get("source"), "source", out)
    target = _side(raw.get("target"), "target", out)
    if mapping is None or not isinstance(identify, str) or not identify or source is None or target is None:
        return mapping
    policy = ErasurePolicy(identify=identify, source=source, target=target)
    _check_operations(mapping, policy, out)
    if describe is not None:
        _check_fields(mapping, policy, describe, out)
    return replace(mapping, erasure=policy)


def _side(raw: Any, side: str, out: Collector) -> SidePolicy | None:
    if isinstance(raw, str):
        return _word(raw, side, out)
    values = raw.get("anonymise") if isinstance(raw, dict) else None
    if not isinstance(values, dict) or not values or any(isinstance(v, dict | list) for v in values.values()):
        return None  # missing, mistyped, unknown keys, an empty or nested `anonymise`: the schema says it
    return SidePolicy("anonymise", tuple((str(k), v) for k, v in values.items()))


def _word(raw: str, side: str, out: Collector) -> SidePolicy | None:
    path = ("erasure", side)
    if raw in ("delete", "keep"):
        return SidePolicy(raw)  # type: ignore[arg-type]
    if raw == "anonymise":
        out.add(path, f"erasure.{side}: anonymise needs the values to write, e.g. "
                f"{side}: {{anonymise: {{Email: null, LastName: '[erased]'}}}}")  # fmt: skip
        return None
    hint = get_close_matches(raw, ACTIONS, n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    out.add(path, f"erasure.{side} must be delete, keep or {{anonymise: {{field: value}}}} "
            f"(got {raw!r}){extra}")  # fmt: skip
    return None


def _check_operations(mapping: Mapping, policy: ErasurePolicy, out: Collector) -> None:
    """Each side's action must be an operation its system declares (from the manifests, offline)."""
    found = manifests()
    sides = (("source", mapping.source, policy.source), ("target", mapping.target, policy.target))
    for side, spec, rule in sides:
        needed = _NEEDS.get(rule.action)
        manifest = found.get(spec.system)
        if needed is None or manifest is None or needed in manifest.capabilities.operations:
            continue
        can = ", ".join(op.value for op in OpKind if op in manifest.capabilities.operations) or "nothing"
        out.add(("erasure", side), f"erasure.{side} {rule.action} needs {needed.value}, which {spec.system} "
                f"does not support for {spec.object}; it supports: {can}")  # fmt: skip


def _check_fields(
    mapping: Mapping,
    policy: ErasurePolicy,
    describe: Callable[[str, str, str], ObjectInfo | None],
    out: Collector,
) -> None:
    """`identify` and every anonymised field exist on their objects, and anonymised ones are writable."""
    source = describe(mapping.source.system, mapping.source.connection, mapping.source.object)
    target = describe(mapping.target.system, mapping.target.connection, mapping.target.object)
    if source is not None:
        _known(source, policy.identify, ("erasure", "identify"), mapping.source.system, out)
    for side, info, rule, system in (("source", source, policy.source, mapping.source.system),
                                     ("target", target, policy.target, mapping.target.system)):  # fmt: skip
        if info is None:
            continue
        for name, _value in rule.values:
            path = ("erasure", side, "anonymise", name)
            if _known(info, name, path, system, out) and info.fields[name].readonly:
                out.add(path, f"erasure.{side}.anonymise: {name!r} is read-only on {system} {info.name}; "
                        "it cannot be anonymised", at_key=True)  # fmt: skip


def _known(info: ObjectInfo, name: str, path: tuple[str, ...], system: str, out: Collector) -> bool:
    if name in info.fields:
        return True
    hint = get_close_matches(name, sorted(info.fields), n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    out.add(path, f"unknown field {name!r} on {system} {info.name}{extra}", at_key=len(path) > 2)
    return False
