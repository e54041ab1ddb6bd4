"""How many ops the engine hands one `write()` call: `max_write_batch`, or more for a connector
that declares `max_write_call` (it answers every op of a bigger call), capped by `batch_size`."""

from __future__ import annotations

import dataclasses

import pytest

from officebridge.connector import Capabilities
from officebridge.sync.run import DEFAULT_OPTIONS
from officebridge.sync.runner import prepared
from officebridge.testing.memory.connector import MemoryConnector
from officebridge.testing.memory.manifest import MANIFEST
from tests.unit.sync.conftest import Pair


def caps(**changes: object) -> Capabilities:
    return dataclasses.replace(MANIFEST.capabilities, **changes)  # type: ignore[arg-type]


def test_write_call_is_max_write_batch_unless_a_bigger_call_is_declared() -> None:
    assert caps(max_write_batch=200).write_call == 200
    assert caps(max_write_batch=200, max_write_call=10_000).write_call == 10_000
    assert caps(max_write_batch=200, max_write_call=50).write_call == 200  # never below one request


def write_batch(pair: Pair) -> int:
    with prepared(pair.accounts, pair.store, DEFAULT_OPTIONS) as run:
        return run.write_batch


def test_the_run_hands_a_connector_that_answers_every_op_its_bigger_call(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert write_batch(pair) == MANIFEST.capabilities.max_write_batch
    bigger = dataclasses.replace(MANIFEST, capabilities=caps(max_write_call=5000))
    monkeypatch.setattr(MemoryConnector, "manifest", bigger)
    assert write_batch(pair) == 5000
    text = pair.accounts.read_text().replace("mode: upsert,", "mode: upsert, batch_size: 300,")
    pair.accounts.write_text(text)
    assert write_batch(pair) == 300  # the mapping's batch_size still caps it
