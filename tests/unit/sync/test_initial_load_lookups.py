"""An initial load into a target that holds no match key makes no match lookups, and loses no guarantee.

The planner asks the target once whether any record holds a value in the match
field (`has_values`). When none does and the sync has no link yet, the keys of
its records (their own source ids) cannot be found: they are not looked up.
Everything else is looked up as before: a record made by hand, a write that
landed with its answer lost, a key that is not the record's own id.
"""

from __future__ import annotations

from datetime import timedelta

from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp
from officebridge.testing.memory.connector import MemoryConnector
from tests.unit.sync.conftest import Pair

TWO_PER_KEY = """\
version: 1
name: crm_accounts
source: {system: memory, connection: crm_test, object: account, cursor: updated_at}
target: {system: memory, connection: erp_test, object: account, match: external_ref, mode: upsert}
fields:
  external_ref: {expr: "concat('K-', city)"}
  name: {copy: name, transforms: [strip]}
"""


def _ops(pair: Pair) -> dict[str, int]:
    return dict(pair.erp.stats()["by_operation"])


def test_an_initial_load_into_an_empty_target_looks_no_key_up(pair: Pair) -> None:
    result = pair.run(pair.accounts, read_batch=7)
    ops = _ops(pair)
    assert (result.status, result.counts.created) == ("succeeded", 20)
    assert ops.get("account.has_values") == 1 and "account.lookup" not in ops
    assert len(pair.erp_rows("account")) == 20
    pair.erp.reset_stats()
    again = pair.run(pair.accounts)  # links exist now: not asked again, nothing to write
    assert (again.counts.unchanged, again.counts.created) == (20, 0)
    assert "account.has_values" not in _ops(pair)


def test_a_record_made_by_hand_is_still_found_and_adopted(pair: Pair) -> None:
    crm_id = pair.crm.rows("account")[0]["id"]
    erp = MemoryConnector(parse_connection("erp_user", pair.erp.connection_value()))
    made = erp.write("account", [WriteOp(OpKind.CREATE, "hand", {"external_ref": crm_id, "name": "By hand"})])
    assert made[0].ok
    result = pair.run(pair.accounts)
    assert (result.counts.created, result.counts.updated) == (19, 1)
    rows = [r for r in pair.erp.rows("account") if r["external_ref"] == crm_id]
    assert len(rows) == 1 and rows[0]["id"] == made[0].target_id
    assert "account.lookup" in _ops(pair)


def test_creates_that_landed_with_their_answer_lost_are_found_by_the_next_run(pair: Pair) -> None:
    pair.erp.add_fault("drop", operation="account.create", after=True)  # applied, answer lost
    first = pair.run(pair.accounts)  # one create request: every record's outcome unknown
    assert first.counts.failed == 20 and len(pair.erp.rows("account")) == 20
    second = pair.run(pair.accounts, settle=timedelta(0))  # settled: looked up before anything is sent
    assert (second.counts.created, second.counts.failed) == (0, 0)  # settled ones adopted, then unchanged
    assert len(pair.erp.rows("account")) == 20  # no duplicate
    assert "account.lookup" in _ops(pair)


def test_keys_that_are_not_source_ids_are_looked_up(pair: Pair) -> None:
    pair.accounts.write_text(TWO_PER_KEY)  # several accounts share a city, so a key
    result = pair.run(pair.accounts, read_batch=1)  # one record a batch: a shared key is met again later
    keys = {r["external_ref"] for r in pair.erp.rows("account")}
    assert result.status in ("succeeded", "partial")
    assert len(pair.erp.rows("account")) == len(keys)  # one record per key, across batches
    assert "account.lookup" in _ops(pair)


def test_two_records_of_one_batch_with_one_match_key_never_make_two_targets(pair: Pair) -> None:
    pair.accounts.write_text(TWO_PER_KEY)  # several accounts share a city, so a key
    result = pair.run(pair.accounts)  # every account in one batch
    rows = pair.erp.rows("account")
    keys = {r["external_ref"] for r in rows}
    assert len(rows) == len(keys)  # one record per key
    letters = pair.store.dead_letters("crm_accounts")
    assert letters and {d.error_code for d in letters} == {"DUPLICATE_MATCH_KEY"}
    assert result.counts.created == len(keys) and result.counts.failed == len(letters)
    assert "is also the key of source record" in letters[0].message
