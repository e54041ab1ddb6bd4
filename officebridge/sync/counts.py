"""Per-run outcome counts: what an ops engineer reads first after a run."""

from __future__ import annotations

from dataclasses import asdict, dataclass

OUTCOMES = ("read", "created", "updated", "unchanged", "skipped", "failed", "deleted")


@dataclass(slots=True)
class Counts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    deleted: int = 0

    def add(self, other: Counts) -> None:
        for name in OUTCOMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def written(self) -> int:
        return self.created + self.updated + self.deleted
