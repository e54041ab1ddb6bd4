"""The values erasure passes around: a record in some system, and a link from one record to another."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["source", "target"]


@dataclass(frozen=True, slots=True, order=True)
class RecordRef:
    """One record of one object in one system (through one connection), by its id."""

    system: str
    connection: str
    object: str
    id: str

    def __str__(self) -> str:
        return f"{self.system} {self.object} {self.id}"

    @property
    def where(self) -> tuple[str, str, str]:
        """The (system, connection, object) the record lives in."""
        return (self.system, self.connection, self.object)


@dataclass(frozen=True, slots=True)
class Linked:
    """`record` is linked, by sync (or pair) `sync`, to the record it was asked about.

    `role` is the part `record` plays in that sync: its source or its target.
    """

    record: RecordRef
    sync: str
    role: Role
