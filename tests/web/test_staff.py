"""Support staff and administrators through the test client: roles, sign-in, the consultation
log, the help queue, sites, devices, accounts and the audit log."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from kiosk.db import connect
from tests.conftest import PASSWORD
from tests.fixtures import query_rows, soup, text_of

rows = query_rows


# (method, path, the least role that may use it)
ROUTES = [
    ("GET", "/staff/", "supporter"),
    ("GET", "/staff/help", "supporter"),
    ("POST", "/staff/site", "supporter"),
    ("POST", "/staff/keepalive", "supporter"),
    ("POST", "/staff/help/1/claim", "supporter"),
    ("POST", "/staff/help/1/resolve", "supporter"),
    ("GET", "/staff/consultations", "supporter"),
    ("GET", "/staff/consultations/new", "supporter"),
    ("POST", "/staff/consultations/new", "supporter"),
    ("GET", "/staff/consultations/1/edit", "supporter"),
    ("POST", "/staff/consultations/1/edit", "supporter"),
    ("POST", "/staff/consultations/1/delete", "supporter"),
    ("GET", "/staff/handoffs", "supporter"),
    ("POST", "/staff/handoffs/find", "supporter"),
    ("GET", "/staff/handoffs/ABCDEFGHJ", "supporter"),
    ("POST", "/staff/handoffs/ABCDEFGHJ/note", "supporter"),
    ("POST", "/staff/handoffs/ABCDEFGHJ/status", "supporter"),
    ("GET", "/stats/", "coordinator"),
    ("GET", "/stats/export/consultations.csv", "coordinator"),
    ("GET", "/stats/export/table/kpis.csv", "coordinator"),
    ("GET", "/stats/export/statistics.xlsx", "coordinator"),
    ("GET", "/stats/report.pdf", "coordinator"),
    ("GET", "/admin/", "admin"),
    ("GET", "/admin/sites", "admin"),
    ("POST", "/admin/sites", "admin"),
    ("GET", "/admin/sites/1", "admin"),
    ("POST", "/admin/sites/1", "admin"),
    ("GET", "/admin/devices", "admin"),
    ("POST", "/admin/devices", "admin"),
    ("GET", "/admin/devices/1", "admin"),
    ("POST", "/admin/devices/1", "admin"),
    ("POST", "/admin/devices/1/enroll", "admin"),
    ("POST", "/admin/devices/1/revoke", "admin"),
    ("GET", "/admin/users", "admin"),
    ("POST", "/admin/users", "admin"),
    ("POST", "/admin/users/1/reset-password", "admin"),
    ("GET", "/admin/audit", "admin"),
    ("GET", "/admin/audit.csv", "admin"),
]
RANK = {None: -1, "supporter": 0, "coordinator": 1, "admin": 2}


def test_every_staff_and_admin_route_is_covered_by_the_matrix(staff_app):
    registered = {(method, rule.endpoint) for rule in staff_app.url_map.iter_rules()
                  if rule.endpoint.split(".")[0] in ("staff", "admin", "stats")
                  and rule.endpoint not in ("staff.login", "staff.logout")
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    adapter = staff_app.url_map.bind("localhost")
    covered = {(method, adapter.match(path, method=method)[0]) for method, path, _ in ROUTES}
    assert registered - covered == set()


@pytest.mark.parametrize("role", [None, "supporter", "coordinator", "admin"])
def test_route_by_role_matrix(staff_client, staff_app, role):
    db = connect(staff_app.config["DATABASE"])
    db.table("devices").insert({"name": "キオスク", "kind": "kiosk", "site_id": 1, "created_at": "2026-01-01"})
    db.table("help_requests").insert({"site_id": 1, "status": "open", "created_at": "2026-11-27T00:00:00+00:00"})
    db.conn.commit()
    db.conn.close()
    client = staff_client(role)
    for method, path, least in ROUTES:
        response = client.get(path) if method == "GET" else client.post(path)
        if role is None:
            assert response.status_code == 302 and "/staff/login" in response.headers["Location"], (path, role)
        elif RANK[role] < RANK[least]:
            assert response.status_code == 403, (method, path, role, response.status_code)
        else:
            assert response.status_code not in (401, 403, 500), (method, path, role, response.status_code)
            if response.status_code == 302:
                assert "/staff/login" not in response.headers["Location"]


def test_sign_in_and_out(staff_client):
    client = staff_client()
    response = client.login("supporter")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    assert text_of(soup(client.get("/staff/")).select_one("h1")) == "職員ホーム"
    client.post("/staff/logout")
    assert client.get("/staff/").status_code == 302


def test_wrong_password_then_lock(staff_client, staff_app):
    client = staff_client()
    for _ in range(4):
        response = client.login("supporter", "wrong password")
        assert response.status_code == 400
        assert "ユーザー名かパスワードがちがいます" in text_of(soup(response))
    response = client.login("supporter", "wrong password")
    assert response.status_code == 429 and "15分間ロック" in text_of(soup(response))
    response = client.login("supporter")  # the right password waits too
    assert response.status_code == 429
    assert rows(staff_app, "select locked_until from users where username = 'supporter'")[0]["locked_until"]


def test_an_address_that_guesses_across_accounts_waits(staff_client, staff_app):
    staff_app.config["LOGIN_MAX_ADDRESS_FAILURES"] = 6
    client = staff_client()
    for index in range(6):
        assert client.login(f"nobody{index}", "guess").status_code == 400
    response = client.login("admin")
    assert response.status_code == 429 and "この端末からの失敗が多い" in text_of(soup(response))
    hashes = rows(staff_app, "select address_hash from login_failures")
    assert hashes and all("127.0.0.1" not in r["address_hash"] for r in hashes)


def test_unknown_user_and_disabled_user(staff_client, staff_app):
    assert staff_client().login("ghost", PASSWORD).status_code == 400
    db = connect(staff_app.config["DATABASE"])
    db.execute("update users set disabled_at = '2026-01-01' where username = 'supporter'")
    db.conn.commit()
    db.conn.close()
    response = staff_client().login("supporter")
    assert response.status_code == 403 and "このアカウントは使えません" in text_of(soup(response))


def test_session_ends_after_inactivity(staff_client):
    client = staff_client("supporter")
    with client.client.session_transaction() as session:
        session["seen_at"] = time.time() - 16 * 60
    response = client.get("/staff/")
    assert response.status_code == 302
    page = soup(client.get(response.headers["Location"]))
    assert "しばらく操作がなかったため" in text_of(page)


def test_open_redirect_is_refused(staff_client):
    client = staff_client()
    client.refresh_token()
    response = client.client.post("/staff/login", data={"csrf_token": client.token, "username": "supporter",
                                                        "password": PASSWORD, "next": "//evil.example/"})
    assert response.headers["Location"] == "/staff/"


# --- the consultation log ------------------------------------------------------------------------

TYPICAL = {"site_id": "1", "minutes": "10", "channel": "counter", "age_band": "75-84", "visit": "first",
           "language": "ja", "device_used": "android", "outcome": "completed-online-assisted",
           "topics": ["mynumber-card"]}


def form_defaults(client) -> dict:
    page = soup(client.get("/staff/consultations/new"))
    return {"started_at": page.select_one("#f-started_at")["value"],
            "site_id": page.select_one("#f-site_id option[selected]")["value"]}


def test_recording_a_typical_consultation(staff_client, staff_app):
    client = staff_client("supporter")
    defaults = form_defaults(client)
    assert defaults["site_id"] == "1"
    response = client.post("/staff/consultations/new", {**TYPICAL, **defaults})
    assert response.status_code == 303
    [row] = rows(staff_app, "select * from consultations")
    assert (row["site_id"], row["minutes"], row["age_band"], row["outcome"]) == (1, 10, "75-84",
                                                                                 "completed-online-assisted")
    assert rows(staff_app, "select topic from consultation_topics") == [{"topic": "mynumber-card"}]
    [entry] = rows(staff_app, "select * from audit_log where entity = 'consultation'")
    assert entry["action"] == "create" and json.loads(entry["after"])["age_band"] == "75-84"
    assert "番号" in text_of(soup(client.get("/staff/")).select_one(".k-flash"))


def test_invalid_posts_get_a_400_with_messages_and_write_nothing(staff_client, staff_app):
    client = staff_client("supporter")
    defaults = form_defaults(client)
    for changes in ({"age_band": ""}, {"topics": ["no-such-topic"]}, {"site_id": "99"}, {"minutes": "abc"},
                    {"note": "y" * 5000}, {"started_at": "2099-01-01T00:00"}):
        response = client.post("/staff/consultations/new", {**TYPICAL, **defaults, **changes})
        assert response.status_code == 400, changes
        page = soup(response)
        assert page.select_one(".k-error-summary[role=alert]")
        assert page.select(".k-field__error"), changes
    assert rows(staff_app, "select count(*) n from consultations")[0]["n"] == 0


def test_a_mynumber_in_the_note_is_refused_and_the_rest_kept(staff_client, staff_app):
    client = staff_client("supporter")
    data = {**TYPICAL, **form_defaults(client), "note": "個人番号 1234-5678-9018 を確認"}
    response = client.post("/staff/consultations/new", data)
    assert response.status_code == 400
    page = soup(response)
    assert "個人番号（マイナンバー）と思われる12桁の番号" in text_of(page.select_one("#f-note-error"))
    assert page.select_one('input[name="age_band"][value="75-84"]').has_attr("checked")  # what was valid stays
    assert rows(staff_app, "select count(*) n from consultations")[0]["n"] == 0


def test_a_phone_number_warns_then_saves_when_confirmed(staff_client, staff_app):
    client = staff_client("supporter")
    data = {**TYPICAL, **form_defaults(client), "note": "折り返し先 090-1234-5678"}
    page = soup(client.post("/staff/consultations/new", data))
    assert "電話番号かメールアドレス" in text_of(page.select_one("#f-note-warning"))
    assert rows(staff_app, "select count(*) n from consultations")[0]["n"] == 0
    assert client.post("/staff/consultations/new", {**data, "confirm_note": "1"}).status_code == 303


def test_missing_csrf_token_is_refused(staff_client, staff_app):
    client = staff_client("supporter")
    response = client.client.post("/staff/consultations/new", data={**TYPICAL, **form_defaults(client)})
    assert response.status_code == 400
    assert rows(staff_app, "select count(*) n from consultations")[0]["n"] == 0


def test_edit_and_soft_delete_keep_an_audit_trail(staff_client, staff_app):
    client = staff_client("supporter")
    defaults = form_defaults(client)
    client.post("/staff/consultations/new", {**TYPICAL, **defaults})
    [row] = rows(staff_app, "select id from consultations")
    page = soup(client.get(f"/staff/consultations/{row['id']}/edit"))
    assert page.select_one('input[name="outcome"][value="completed-online-assisted"]').has_attr("checked")
    response = client.post(f"/staff/consultations/{row['id']}/edit", {**TYPICAL, **defaults, "age_band": "85-plus",
                                                                     "topics": ["mynumber-card", "pin"]})
    assert response.status_code == 303
    [update] = rows(staff_app, "select * from audit_log where action = 'update'")
    assert json.loads(update["before"]) == {"age_band": "75-84", "topics": ["mynumber-card"]}
    assert json.loads(update["after"]) == {"age_band": "85-plus", "topics": ["mynumber-card", "pin"]}
    assert client.post(f"/staff/consultations/{row['id']}/delete").status_code == 303
    [deleted] = rows(staff_app, "select deleted_at, deleted_by from consultations")
    assert deleted["deleted_at"] and deleted["deleted_by"]
    assert rows(staff_app, "select action from audit_log order by id")[-1]["action"] == "delete"
    assert client.get(f"/staff/consultations/{row['id']}/edit").status_code == 404
    assert soup(client.get("/staff/consultations")).select(".k-table tbody tr") == []


def test_supporters_cannot_edit_someone_elses_record(staff_client, staff_app):
    author = staff_client("supporter")
    author.post("/staff/consultations/new", {**TYPICAL, **form_defaults(author)})
    [row] = rows(staff_app, "select id from consultations")
    other = staff_client("supporter2")
    assert other.get(f"/staff/consultations/{row['id']}/edit").status_code == 403
    assert other.post(f"/staff/consultations/{row['id']}/delete").status_code == 403
    assert staff_client("coordinator").get(f"/staff/consultations/{row['id']}/edit").status_code == 200


# --- the help queue ------------------------------------------------------------------------------

def kiosk_calls_staff(app, site_id, procedure_id="moving-in") -> int:
    db = connect(app.config["DATABASE"])
    request_id = db.table("help_requests").insert({"site_id": site_id, "procedure_id": procedure_id, "status": "open",
                                                   "created_at": "2026-11-27T00:00:00+00:00"}).last_pk
    db.conn.commit()
    db.conn.close()
    return request_id


def test_help_queue_shows_requests_of_the_same_site_only(staff_client, staff_app):
    here = kiosk_calls_staff(staff_app, 1)
    there = kiosk_calls_staff(staff_app, 2, "bulky-waste")
    client = staff_client("supporter")
    page = soup(client.get("/staff/help", headers={"HX-Request": "true"}))
    assert page.find("html") is None
    titles = [text_of(t) for t in page.select(".k-queue__title")]
    assert titles == ["転入届"]
    assert client.post(f"/staff/help/{there}/claim").status_code == 404  # another site's id
    assert client.post(f"/staff/help/{here}/claim", htmx=True).status_code == 200


def test_claim_is_exclusive_and_visible_to_colleagues(staff_client, staff_app):
    request_id = kiosk_calls_staff(staff_app, 1)
    first = staff_client("supporter")
    second = staff_client("coordinator")
    first.post(f"/staff/help/{request_id}/claim")
    page = soup(second.get("/staff/help", headers={"HX-Request": "true"}))
    assert "対応中: Supporter" in text_of(page.select_one(".k-queue__item--claimed"))
    assert page.select(f'form[action="/staff/help/{request_id}/claim"]') == []
    second.post(f"/staff/help/{request_id}/claim")
    [first_user] = rows(staff_app, "select id from users where username = 'supporter'")
    assert rows(staff_app, "select claimed_by from help_requests")[0]["claimed_by"] == first_user["id"]


def test_record_from_a_help_request_is_prefilled_and_resolves_it(staff_client, staff_app):
    request_id = kiosk_calls_staff(staff_app, 1)
    client = staff_client("supporter")
    page = soup(client.get(f"/staff/consultations/new?help={request_id}"))
    assert page.select_one('input[name="topics"][value="moving-in"]').has_attr("checked")
    assert page.select_one('input[name="channel"][value="kiosk"]').has_attr("checked")
    data = {**TYPICAL, **form_defaults(client), "topics": ["moving-in"], "channel": "kiosk"}
    assert client.post(f"/staff/consultations/new?help={request_id}", data).status_code == 303
    assert rows(staff_app, "select status from help_requests") == [{"status": "resolved"}]
    assert rows(staff_app, "select help_request_id from consultations") == [{"help_request_id": request_id}]
    assert client.get("/staff/consultations/new?help=abc").status_code == 404


# --- administrators ------------------------------------------------------------------------------

def test_admin_manages_sites_with_validation(staff_client, staff_app):
    client = staff_client("admin")
    bad = client.post("/admin/sites", {"name": "", "kind": "event", "starts_on": "2026-13-01"})
    assert bad.status_code == 400
    errors = [text_of(e) for e in soup(bad).select(".k-field__error")]
    assert len(errors) == 2
    good = client.post("/admin/sites", {"name": "図書館 出張相談", "kind": "event", "starts_on": "2026-12-01",
                                        "ends_on": "2026-12-31", "venue": "中央図書館"})
    assert good.status_code == 303
    assert rows(staff_app, "select name from sites where name = '図書館 出張相談'")
    backwards = client.post("/admin/sites/3", {"name": "x", "kind": "event", "starts_on": "2026-12-31",
                                                "ends_on": "2026-12-01"})
    assert backwards.status_code == 400 and "終了日が開始日より前です" in text_of(soup(backwards))


def test_admin_enrolls_a_device_with_a_qr_code_and_revokes_it(staff_client, staff_app):
    client = staff_client("admin")
    response = client.post("/admin/devices", {"name": "北 キオスク2", "kind": "kiosk", "site_id": "1"})
    device_url = response.headers["Location"]
    page = soup(client.post(device_url + "/enroll"))
    svg = page.select_one(".k-qr svg[role=img]")
    assert svg is not None and svg["aria-label"]
    link = text_of(page.select_one(".k-code"))
    assert "/enroll/" in link
    kiosk = staff_app.test_client()
    path = link.split("localhost", 1)[1]
    confirm = soup(kiosk.get(path))
    token = confirm.select_one('meta[name="csrf-token"]')["content"]
    enrolled = kiosk.post(path, data={"csrf_token": token})
    assert enrolled.status_code == 200 and "登録しました" in text_of(soup(enrolled))
    client.post(device_url + "/revoke")
    [device] = rows(staff_app, "select revoked_at, token_hash from devices where name = '北 キオスク2'")
    assert device["revoked_at"] and device["token_hash"] is None


def test_admin_creates_and_disables_accounts(staff_client, staff_app):
    client = staff_client("admin")
    page = soup(client.post("/admin/users", {"username": "newstaff", "display_name": "新人", "role": "supporter",
                                             "site_id": "2"}))
    notice = text_of(page.select_one(".k-notice--success"))
    password = notice.split("初期パスワード: ")[1].split("（")[0]
    assert staff_client().login("newstaff", password).status_code == 303
    taken = client.post("/admin/users", {"username": "newstaff", "role": "supporter"})
    assert taken.status_code == 400
    [user] = rows(staff_app, "select id from users where username = 'newstaff'")
    client.post(f"/admin/users/{user['id']}/disable")
    assert staff_client().login("newstaff", password).status_code == 403
    [me] = rows(staff_app, "select id from users where username = 'admin'")
    client.post(f"/admin/users/{me['id']}/disable")
    assert rows(staff_app, "select disabled_at from users where username = 'admin'")[0]["disabled_at"] is None


def test_audit_log_csv_export_is_excel_ready_and_logged(staff_client, staff_app):
    client = staff_client("supporter")
    client.post("/staff/consultations/new", {**TYPICAL, **form_defaults(client)})
    admin = staff_client("admin")
    response = admin.get("/admin/audit.csv")
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0] == ["id", "at", "username", "action", "entity", "entity_id", "before", "after"]
    assert any(r[2] == "supporter" and r[3] == "create" and r[4] == "consultation" for r in table[1:])
    assert rows(staff_app, "select action, entity from audit_log order by id desc limit 1") == [
        {"action": "export", "entity": "audit_log"}]
    page = soup(admin.get("/admin/audit"))
    assert page.select(".k-table tbody tr")


def test_polling_does_not_keep_a_tablet_signed_in(staff_client):
    client = staff_client("supporter")
    with client.client.session_transaction() as session:
        session["seen_at"] = time.time() - 10 * 60
    for _ in range(3):
        client.get("/staff/help", headers={"HX-Request": "true"})
    with client.client.session_transaction() as session:
        assert session["seen_at"] < time.time() - 9 * 60  # polls left it alone
        session["seen_at"] = time.time() - 16 * 60
    expired = client.get("/staff/help", headers={"HX-Request": "true"})
    assert expired.status_code == 204 and expired.headers["HX-Redirect"].startswith("/staff/login")


def test_an_unchanged_help_queue_is_not_swapped(staff_client):
    client = staff_client("supporter")
    page = soup(client.get("/staff/"))
    poll = page.select_one("#help-queue")["hx-get"]
    assert client.get(poll, headers={"HX-Request": "true"}).status_code == 204


def test_sign_out_ends_a_copied_session_too(staff_client):
    client = staff_client("supporter")
    with client.client.session_transaction() as session:
        copied = dict(session)
    client.post("/staff/logout")
    thief = staff_client()
    with thief.client.session_transaction() as session:
        session.update(copied)
    assert thief.get("/staff/").status_code == 302


def test_huge_ids_and_ancient_dates_are_not_500s(staff_client):
    client = staff_client("admin")
    for path in ("/staff/consultations/99999999999999999999/edit", "/admin/sites/99999999999999999999",
                 "/admin/devices/99999999999999999999"):
        assert client.get(path).status_code == 404, path
    response = client.post("/staff/consultations/new", {**TYPICAL, "site_id": "1", "started_at": "0001-01-01T00:00"})
    assert response.status_code == 400 and soup(response).select_one("#f-started_at-error")


def test_a_reset_password_is_not_put_in_the_cookie(staff_client, staff_app):
    client = staff_client("admin")
    [user] = rows(staff_app, "select id from users where username = 'supporter2'")
    response = client.post(f"/admin/users/{user['id']}/reset-password")
    assert response.status_code == 200
    notice = text_of(soup(response).select_one(".k-notice--success"))
    password = notice.split(": ")[1].split("（")[0]
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert password not in cookies
    assert staff_client().login("supporter2", password).status_code == 303


def test_audit_csv_cells_never_become_formulas(staff_client, staff_app):
    client = staff_client("admin")
    assert client.post("/admin/users", {"username": "=HYPERLINK(1)", "role": "supporter"}).status_code == 400
    db = connect(staff_app.config["DATABASE"])  # an old account made before names were restricted
    db.execute("update users set username = '=HYPERLINK(1)' where username = 'admin'")
    db.conn.commit()
    db.conn.close()
    body = client.get("/admin/audit.csv").get_data().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'=HYPERLINK(1)" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


def test_editing_a_record_with_unusual_minutes_keeps_them(staff_client, staff_app):
    client = staff_client("supporter")
    client.post("/staff/consultations/new", {**TYPICAL, **form_defaults(client), "minutes_other": "20"})
    [row] = rows(staff_app, "select id, minutes from consultations")
    assert row["minutes"] == 20
    page = soup(client.get(f"/staff/consultations/{row['id']}/edit"))
    assert page.select_one("#f-minutes_other")["value"] == "20"


def test_a_handoff_note_with_a_phone_number_can_be_confirmed(staff_client, staff_app):
    from kiosk.handoff import records as handoffs

    db = connect(staff_app.config["DATABASE"])
    record = handoffs.create_handoff(db, procedure_id="moving-in", channel_id=None, session_ref=None,
                                     readiness=[], site_id=1, device_id=None, locale="ja", days=90)
    db.conn.close()
    client = staff_client("supporter")
    warned = client.post(f"/staff/handoffs/{record['code']}/note", {"note": "区役所代表 03-1234-5678 に案内"})
    assert warned.status_code == 400
    assert soup(warned).select_one('input[name="confirm_note"]')
    saved = client.post(f"/staff/handoffs/{record['code']}/note",
                        {"note": "区役所代表 03-1234-5678 に案内", "confirm_note": "1"})
    assert saved.status_code == 303
