"""The typed form of a two-way mapping file: two sides, shared fields, conflict policies.

A pair is declared once (`mappings/pairs/<name>.yaml`) and runs as two
directional syncs, `<name>__a_to_b` and `<name>__b_to_a`. Each direction is an
ordinary `Mapping` (so the compiler, the quality gate and the write path are the
ones every sync uses); what makes them a pair lives here: which field of side a
is which field of side b, which way each flows, and who wins when both sides
changed it since the last sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from officebridge.mapping.spec import DeletePolicy, Mapping

Side = Literal["a", "b"]
Direction = Literal["both", "a_to_b", "b_to_a"]
Conflict = Literal["a_wins", "b_wins", "newest_wins", "manual"]
CONFLICTS: tuple[Conflict, ...] = ("a_wins", "b_wins", "newest_wins", "manual")
DIRECTIONS: tuple[Direction, ...] = ("both", "a_to_b", "b_to_a")


def other(side: Side) -> Side:
    return "b" if side == "a" else "a"


@dataclass(frozen=True, slots=True)
class SideSpec:
    """One system of the pair and how it takes part.

    `match` names this side's field that holds the other side's record id (how
    a record created here is found again after a crash); `create` says whether a
    record new on the other side is created here; `on_delete` what happens to
    this side's record when its partner is deleted on the other side.
    """

    key: Side
    system: str
    connection: str
    object: str
    cursor: str | None = None
    filter: Any = None
    deletes: bool = False
    match: str | None = None
    create: bool = True
    on_delete: DeletePolicy = "ignore"


@dataclass(frozen=True, slots=True)
class PairField:
    """One field shared by both sides: `a` on side a is `b` on side b.

    `value_map` is given a -> b and is a bijection (checked at load), so the way
    back is its inverse. A field that flows one way only may carry transforms;
    one that flows both ways may not (none of them round-trips exactly).
    """

    name: str
    a: str
    b: str
    direction: Direction = "both"
    conflict: Conflict = "manual"
    value_map: tuple[tuple[object, object], ...] | None = None

    def flows(self, side_from: Side) -> bool:
        return self.direction == "both" or self.direction == f"{side_from}_to_{other(side_from)}"

    def field(self, side: Side) -> str:
        return self.a if side == "a" else self.b


@dataclass(frozen=True, slots=True)
class PairMapping:
    """A two-way sync: its sides, shared fields and its two directional mappings."""

    name: str
    file: str
    a: SideSpec
    b: SideSpec
    fields: tuple[PairField, ...]
    a_to_b: Mapping
    b_to_a: Mapping
    description: str = ""
    schedule: str | None = None
    adopt_links: tuple[str, ...] = ()  # directional syncs whose links the pair starts from

    def side(self, key: Side) -> SideSpec:
        return self.a if key == "a" else self.b

    def direction(self, side_from: Side) -> Mapping:
        return self.a_to_b if side_from == "a" else self.b_to_a

    def shared(self, side_from: Side) -> tuple[PairField, ...]:
        """The shared fields that flow from `side_from` to the other side."""
        return tuple(f for f in self.fields if f.flows(side_from))

    def kept(self, side: Side) -> tuple[str, ...]:
        """This side's fields whose last synced values the pair link keeps (its base)."""
        names = [f.field(side) for f in self.fields]
        names += [r.target for r in self.direction(other(side)).fields]
        return tuple(dict.fromkeys(names))

    @property
    def syncs(self) -> tuple[str, str]:
        return self.a_to_b.name, self.b_to_a.name
