"""A two-way sync between two in-memory systems: edits flow both ways, echoes stop, conflicts surface."""

from __future__ import annotations

from tests.unit.pair.conftest import Systems


def test_first_run_creates_partners_and_second_run_writes_nothing(systems: Systems) -> None:
    forward, _backward = systems.run()
    assert forward.counts.created == 5 and forward.status == "succeeded"
    assert len(systems.live(systems.erp)) == 5
    for crm_id, row in systems.live(systems.crm).items():
        assert systems.partner(crm_id)["name"] == row["name"]
    again = systems.run()
    assert [r.counts.created + r.counts.updated for r in again] == [0, 0]


def test_an_edit_on_each_side_flows_to_the_other_and_stops(systems: Systems) -> None:
    systems.run()
    crm_id = sorted(systems.live(systems.crm))[0]
    erp_id = systems.partner(crm_id)["id"]
    systems.edit(systems.crm, crm_id, employees=4242)
    systems.edit(systems.erp, erp_id, city="Lyon")
    first = systems.run()
    assert systems.partner(crm_id)["employees"] == 4242
    assert systems.live(systems.crm)[crm_id]["city"] == "Lyon"
    assert sum(r.counts.updated for r in first) == 2
    settled = systems.run()
    assert sum(r.counts.updated + r.counts.created for r in settled) == 0  # no ping-pong


def test_same_field_changed_on_both_sides_manual_is_a_conflict(systems: Systems) -> None:
    systems.run()
    crm_id, _erp_id, was, mine, theirs = systems.edit_rating_on_both_sides()
    systems.run()
    assert systems.live(systems.crm)[crm_id]["rating"] == mine  # neither side touched
    assert systems.partner(crm_id)["rating"] == theirs
    letters = systems.store.dead_letters("accounts_pair")
    assert [(d.stage, d.source_id) for d in letters] == [("conflict", crm_id)]
    fields = letters[0].payload["fields"]
    assert fields["rating"]["a"] == mine and fields["rating"]["b"] == theirs
    assert fields["rating"]["base_a"] == was == fields["rating"]["base_b"]
    assert sum(r.counts.updated for r in systems.run()) == 0  # an open conflict is not written


def test_owner_wins_a_conflict(systems: Systems) -> None:
    systems.run()
    crm_id = sorted(systems.live(systems.crm))[0]
    erp_id = systems.partner(crm_id)["id"]
    systems.edit(systems.crm, crm_id, city="Paris")
    systems.edit(systems.erp, erp_id, city="Lyon")  # city is owned by b
    systems.run()
    assert systems.live(systems.crm)[crm_id]["city"] == "Lyon"
    assert systems.partner(crm_id)["city"] == "Lyon"
    assert systems.store.dead_letters("accounts_pair") == []
    assert sum(r.counts.updated for r in systems.run()) == 0


def test_a_record_born_on_side_b_is_created_on_side_a(systems: Systems) -> None:
    systems.run()
    erp_id = systems.create(systems.erp, name="Born in ERP", city="Nantes")
    systems.run()
    [crm] = [r for r in systems.live(systems.crm).values() if r["name"] == "Born in ERP"]
    assert crm["external_ref"] == erp_id
    assert sum(r.counts.created + r.counts.updated for r in systems.run()) == 0


def test_a_deletion_archives_the_partner_without_bouncing(systems: Systems) -> None:
    systems.run()
    crm_id = sorted(systems.live(systems.crm))[0]
    erp_id = systems.partner(crm_id)["id"]
    systems.delete(systems.crm, crm_id)
    systems.run()
    assert erp_id not in systems.live(systems.erp)  # archived
    again = systems.run()
    assert sum(r.counts.deleted + r.counts.created + r.counts.updated for r in again) == 0
