"""A pair's page, rendered from a real conflict on two in-memory systems (fast tier: no Airflow)."""

from __future__ import annotations

import re
from html import unescape

from officebridge.ui import overview, views
from tests.unit.pair.conftest import Systems, systems  # noqa: F401 - the fixture, reused


def _render(systems: Systems, can_act: bool) -> str:  # noqa: F811
    store, folder = systems.store, systems.file.parent
    page = views.templates.env.get_template("sync.html").render(
        sync=overview.sync_detail(store, overview.MappingCatalogue(folder), "accounts_pair"),
        letters=[], conflicts=overview.conflicts(store, folder, "accounts_pair"),
        resolved=overview.conflicts(store, folder, "accounts_pair", status="replayed"),
        can_act={"accounts_pair": can_act}, base="", here="/syncs/accounts_pair", airflow="",
        counts_shown=overview.COUNTS_SHOWN, reconciled_shown=overview.RECONCILED_SHOWN,
    )  # fmt: skip
    return unescape(page)


def test_an_open_conflict_shows_both_versions_the_base_and_a_button_per_system(
    systems: Systems,  # noqa: F811
) -> None:
    systems.run()
    crm_id, erp_id, was, mine, theirs = systems.edit_rating_on_both_sides()
    systems.run()

    page = _render(systems, can_act=True)
    row = re.search(r'<tr class="field" data-field="rating">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    cells = [" ".join(re.sub(r"<[^>]+>", "", c).split()) for c in cells]
    assert cells == ["rating", mine, theirs, f"{was} / {was}"]
    assert ">Keep a (memory)</button>" in page and ">Keep b (memory)</button>" in page
    assert crm_id in page and erp_id in page
    assert systems.crm.password not in page and systems.erp.password not in page

    viewer = _render(systems, can_act=False)
    assert mine in viewer and "Keep a" not in viewer and "read only" in viewer


def test_a_pair_file_is_three_rows_the_pair_and_its_two_directions(systems: Systems) -> None:  # noqa: F811
    systems.run()
    rows = {v.name: v for v in overview.syncs(systems.store, overview.MappingCatalogue(systems.file.parent))}
    pair, forward, backward = (
        rows[n] for n in ("accounts_pair", "accounts_pair__a_to_b", "accounts_pair__b_to_a")
    )
    assert pair.mapping is not None and pair.mapping.problem is None
    assert pair.mapping.source is not None and pair.mapping.source.label == "memory · account"
    assert forward.last_run is not None and forward.last_run.status == "succeeded"
    assert backward.last_run is not None
    assert forward.health == backward.health == "healthy"
