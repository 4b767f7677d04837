"""The administrators' site and device forms through the test client: every message linked to its
field and listed in the error summary in the form's order, what was typed kept, nothing written
until the whole form is right."""

from __future__ import annotations

from tests.fixtures import query_rows, soup, text_of

rows = query_rows


def counts(app) -> dict:
    return rows(app, "select (select count(*) from sites) as sites, (select count(*) from devices) as devices, "
                     "(select count(*) from audit_log) as audit")[0]


def add_device(client) -> str:
    """A new kiosk at site 1; returns its page's address."""
    return client.post("/admin/devices", {"name": "北 キオスク2", "kind": "kiosk", "site_id": "1"}).headers["Location"]


def summary_links(page) -> list[tuple[str, str]]:
    return [(a["href"], text_of(a)) for a in page.select(".k-error-summary a")]


def assert_error_linked(page, name: str, message: str) -> None:
    error = page.select_one(f"#f-{name}-error")
    assert error is not None and message in text_of(error), name
    described = page.select_one(f"#f-{name}")["aria-describedby"].split()
    assert f"f-{name}-error" in described, name


def test_a_wrong_device_form_lists_every_problem_in_order_and_keeps_what_was_typed(staff_client, staff_app):
    client = staff_client("admin")
    before = counts(staff_app)
    response = client.post("/admin/devices", {"name": "  受付タブレット  ", "kind": "phone", "site_id": "99",
                                              "printer_queue": "kita a4", "paper": "a3"})
    assert response.status_code == 400
    page = soup(response)
    assert summary_links(page) == [
        ("#f-kind", "種類を選んでください。"), ("#f-site_id", "拠点を選んでください。"),
        ("#f-printer_queue", "印刷キューの名前は英数字・「-」「_」「.」で入れてください（CUPSのキュー名）。"),
        ("#f-paper", "用紙を選んでください。")]
    assert_error_linked(page, "printer_queue", "CUPSのキュー名")
    assert_error_linked(page, "site_id", "拠点を選んでください。")
    assert page.select_one("#f-name")["value"] == "受付タブレット"
    assert page.select_one("#f-printer_queue")["value"] == "kita a4"
    assert counts(staff_app) == before


def test_a_device_name_is_needed_and_short(staff_client, staff_app):
    client = staff_client("admin")
    for name in ("   ", "端" * 101):
        page = soup(client.post("/admin/devices", {"name": name, "kind": "kiosk", "site_id": "1"}))
        assert summary_links(page) == [("#f-name", "端末名を100文字以内で入れてください。")]


def test_a_device_without_printer_or_paper_prints_nothing_on_a4(staff_client, staff_app):
    client = staff_client("admin")
    response = client.post("/admin/devices", {"name": "北 キオスク2", "kind": "kiosk", "site_id": "1",
                                              "printer_queue": "   "})
    assert response.status_code == 303
    [device] = rows(staff_app, "select id, printer_queue, paper from devices where name = '北 キオスク2'")
    assert (device["printer_queue"], device["paper"]) == (None, "a4")
    page = soup(client.get(f"/admin/devices/{device['id']}"))
    assert page.select_one("#f-site_id option[selected]")["value"] == "1"
    assert page.select_one('input[name="paper"][checked]')["value"] == "a4"
    assert page.select_one('input[name="kind"][checked]')["value"] == "kiosk"


def test_editing_a_device_moves_it_and_logs_the_change(staff_client, staff_app):
    client = staff_client("admin")
    location = add_device(client)
    response = client.post(location, {"name": "相談会 キオスク", "kind": "kiosk", "site_id": "2",
                                      "printer_queue": "event_80mm", "paper": "80mm"})
    assert response.status_code == 303
    page = soup(client.get(location))
    assert page.select_one("#f-name")["value"] == "相談会 キオスク"
    assert page.select_one("#f-printer_queue")["value"] == "event_80mm"
    assert rows(staff_app, "select action, entity from audit_log order by id desc limit 1") == [
        {"action": "update", "entity": "device"}]


def test_an_enrollment_link_is_logged_and_a_revoked_device_gets_none(staff_client, staff_app):
    client = staff_client("admin")
    location = add_device(client)
    assert client.post(location + "/enroll").status_code == 200
    [admin] = rows(staff_app, "select id from users where username = 'admin'")
    assert rows(staff_app, "select user_id, action from audit_log order by id desc limit 1") == [
        {"user_id": admin["id"], "action": "enrollment-link"}]
    client.post(location + "/revoke")
    assert client.post(location + "/enroll").status_code == 409


def test_a_wrong_site_form_keeps_what_was_typed(staff_client, staff_app):
    client = staff_client("admin")
    before = counts(staff_app)
    response = client.post("/admin/sites", {"name": "拠" * 101, "kind": "event", "venue": "会" * 201,
                                            "starts_on": "12/01/2026", "ends_on": "2026-12-31"})
    assert response.status_code == 400
    page = soup(response)
    assert summary_links(page) == [("#f-name", "拠点名を100文字以内で入れてください。"),
                                   ("#f-venue", "会場は200文字以内で入れてください。"),
                                   ("#f-starts_on", "日付を選んでください。")]
    assert_error_linked(page, "venue", "会場は200文字以内")
    assert page.select_one("#f-starts_on")["value"] == "12/01/2026"
    assert page.select_one("#f-ends_on")["value"] == "2026-12-31"
    assert page.select_one('input[name="kind"][checked]')["value"] == "event"
    assert counts(staff_app) == before


def test_an_event_needs_its_first_day_once_the_rest_is_right(staff_client):
    client = staff_client("admin")
    alone = soup(client.post("/admin/sites", {"name": "出張相談", "kind": "event"}))
    assert summary_links(alone) == [("#f-starts_on", "出張相談会は開始日を入れてください。")]
    with_other = soup(client.post("/admin/sites", {"name": "", "kind": "event"}))
    assert summary_links(with_other) == [("#f-name", "拠点名を100文字以内で入れてください。")]
    assert summary_links(soup(client.post("/admin/sites", {"name": "支所", "kind": ""}))) == [
        ("#f-kind", "種類を選んでください。")]


def test_archiving_a_site_and_the_checkbox_kept_on_an_error(staff_client, staff_app):
    client = staff_client("admin")
    page = soup(client.get("/admin/sites/2"))
    assert page.select_one("#f-name")["value"] == "みどり地域センター相談会"
    assert page.select_one("#f-starts_on")["value"] == "2026-11-01"
    assert page.select_one('input[name="archived"][checked]') is None
    wrong = soup(client.post("/admin/sites/2", {"name": "", "kind": "event", "starts_on": "2026-11-01",
                                                "archived": "1"}))
    assert wrong.select_one('input[name="archived"][checked]') is not None
    assert client.post("/admin/sites/2", {"name": "みどり地域センター相談会", "kind": "event",
                                          "starts_on": "2026-11-01", "archived": "1"}).status_code == 303
    assert rows(staff_app, "select archived_at from sites where id = 2")[0]["archived_at"]
    page = soup(client.get("/admin/sites/2"))
    assert page.select_one('input[name="archived"][checked]') is not None
    devices_page = soup(client.get("/admin/devices"))
    assert [o["value"] for o in devices_page.select("#f-site_id option")] == ["", "1"]  # archived: not offered
