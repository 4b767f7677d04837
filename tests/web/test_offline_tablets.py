"""Staff tablets offline, through the test client: the pages the service worker keeps, the manifest,
and the sync API storing each tablet-made record exactly once."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid

import pytest

from kiosk.db import connect
from kiosk.staff.personal_data import mynumber_check_digit
from tests.fixtures import query_rows, soup

rows = query_rows
FIELDS = [["site_id", "1"], ["minutes", "10"], ["channel", "outreach"], ["age_band", "75-84"], ["visit", "first"],
          ["language", "ja"], ["device_used", "android"], ["outcome", "completed-online-assisted"],
          ["topics", "mynumber-card"], ["note", ""]]
MYNUMBER = "12345678901" + str(mynumber_check_digit("12345678901"))


def now_iso(delta: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat(timespec="seconds")


def local_started_at() -> str:
    from zoneinfo import ZoneInfo
    return dt.datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%dT%H:%M")


def record(note: str = "", record_id: str | None = None, **changes) -> dict:
    fields = [[name, changes.get(name, value)] for name, value in FIELDS if name != "note"]
    fields += [["note", note], ["started_at", local_started_at()]]
    return {"id": record_id or str(uuid.uuid4()), "made_at": now_iso(), "fields": fields}


def send(client, records: list[dict], sent_at: str | None = None):
    token = client.get("/staff/offline/session.json").get_json()["csrf"]
    return client.client.post("/staff/offline/sync", json={"sent_at": sent_at or now_iso(), "records": records},
                              headers={"X-CSRFToken": token})


def test_offline_pages_need_a_signed_in_supporter(staff_client):
    anonymous = staff_client()
    for path in ("/staff/offline/", "/staff/offline/new", "/staff/offline/guides", "/staff/offline/seal-free",
                 "/staff/offline/guides/moving-out", "/staff/offline/precache.json", "/staff/offline/session.json"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], path
    supporter = staff_client("supporter")
    for path in ("/staff/offline/", "/staff/offline/new", "/staff/offline/guides", "/staff/offline/seal-free",
                 "/staff/offline/guides/moving-out"):
        page = soup(supporter.get(path))
        assert page.select_one("h1"), path
        assert "data-draft-key" not in str(page), f"{path}: a kept page must not carry the key"
    assert supporter.get("/staff/offline/guides/no-such-procedure").status_code == 404


def test_the_service_worker_and_manifest_are_served_for_the_staff_scope(staff_client):
    client = staff_client()
    worker = client.get("/staff/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert "no-cache" in worker.headers["Cache-Control"]
    manifest = client.get("/staff/manifest.webmanifest")
    body = json.loads(manifest.get_data(as_text=True))
    assert manifest.mimetype == "application/manifest+json"
    assert body["scope"] == "/staff/" and body["start_url"] == "/staff/offline/" and body["icons"]
    assert client.get(body["icons"][0]["src"]).status_code == 200


def test_precache_lists_every_guide_and_only_pages_that_exist(staff_client, staff_app):
    client = staff_client("supporter")
    listed = client.get("/staff/offline/precache.json").get_json()
    from kiosk.catalog import get_catalog
    with staff_app.app_context():
        ids = set(get_catalog().procedures)
    assert {f"/staff/offline/guides/{pid}" for pid in ids} <= set(listed["pages"])
    for url in listed["pages"] + listed["assets"] + [listed["sign_in_page"]]:
        assert client.get(url).status_code == 200, url


def test_the_offline_form_carries_the_servers_own_messages(staff_client):
    page = soup(staff_client("supporter").get("/staff/offline/new"))
    form = page.select_one("form[data-offline-form]")
    checks = json.loads(form["data-offline-checks"])
    assert not form.has_attr("data-draft-key")
    assert checks["messages"]["note_mynumber"].startswith("メモに個人番号")
    assert checks["messages"]["topics_few"] == "相談内容を1つ以上選んでください。"
    assert checks["messages"]["started_at_future"] == "開始時刻が未来になっています。"
    assert all(checks["messages"].values()), checks["messages"]


def test_a_record_is_stored_once_however_often_it_is_sent(staff_client, staff_app):
    client = staff_client("supporter")
    first = record()
    answer = send(client, [first]).get_json()
    assert [r["status"] for r in answer["results"]] == ["stored"]
    number = answer["results"][0]["number"]
    for _ in range(3):
        again = send(client, [first]).get_json()["results"][0]
        assert (again["status"], again["number"]) == ("already-stored", number)
    assert rows(staff_app, "select count(*) as n from consultations")[0]["n"] == 1
    [row] = rows(staff_app, "select * from tablet_submissions")
    assert (row["client_id"], row["consultation_id"], row["made_at"]) == (first["id"], number, first["made_at"])


def test_the_same_id_with_other_content_is_refused_as_a_conflict(staff_client, staff_app):
    client = staff_client("supporter")
    first = record()
    send(client, [first])
    changed = {**first, "fields": [pair if pair[0] != "minutes" else ["minutes", "30"] for pair in first["fields"]]}
    answer = send(client, [changed]).get_json()["results"][0]
    assert answer["status"] == "conflict" and "二重に記録しない" in answer["message"]
    assert rows(staff_app, "select minutes from consultations") == [{"minutes": 10}]


def test_a_batch_stores_the_valid_records_and_names_what_is_wrong_with_the_rest(staff_client, staff_app):
    client = staff_client("supporter")
    good, refused, broken = record(), record(note=f"番号 {MYNUMBER} を控えた"), {"id": "short", "fields": "x"}
    answer = send(client, [good, refused, broken, record(age_band="")]).get_json()
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["stored", "refused", "refused", "refused"]
    assert answer["results"][1]["errors"]["note"].startswith("メモに個人番号")
    assert "record" in answer["results"][2]["errors"] and answer["results"][2]["id"] == "short"
    assert answer["results"][3]["errors"] == {"age_band": "年代を選んでください。"}
    assert rows(staff_app, "select count(*) as n from consultations")[0]["n"] == 1
    assert MYNUMBER not in json.dumps(rows(staff_app, "select * from audit_log"))


@pytest.mark.parametrize("body", [None, [], {"records": []}, {"sent_at": "yesterday", "records": []},
                                  {"sent_at": now_iso(), "records": "all"},
                                  {"sent_at": now_iso(), "records": [{}] * 501}])
def test_a_request_that_is_no_sync_request_is_a_400_not_a_500(staff_client, body):
    client = staff_client("supporter")
    token = client.get("/staff/offline/session.json").get_json()["csrf"]
    response = client.client.post("/staff/offline/sync", data=json.dumps(body), content_type="application/json",
                                  headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.get_json()["error"]


def test_a_tablet_clock_off_by_more_than_five_minutes_is_told(staff_client):
    client = staff_client("supporter")
    fine = send(client, [], sent_at=now_iso(dt.timedelta(minutes=2))).get_json()
    assert "clock_message" not in fine and abs(fine["clock_skew_seconds"] - 120) < 30
    off = send(client, [], sent_at=now_iso(dt.timedelta(minutes=-42))).get_json()
    assert "42分ずれています" in off["clock_message"] or "41分ずれています" in off["clock_message"]


def test_sync_without_a_session_or_a_token_stores_nothing(staff_client, staff_app):
    anonymous = staff_client()
    response = anonymous.client.post("/staff/offline/sync", json={"sent_at": now_iso(), "records": [record()]})
    assert response.status_code in (302, 400)
    supporter = staff_client("supporter")
    response = supporter.client.post("/staff/offline/sync", json={"sent_at": now_iso(), "records": [record()]})
    assert response.status_code == 400  # no CSRF token
    assert rows(staff_app, "select count(*) as n from consultations")[0]["n"] == 0


def test_concurrent_replays_of_one_request_store_each_record_once(staff_app, staff_client):
    """Two real connections racing on the same ids: the write lock and the primary key decide."""
    from kiosk.consultations import tablet_sync
    from kiosk.consultations.form import ParsedForm

    batch = [record() for _ in range(20)]
    parsed = ParsedForm(values={"site_id": 1, "started_at": now_iso(), "minutes": 10, "channel": "outreach",
                                "age_band": "75-84", "language": "ja", "device_used": "android",
                                "outcome": "handed-off", "first_visit": 1, "follow_up": 0}, topics=["pin"])
    staff_id = rows(staff_app, "select id from users where username = 'supporter'")[0]["id"]
    answers: list[list[dict]] = []

    def replay():
        db = connect(staff_app.config["DATABASE"])
        try:
            answers.append(tablet_sync.store_records(db, staff_id, batch, lambda fields: parsed))
        finally:
            db.conn.close()

    threads = [threading.Thread(target=replay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rows(staff_app, "select count(*) as n from consultations")[0]["n"] == 20
    assert rows(staff_app, "select count(*) as n from tablet_submissions")[0]["n"] == 20
    for index in range(20):
        statuses = sorted(answer[index]["status"] for answer in answers)
        assert statuses == ["already-stored"] * 3 + ["stored"]
        assert len({answer[index]["number"] for answer in answers}) == 1


def test_a_fast_tablet_clock_is_told_but_its_records_are_not_refused_as_future(staff_client, staff_app):
    """Records keep the tablet's times: started_at is checked against the tablet's clock when it is
    off by less than a day."""
    from zoneinfo import ZoneInfo

    client = staff_client("supporter")
    fast = dt.datetime.now(ZoneInfo("Asia/Tokyo")) + dt.timedelta(minutes=40)
    ahead = record()
    ahead["fields"] = [pair if pair[0] != "started_at" else ["started_at", fast.strftime("%Y-%m-%dT%H:%M")]
                       for pair in ahead["fields"]]
    answer = send(client, [ahead], sent_at=now_iso(dt.timedelta(minutes=40))).get_json()
    assert answer["results"][0]["status"] == "stored" and "clock_message" in answer
    # The same record from a tablet whose clock is right: 40 minutes ahead is in the future.
    other = {**ahead, "id": str(uuid.uuid4())}
    refused = send(client, [other]).get_json()["results"][0]
    assert refused["errors"] == {"started_at": "開始時刻が未来になっています。"}


def test_an_id_stored_by_another_process_meanwhile_is_answered_from_its_row(staff_app):
    """The primary key has the last word: another connection stores the same id after this one
    looked it up and before it writes (here, while this one checks the form)."""
    from kiosk.consultations import tablet_sync
    from kiosk.consultations.form import ParsedForm

    parsed = ParsedForm(values={"site_id": 1, "started_at": now_iso(), "minutes": 10, "channel": "outreach",
                                "age_band": "75-84", "language": "ja", "device_used": "android",
                                "outcome": "handed-off", "first_visit": 1, "follow_up": 0}, topics=["pin"])
    staff_id = rows(staff_app, "select id from users where username = 'supporter'")[0]["id"]
    raced, other = record(), record()
    mine, theirs = connect(staff_app.config["DATABASE"]), connect(staff_app.config["DATABASE"])

    def parse_while_another_process_stores(fields):
        if [list(pair) for pair in fields] == raced["fields"]:
            tablet_sync.store_records(theirs, staff_id, [raced], lambda _: parsed)
        return parsed

    try:
        answers = tablet_sync.store_records(mine, staff_id, [raced, other], parse_while_another_process_stores)
    finally:
        mine.conn.close()
        theirs.conn.close()
    assert [a["status"] for a in answers] == ["already-stored", "stored"]
    assert rows(staff_app, "select count(*) as n from consultations")[0]["n"] == 2


def test_keeping_pages_and_syncing_do_not_count_as_someone_at_the_tablet(staff_client):
    """The idle sign-out still applies: the service worker's fetches, the key and the sync are the
    app working by itself."""
    client = staff_client("supporter")

    def seen_at() -> float:
        with client.client.session_transaction() as session:
            return session["seen_at"]

    with client.client.session_transaction() as session:
        session["seen_at"] -= 60  # a minute without anyone touching the tablet
    before = seen_at()
    client.get("/staff/offline/session.json")
    client.get("/staff/offline/precache.json")
    client.get("/staff/offline/guides/moving-out", headers={"X-Staff-Offline-Keep": "1"})
    send(client, [record()])
    assert seen_at() == before
    client.get("/staff/offline/guides/moving-out")  # opened by someone: activity
    assert seen_at() > before
