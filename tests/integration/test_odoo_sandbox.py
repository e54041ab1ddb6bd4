"""The Odoo sandbox, driven by OdooRPC over real HTTP, behaves like an Odoo 17 server."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import odoorpc
import pytest
from odoorpc.error import RPCError

from connectors.odoo.sandbox import OdooSandbox


def rpc_error(call: Any) -> dict[str, Any]:
    with pytest.raises(RPCError) as caught:
        call()
    info: dict[str, Any] = caught.value.info
    return info


def test_version_probe_db_list_and_login(odoo_fresh: OdooSandbox) -> None:
    client = odoorpc.ODOO(odoo_fresh.host, port=odoo_fresh.port)
    assert client.version == "17.0"
    assert client.db.list() == ["officebridge"]
    client.login("officebridge", "admin", "sandbox-pass")
    assert client.env.uid == 2
    assert client.env.context["lang"] == "en_US"
    assert client.env.user.name == "Mitchell Admin"
    assert "res.partner" in client.env and "no.such.model" not in client.env


def test_bad_password_refused_like_odoo(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    client = odoorpc.ODOO(odoo_fresh.host, port=odoo_fresh.port)
    with pytest.raises(RPCError, match="Wrong login ID or password"):
        client.login("officebridge", "admin", "wrong")
    # a valid session whose password no longer matches gets AccessDenied on the object service
    info = rpc_error(
        lambda: odoo_client.json(
            "/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": ["officebridge", 2, "wrong", "res.partner", "search", [[]], {}],
            },
        )
    )
    assert info["code"] == 200 and info["message"] == "Odoo Server Error"
    assert info["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert info["data"]["message"] == "Access Denied"


def test_error_payload_shape(odoo_client: Any) -> None:
    info = rpc_error(lambda: odoo_client.execute_kw("no.model", "search", [[]]))
    assert info["data"]["name"] == "odoo.exceptions.UserError"
    assert info["data"]["message"] == "Object no.model doesn't exist"
    assert set(info["data"]) >= {"name", "message", "arguments", "context", "debug"}
    info = rpc_error(lambda: odoo_client.execute_kw("res.partner", "search", [[["nope", "=", 1]]]))
    assert info["data"]["name"] == "builtins.ValueError"
    assert info["data"]["message"] == "Invalid field res.partner.nope in leaf ('nope', '=', 1)"
    info = rpc_error(lambda: odoo_client.execute_kw("res.partner", "create", [{"name": "x", "nope": 1}]))
    assert info["data"]["message"] == "Invalid field 'nope' on model 'res.partner'"
    info = rpc_error(lambda: odoo_client.execute_kw("res.partner", "_compute_display_name", [[1]]))
    assert info["data"]["name"] == "odoo.exceptions.AccessError"
    info = rpc_error(
        lambda: odoo_client.execute_kw("res.partner", "create", [{"name": "x", "type": "bogus"}])
    )
    assert info["data"]["message"] == "Wrong value for res.partner.type: 'bogus'"


def test_domains(odoo_client: Any) -> None:
    partner = odoo_client.env["res.partner"]
    de = partner.search_read([["country_id.code", "=", "DE"], ["is_company", "=", True]], ["country_id"])
    assert de and all(r["country_id"][1] == "Germany" for r in de)
    everyone = set(partner.search([]))
    companies = set(partner.search([["is_company", "=", True]]))
    people = set(partner.search(["!", ["is_company", "=", True]]))
    assert companies and people and companies | people == everyone and not companies & people
    either = set(partner.search(["|", ["ref", "=", "C00001"], ["ref", "=", "C00002"]]))
    assert either == set(partner.search([["ref", "in", ["C00001", "C00002"]]])) and len(either) == 2
    both = partner.search(["&", ["ref", "=", "C00001"], ["ref", "=", "C00002"]])
    assert both == []
    pid = partner.create({"name": "Jürgen MÜLLER", "email": "jm@example.com"})
    assert pid in partner.search([["name", "ilike", "müller"]])
    assert pid not in partner.search([["name", "like", "müller"]])
    assert pid in partner.search([["name", "=ilike", "jürgen%"]])
    assert pid in partner.search([["email", "!=", False], ["email", "not ilike", "info@"]])
    parent = companies.pop()
    kids = partner.search([["id", "child_of", parent]])
    assert parent in kids and all(k == parent or k in everyone for k in kids)


def test_active_test_order_offset_limit(odoo_client: Any) -> None:
    partner = odoo_client.env["res.partner"]
    active = partner.search_count([])
    archived = partner.search_count([["active", "=", False]])
    assert archived > 0
    all_of_them = odoo_client.execute_kw(
        "res.partner", "search_count", [[]], {"context": {"active_test": False}}
    )
    assert all_of_them == active + archived
    ordered = partner.search([], order="write_date asc, id asc")
    assert partner.search([], order="write_date asc, id asc", offset=5, limit=10) == ordered[5:15]
    rows = partner.search_read([], ["write_date"], order="write_date desc, id desc", limit=20)
    keys = [(r["write_date"], r["id"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    info = rpc_error(lambda: partner.search([], order="nope asc"))
    assert info["data"]["name"] == "odoo.exceptions.UserError"


def test_create_write_unlink_read_semantics(odoo_client: Any) -> None:
    partner = odoo_client.env["res.partner"]
    company = partner.create(
        {"name": "Ørsted Vind A/S", "is_company": True, "country_id": 17, "vat": "DK123"}
    )
    contacts = odoo_client.execute_kw(
        "res.partner",
        "create",
        [[{"name": "Søren", "parent_id": company}, {"name": "Zoë", "parent_id": company}]],
    )
    assert isinstance(company, int) and len(contacts) == 2
    rows = partner.read(
        contacts, ["display_name", "parent_id", "vat", "country_id", "create_date", "write_date"]
    )
    assert rows[0]["display_name"] == "Ørsted Vind A/S, Søren"
    assert rows[0]["parent_id"] == [company, "Ørsted Vind A/S"]
    assert rows[0]["vat"] == "DK123" and rows[0]["country_id"][0] == 17  # commercial and address sync
    assert rows[0]["write_date"] == rows[1]["write_date"]  # one transaction, one timestamp
    assert partner.read([company], ["child_ids"])[0]["child_ids"] == contacts
    classic = odoo_client.execute_kw(
        "res.partner", "read", [contacts[:1], ["parent_id"]], {"load": "_classic_write"}
    )
    assert classic[0]["parent_id"] == company
    assert partner.write([company], {"name": "Ørsted"}) is True
    assert partner.read(contacts[:1], ["display_name"])[0]["display_name"] == "Ørsted, Søren"
    assert partner.unlink([contacts[1]]) is True
    assert partner.read([contacts[1]], ["name"]) == []
    info = rpc_error(lambda: partner.write([contacts[1]], {"name": "gone"}))
    assert info["data"]["name"] == "odoo.exceptions.MissingError"
    assert partner.read([contacts[0], contacts[1]], ["name"]) == [{"id": contacts[0], "name": "Søren"}]
    empty = partner.read([contacts[0]], ["phone", "customer_rank", "street2"])[0]
    assert empty["phone"] is False and empty["customer_rank"] == 0


def test_list_create_is_atomic_and_record_error(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    partner = odoo_client.env["res.partner"]
    before = partner.search_count([])
    odoo_fresh.add_fault(
        "record_error", field="email", value="bad@example.com", message="Invalid email address"
    )
    info = rpc_error(
        lambda: odoo_client.execute_kw(
            "res.partner",
            "create",
            [[{"name": "Good", "email": "good@example.com"}, {"name": "Bad", "email": "bad@example.com"}]],
        )
    )
    assert info["data"]["name"] == "odoo.exceptions.ValidationError"
    assert info["data"]["message"] == "Invalid email address"
    assert partner.search_count([]) == before
    assert isinstance(partner.create({"name": "Good", "email": "good@example.com"}), int)


def test_write_date_and_set_write_date(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    partner = odoo_client.env["res.partner"]
    pid = partner.create({"name": "Stamp"})
    odoo_fresh.set_write_date("res.partner", [pid], "2020-05-05 10:00:00")
    assert partner.read([pid], ["write_date"])[0]["write_date"] == "2020-05-05 10:00:00"
    assert pid in partner.search([["write_date", "=", "2020-05-05 10:00:00"]])
    assert pid in partner.search([["write_date", "<=", "2020-05-05"]])
    partner.write([pid], {"name": "Stamp 2", "write_date": "1999-01-01 00:00:00"})
    assert partner.read([pid], ["write_date"])[0]["write_date"] > "2020-05-05 10:00:00"


def test_archive_and_xmlids(odoo_client: Any) -> None:
    partner = odoo_client.env["res.partner"]
    pid = partner.create({"name": "Archive me"})
    assert odoo_client.execute_kw("res.partner", "action_archive", [[pid]]) is True
    assert pid not in partner.search([["name", "=", "Archive me"]])
    assert partner.read([pid], ["active"])[0]["active"] is False
    odoo_client.execute_kw(
        "ir.model.data", "create", [{"module": "ob", "name": "p1", "model": "res.partner", "res_id": pid}]
    )
    assert odoo_client.execute("ir.model.data", "check_object_reference", "ob", "p1") == ["res.partner", pid]
    info = rpc_error(lambda: odoo_client.execute("ir.model.data", "check_object_reference", "ob", "zz"))
    assert info["data"]["message"] == "External ID not found in the system: ob.zz"


def test_fields_get_from_catalogue(odoo_client: Any) -> None:
    fields = odoo_client.execute_kw("res.partner", "fields_get", [], {"attributes": ["type", "relation"]})
    assert fields["country_id"] == {"type": "many2one", "relation": "res.country"}
    full = odoo_client.execute_kw("res.partner", "fields_get", [["type"]])
    assert "note" not in full["type"] and "module" not in full["type"]
    assert ["contact", "Contact"] in full["type"]["selection"]


def _post(url: str, body: dict[str, Any]) -> urllib.request.Request:
    return urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


def test_http_faults_and_stats(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    odoo_fresh.reset_stats()
    odoo_fresh.add_fault("rate_limit", retry_after=3)
    with pytest.raises(urllib.error.HTTPError) as caught:
        odoo_client.execute_kw("res.partner", "search_count", [[]])
    assert caught.value.code == 429 and caught.value.headers["Retry-After"] == "3"
    odoo_fresh.add_fault("server_error", path="^/jsonrpc$")
    with pytest.raises(urllib.error.HTTPError) as caught:
        odoo_client.execute_kw("res.partner", "search_count", [[]])
    assert caught.value.code == 503
    assert odoo_client.execute_kw("res.partner", "search_count", [[]]) > 0  # faults are used up
    stats = odoo_fresh.stats()
    assert stats["requests"] == 3 and stats["by_route"] == {"/jsonrpc": 3}


def test_timeout_fault(odoo_fresh: OdooSandbox) -> None:
    client = odoorpc.ODOO(odoo_fresh.host, port=odoo_fresh.port, timeout=0.3)
    client.login("officebridge", "admin", "sandbox-pass")
    odoo_fresh.add_fault("timeout", seconds=0.8)
    with pytest.raises(TimeoutError):
        client.env["res.partner"].search_count([])


def test_slow_create_lands_after_the_client_gave_up(odoo_fresh: OdooSandbox) -> None:
    client = odoorpc.ODOO(odoo_fresh.host, port=odoo_fresh.port, timeout=0.3)
    client.login("officebridge", "admin", "sandbox-pass")
    partner = client.env["res.partner"]
    odoo_fresh.add_fault("slow", seconds=0.8, operation=r"^res\.partner\.create$")
    assert partner.search_count([("name", "=", "Late Ltd")]) == 0  # a search is not slowed
    with pytest.raises(TimeoutError):
        partner.create({"name": "Late Ltd"})
    time.sleep(1.0)
    assert partner.search_count([("name", "=", "Late Ltd")]) == 1
    assert odoo_fresh.stats()["by_operation"]["res.partner.create"] == 1


@pytest.mark.parametrize(("after", "landed"), [(False, 0), (True, 1)])
def test_drop_loses_the_answer(odoo_fresh: OdooSandbox, odoo_client: Any, after: bool, landed: int) -> None:
    odoo_fresh.add_fault("drop", after=after, operation="res.partner.create")
    with pytest.raises(http.client.RemoteDisconnected):
        odoo_client.env["res.partner"].create({"name": "Dropped Ltd"})
    assert odoo_client.env["res.partner"].search_count([("name", "=", "Dropped Ltd")]) == landed


def test_server_error_is_not_applied(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    odoo_fresh.add_fault("server_error", status=500, operation="create")
    with pytest.raises(urllib.error.HTTPError) as caught:
        odoo_client.env["res.partner"].create({"name": "Never Ltd"})
    assert caught.value.code == 500 and b"<html>" in caught.value.read()
    assert odoo_client.env["res.partner"].search_count([("name", "=", "Never Ltd")]) == 0


def test_record_error_names_object_and_code(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    odoo_fresh.add_fault("record_error", object="res.partner", field="ref", value="X1", code="UserError")
    odoo_fresh.add_fault("record_error", object="res.country", field="name", value="Fine")
    partner = odoo_client.env["res.partner"]
    info = rpc_error(lambda: partner.create({"name": "Fine", "ref": "X1"}))
    assert info["data"]["name"] == "odoo.exceptions.UserError" and "'ref'" in info["data"]["message"]
    assert isinstance(partner.create({"name": "Fine", "ref": "X2"}), int)
    assert odoo_fresh.stats()["faults"] == {"record_error": 1}


def test_expire_sessions_answers_code_100(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    odoo_fresh.add_fault("expire_sessions")
    info = rpc_error(lambda: odoo_client.execute_kw("res.partner", "search_count", [[]]))
    assert info["code"] == 100 and info["message"] == "Odoo Session Expired"
    odoo_client.login("officebridge", "admin", "sandbox-pass")  # a new session works
    assert odoo_client.execute_kw("res.partner", "search_count", [[]]) > 0


def test_admin_http_control(odoo_fresh: OdooSandbox) -> None:
    url = odoo_fresh.url
    urllib.request.urlopen(
        _post(url + "/_sandbox/faults", {"kind": "server_error", "times": 1, "status": 502})
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(
            _post(
                url + "/jsonrpc",
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {"service": "db", "method": "list", "args": []},
                },
            )
        )
    assert caught.value.code == 502
    with urllib.request.urlopen(urllib.request.Request(url + "/_sandbox/stats")) as answer:
        assert json.load(answer)["requests"] == 1
    urllib.request.urlopen(urllib.request.Request(url + "/_sandbox/stats", method="DELETE"))
    assert odoo_fresh.stats()["requests"] == 0
    with urllib.request.urlopen(_post(url + "/_sandbox/seed", {"accounts": 5, "seed": 1})) as answer:
        assert json.load(answer)["companies"] == 5
    with urllib.request.urlopen(
        _post(
            url + "/jsonrpc",
            {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 77,
                "params": {"service": "db", "method": "list", "args": []},
            },
        )
    ) as answer:
        assert json.load(answer) == {"jsonrpc": "2.0", "id": 77, "result": ["officebridge"]}


def test_expire_sessions_admin_route(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    urllib.request.urlopen(_post(odoo_fresh.url + "/_sandbox/sessions/expire", {}))
    info = rpc_error(lambda: odoo_client.execute_kw("res.partner", "search_count", [[]]))
    assert info["code"] == 100


def test_serve_command_line(tmp_path: Path) -> None:
    """`officebridge sandbox up` runs exactly this command; --port 0 lets the OS choose."""
    cmd = [sys.executable, "-m", "connectors.odoo.sandbox", "serve", "--home", str(tmp_path)]
    proc = subprocess.Popen(
        [*cmd, "--host", "127.0.0.1", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert "'companies': 3" in proc.stderr.readline()
        conn = json.loads(proc.stdout.readline())
        assert conn["conn_type"] == "odoo" and conn["port"] > 0
        client = odoorpc.ODOO(conn["host"], port=conn["port"], timeout=10)
        client.login(conn["schema"], conn["login"], conn["password"])
        assert client.env["res.partner"].search_count([("is_company", "=", True)]) > 3
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_seed_is_deterministic_and_fast(odoo_fresh: OdooSandbox, odoo_client: Any) -> None:
    first = odoo_client.execute_kw(
        "res.partner", "search_read", [[]], {"fields": ["name", "email"], "order": "id"}
    )
    odoo_fresh.seed(accounts=30, seed=7)
    again = odoo_client.execute_kw(
        "res.partner", "search_read", [[]], {"fields": ["name", "email"], "order": "id"}
    )
    assert first == again
    assert any(any(ord(ch) > 127 for ch in r["name"]) for r in first)
    assert odoo_client.execute_kw("res.country", "search_count", [[]]) >= 60
