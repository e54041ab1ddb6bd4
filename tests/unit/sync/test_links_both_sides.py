"""Links read from either side of another sync, list lookups, and links to syncs that do not exist."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from officebridge.errors import MappingError
from officebridge.mapping.compiler import LookupRef
from officebridge.state import StateStore
from officebridge.sync.references import ReferenceResolver
from tests.unit.sync.conftest import Pair

# ERP contacts back into the CRM: the account is found through crm_accounts' links, from their target side
ERP_CONTACTS = """\
version: 1
name: erp_contacts
source: {system: memory, connection: erp_test, object: contact}
target: {system: memory, connection: crm_test, object: contact, match: external_ref}
fields:
  external_ref: id
  last_name: last_name
  account_id:
    link: {sync: crm_accounts, from: account_id, side: target}
    missing: error
"""


def test_a_link_from_the_target_side_gives_the_source_id(pair: Pair) -> None:
    pair.run(pair.accounts)
    erp_accounts = pair.erp_rows("account")  # by CRM id
    crm_id, erp_account = next(iter(erp_accounts.items()))
    [by_hand] = pair.erp.insert("account", [{"name": "Made in the ERP", "active": True}])  # no sync wrote it
    [made, stray] = pair.erp.insert(
        "contact",
        [
            {"last_name": "Back", "account_id": erp_account["id"], "active": True},
            {"last_name": "Stray", "account_id": by_hand, "active": True},
        ],
    )
    path = pair.mappings / "erp_contacts.yaml"
    path.write_text(ERP_CONTACTS)
    result = pair.run(path)
    assert (result.counts.created, result.counts.failed) == (1, 1)
    [back] = [r for r in pair.crm.rows("contact") if r["external_ref"] == made]
    assert back["account_id"] == crm_id
    [letter] = pair.store.dead_letters("erp_contacts")
    assert letter.source_id == stray and letter.stage == "lookup"
    assert "is not a record that sync 'crm_accounts' has written" in letter.message
    assert pair.run(path).counts.created == 0  # the second run writes nothing new


def test_a_link_to_a_sync_that_does_not_exist_is_refused_when_the_run_loads(pair: Pair) -> None:
    path = pair.mappings / "erp_contacts.yaml"
    path.write_text(ERP_CONTACTS.replace("sync: crm_accounts", "sync: crm_acounts"))
    with pytest.raises(MappingError) as caught:
        pair.run(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (9, 18)  # the value after `sync: `
    assert "names sync 'crm_acounts', which no mapping file defines; did you mean 'crm_accounts'?" in str(
        problem
    )
    assert pair.store.dead_letters("erp_contacts") == []  # nothing ran


class _Tags:
    """A target whose `lookup` answers like a connector's, counting its calls."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.calls: list[list[Any]] = []

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        self.calls.append(list(values))
        return {v: self.known[v] for v in values if v in self.known}

    def describe(self, object_name: str) -> Any:
        raise LookupError("not described")


def _resolve(missing: str, mapped: dict[str, dict[str, Any]], tmp_path: Any) -> tuple[dict[str, Any], _Tags]:
    tags = _Tags({"vip": "7", "gold": "9"})
    ref = LookupRef("category_id", "target", "res.partner.category", "name", None, missing)  # type: ignore[arg-type]
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        failures = ReferenceResolver([ref], tags, store).resolve(mapped)  # type: ignore[arg-type]
    return failures, tags


def test_a_list_key_gives_a_list_of_ids_in_one_call(tmp_path: Any) -> None:
    mapped = {
        "a": {"category_id": ["gold", "vip", "gold"]},
        "b": {"category_id": []},
        "c": {"category_id": "vip"},
    }
    failures, tags = _resolve("error", mapped, tmp_path)
    assert failures == {}
    assert mapped == {"a": {"category_id": ["9", "7"]}, "b": {"category_id": []}, "c": {"category_id": "7"}}
    assert len(tags.calls) == 1 and sorted(tags.calls[0]) == ["gold", "vip"]


def test_a_list_key_with_an_unknown_tag_fails_its_record_or_leaves_the_tag_out(tmp_path: Any) -> None:
    mapped = {"a": {"category_id": ["vip", "bronze"]}, "b": {"category_id": ["gold"]}}
    failures, _ = _resolve("error", mapped, tmp_path)
    assert list(failures) == ["a"] and "no res.partner.category with name = 'bronze'" in str(failures["a"])
    assert mapped["b"] == {"category_id": ["9"]}
    mapped = {"a": {"category_id": ["vip", "bronze", None]}}
    failures, _ = _resolve("null", mapped, tmp_path)
    assert failures == {} and mapped == {"a": {"category_id": ["7"]}}
