"""Run a two-way mapping file: both directions, one after the other, under the pair's lock.

Side a's changes go first, then side b's: an edit made on b while a's direction
ran is simply read by b's direction (its watermark has not passed it). Each
direction is an ordinary run with its own run row and watermark, so `status`,
the Syncs view and the dead-letter tools see `<pair>__a_to_b` and
`<pair>__b_to_a` like any sync; conflicts are dead letters of the pair itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from officebridge.connections import resolve_connection
from officebridge.connector import Connector, ObjectInfo, open_connector
from officebridge.mapping import compile_mapping
from officebridge.pair.loader import load_pair
from officebridge.pair.run import PairDirection
from officebridge.pair.spec import PairMapping, Side
from officebridge.state import StateStore
from officebridge.sync.run import DEFAULT_OPTIONS, Progress, RunOptions, RunResult


@dataclass
class PairEndpoints:
    pair: PairMapping
    a: Connector
    b: Connector

    def describe(self, system: str, connection: str, object_name: str) -> ObjectInfo | None:
        for connector, side in ((self.a, self.pair.a), (self.b, self.pair.b)):
            if side.system == system and side.connection == connection:
                return connector.describe(object_name)
        return None

    def side(self, key: Side) -> Connector:
        return self.a if key == "a" else self.b

    def close(self) -> None:
        for connector in (self.a, self.b):
            try:
                connector.close()
            except Exception:
                pass


def connect_pair(pair: PairMapping) -> PairEndpoints:
    a = open_connector(pair.a.system, resolve_connection(pair.a.connection))
    try:
        b = open_connector(pair.b.system, resolve_connection(pair.b.connection))
    except BaseException:
        a.close()
        raise
    return PairEndpoints(pair, a, b)


@contextmanager
def prepared_pair(
    path: str | Path, store: StateStore | None = None, options: RunOptions = DEFAULT_OPTIONS
) -> Iterator[tuple[PairDirection, PairDirection]]:
    """Both directions, ready to run; the file is checked against both live systems first."""
    pair = load_pair(path)
    endpoints = connect_pair(pair)
    own = store is None
    try:
        pair = load_pair(path, describe=endpoints.describe)
        a_to_b, b_to_a = compile_mapping(pair.a_to_b), compile_mapping(pair.b_to_a)
        store = store or StateStore.open()
        yield (
            PairDirection(pair, "a", a_to_b, b_to_a, endpoints.a, endpoints.b, store, options=options),
            PairDirection(pair, "b", b_to_a, a_to_b, endpoints.b, endpoints.a, store, options=options),
        )
    finally:
        endpoints.close()
        if own and store is not None:
            store.close()


def run_pair(
    path: str | Path,
    store: StateStore | None = None,
    options: RunOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
) -> list[RunResult]:
    with prepared_pair(path, store, options) as (forward, backward):
        return [forward.run(progress), backward.run(progress)]
