"""The site-separation rule (docs/sites.md): a site is where a supporter works, not access control;
the help queue follows the current site, switching is audited, and only sites in use can be chosen."""

from __future__ import annotations

import json

from kiosk.db import connect
from kiosk.handoff import records as handoffs
from tests.fixtures import query_rows as rows
from tests.fixtures import soup, text_of


def call_staff(app, site_id: int, procedure_id: str) -> int:
    db = connect(app.config["DATABASE"])
    try:
        return db.table("help_requests").insert({"site_id": site_id, "procedure_id": procedure_id, "status": "open",
                                                 "created_at": "2026-11-27T00:00:00+00:00"}).last_pk
    finally:
        db.conn.close()


def queue_titles(client) -> list[str]:
    page = soup(client.get("/staff/help", headers={"HX-Request": "true"}))
    return [text_of(title) for title in page.select(".k-queue__title")]


def switches(app) -> list[dict]:
    return rows(app, "select users.username, entity, entity_id, before, after from audit_log "
                     "join users on users.id = audit_log.user_id where action = 'switch-site' order by audit_log.id")


def test_switching_site_moves_the_help_queue_and_is_audited(staff_client, staff_app):
    here = call_staff(staff_app, 1, "moving-in")
    there = call_staff(staff_app, 2, "bulky-waste")
    client = staff_client("supporter")  # home site 1
    assert queue_titles(client) == ["転入届"]
    assert client.post(f"/staff/help/{there}/claim").status_code == 404

    assert client.post("/staff/site", {"site_id": "2"}).status_code == 303
    assert queue_titles(client) == ["粗大ごみの収集申込"]
    assert client.post(f"/staff/help/{here}/claim").status_code == 404  # site 1's call, seen from site 2
    assert client.post(f"/staff/help/{there}/claim", htmx=True).status_code == 200

    [switch] = switches(staff_app)
    assert (switch["username"], switch["entity"], switch["entity_id"]) == ("supporter", "site", "2")
    assert (json.loads(switch["before"]), json.loads(switch["after"])) == ({"site_id": 1}, {"site_id": 2})


def test_choosing_the_current_site_again_writes_nothing(staff_client, staff_app):
    client = staff_client("supporter")
    assert client.post("/staff/site", {"site_id": "1"}).status_code == 303
    assert switches(staff_app) == []


def test_an_archived_or_unknown_site_cannot_be_chosen(staff_client, staff_app):
    db = connect(staff_app.config["DATABASE"])
    db.execute("update sites set archived_at = '2026-11-01T00:00:00+00:00' where id = 2")
    db.conn.commit()
    db.conn.close()
    call_staff(staff_app, 1, "moving-in")
    client = staff_client("supporter")
    for site in ("2", "99", "abc", ""):
        assert client.post("/staff/site", {"site_id": site}).status_code == 400, site
    assert queue_titles(client) == ["転入届"]  # still at site 1
    assert switches(staff_app) == []


def test_a_handoff_from_another_site_opens_by_its_code(staff_client, staff_app):
    db = connect(staff_app.config["DATABASE"])
    record = handoffs.create_handoff(db, procedure_id="moving-in", channel_id=None, session_ref=None,
                                     readiness=[], site_id=2, device_id=None, locale="ja", days=90)
    db.conn.close()
    client = staff_client("supporter")  # at site 1: a resident brought the sheet here
    assert client.get(f"/staff/handoffs/{record['code']}").status_code == 200
    found = client.post("/staff/handoffs/find", {"code": record["display_code"]})
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/staff/handoffs/{record['code']}")
