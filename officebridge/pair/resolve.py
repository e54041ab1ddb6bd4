"""Settle a manual conflict: an analyst picks a side (or a value) and both systems get it.

A conflict letter (stage `conflict`) names the pair, both record ids and each
conflicting field with both versions and the base. Resolving it, under the
pair's lock so no run interleaves: both records are read again (the versions
may have moved since), the chosen value is written to whichever side differs,
both are read back, the pair link's bases move to what each side now reports
(so neither write is taken for an edit), and the letter is closed with what
was decided, when and by whom.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from officebridge.connector import OpKind, WriteOp
from officebridge.errors import ConfigError, RemoteProtocolError
from officebridge.pair.loader import is_pair_file, load_pair
from officebridge.pair.run import PairDirection
from officebridge.pair.runner import prepared_pair
from officebridge.pair.spec import PairField, Side, other
from officebridge.pair.values import normal
from officebridge.state import DeadLetter, StateStore
from officebridge.state.records import PairLink
from officebridge.sync.run import RunOptions


@dataclass(frozen=True, slots=True)
class Resolution:
    letter: int
    pair: str
    took: str  # 'a', 'b' or 'value'
    fields: dict[str, dict[str, Any]]  # field -> {"a": value on side a, "b": value on side b}
    written: tuple[str, ...]  # the sides that were written ('a', 'b')


def find_pair_file(pair: str, mappings_dir: Path) -> Path:
    for folder in (mappings_dir / "pairs", mappings_dir):
        for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
            if is_pair_file(path) and load_pair(path).name == pair:
                return path
    raise ConfigError(f"no two-way mapping named {pair!r} in {mappings_dir}/pairs or {mappings_dir}")


def conflict_letter(store: StateStore, letter_id: int) -> DeadLetter:
    letter = store.dead_letter(letter_id)
    if letter is None:
        raise ConfigError(f"there is no dead letter {letter_id}")
    if letter.stage != "conflict":
        raise ConfigError(
            f"dead letter {letter_id} is not a conflict (stage {letter.stage}); replay it instead"
        )
    if letter.status != "open":
        done = "resolved" if letter.status == "replayed" else letter.status
        raise ConfigError(f"conflict {letter_id} is already {done}")
    return letter


def resolve(
    store: StateStore,
    letter_id: int,
    *,
    take: Side | None = None,
    values: dict[str, Any] | None = None,
    mappings_dir: Path,
    by: str | None = None,
) -> Resolution:
    """Resolve one conflict by taking side `take`, or the given side-a `values` per field.

    `by` is who decided (the Airflow user from the Syncs view; the OS user from the CLI).
    The letter is checked open again once the pair's lock is held: of two resolutions
    of one conflict at once (a double click, the view and the CLI), one wins, the other
    is refused before it writes anything.
    """
    if (take is None) == (values is None):
        raise ConfigError("choose a side (--take a|b) or give the values (--value FIELD=VALUE), not both")
    letter = conflict_letter(store, letter_id)
    pair_name = str(letter.payload.get("pair"))
    path = find_pair_file(pair_name, mappings_dir)
    options = RunOptions(trigger="resolve")
    with (
        prepared_pair(path, store, options) as (forward, _backward),
        store.lock(pair_name, ttl=options.lock_ttl),
    ):
        letter = conflict_letter(store, letter_id)  # again, under the lock
        return _resolve(forward, letter, take, values or {}, by or _who())


def _resolve(
    forward: PairDirection, letter: DeadLetter, take: Side | None, given: dict[str, Any], by: str
) -> Resolution:
    pair, store = forward.pair, forward.store
    a_id, b_id = str(letter.payload["a_id"]), str(letter.payload["b_id"])
    names = list(letter.payload.get("fields", {}))
    fields = [f for f in pair.fields if f.name in names]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ConfigError(f"conflict {letter.id} is about {', '.join(names)}, not {', '.join(unknown)}")
    a_rec, b_rec = _read(forward, "a", a_id), _read(forward, "b", b_id)
    chosen: dict[str, dict[str, Any]] = {}
    for f in fields:
        if take is not None:
            source = a_rec if take == "a" else b_rec
            value = source.get(f.field(take))
            chosen[f.name] = {take: value, other(take): _across(f, value, take)}
        elif f.name in given:
            chosen[f.name] = {"a": given[f.name], "b": _across(f, given[f.name], "a")}
    if not chosen:
        raise ConfigError(f"no value given for any field of conflict {letter.id} ({', '.join(names)})")
    written: list[str] = []
    sides: list[tuple[Side, dict[str, Any], str]] = [("a", a_rec, a_id), ("b", b_rec, b_id)]
    for side, record, record_id in sides:
        changes = {
            f.field(side): chosen[f.name][side]
            for f in fields
            if f.name in chosen and normal(record.get(f.field(side))) != normal(chosen[f.name][side])
        }
        if changes:
            _write(forward, side, record_id, changes)
            written.append(side)
    link = store.pair_links(pair.name, "a", [a_id]).get(a_id)
    a_now, b_now = _read(forward, "a", a_id), _read(forward, "b", b_id)
    if link is not None:
        a_vals, b_vals = dict(link.a_values), dict(link.b_values)
        for f in fields:
            if f.name in chosen:
                a_vals[f.a], b_vals[f.b] = normal(a_now.get(f.a)), normal(b_now.get(f.b))
        store.put_pair_links(pair.name, [_moved(link, a_vals, b_vals)])
    took = take or "value"
    store.close_conflict(
        letter.id,
        {
            "took": took,
            "fields": chosen,
            "written": written,
            "at": datetime.now(UTC).isoformat(),
            "by": by,
        },
    )
    return Resolution(letter.id, pair.name, took, chosen, tuple(written))


def _across(f: PairField, value: Any, side: Side) -> Any:
    """The value as the other side spells it (through the field's value map)."""
    if f.value_map is None:
        return value
    pairs = f.value_map if side == "a" else tuple((b, a) for a, b in f.value_map)
    return dict(pairs).get(value, value)


def _connector(forward: PairDirection, side: Side) -> Any:
    return forward.source if side == forward.side else forward.target


def _read(forward: PairDirection, side: Side, record_id: str) -> dict[str, Any]:
    spec = forward.pair.side(side)
    found = _connector(forward, side).fetch(spec.object, list(forward.pair.kept(side)), [record_id])
    if not found:
        raise RemoteProtocolError(
            f"{spec.system} {spec.object} {record_id} no longer exists; nothing to resolve"
        )
    return dict(found[0].fields)


def _write(forward: PairDirection, side: Side, record_id: str, values: dict[str, Any]) -> None:
    spec = forward.pair.side(side)
    [result] = _connector(forward, side).write(
        spec.object, [WriteOp(OpKind.UPDATE, record_id, values, record_id)]
    )
    if not result.ok:
        raise RemoteProtocolError(
            f"{spec.system} refused the resolution of {spec.object} {record_id}: "
            f"{result.message or result.error_code}"
        )


def _moved(link: PairLink, a_values: dict[str, Any], b_values: dict[str, Any]) -> PairLink:
    return PairLink(
        link.pair,
        link.a_id,
        link.b_id,
        a_values,
        b_values,
        link.a_stamp,
        link.b_stamp,
        link.a_state,
        link.b_state,
    )


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
