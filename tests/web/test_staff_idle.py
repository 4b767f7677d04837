"""The staff idle sign-out as the page sees it: how long the session has left, 「続ける」 (the
keep-alive), a form posted after the timeout coming back after sign-in, the key of the tablet's
drafts, and a form saved once however often it is sent."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from kiosk import create_app
from kiosk.staff.auth import idle_warning_seconds
from tests.conftest import PASSWORD, make_config
from tests.fixtures import query_rows, soup, text_of
from tests.web.test_staff import TYPICAL, form_defaults


def idle_for(client, seconds: float) -> None:
    with client.client.session_transaction() as session:
        session["seen_at"] = time.time() - seconds


def count(app) -> int:
    return query_rows(app, "select count(*) as n from consultations")[0]["n"]


def test_a_signed_in_page_says_how_long_its_session_has_left(staff_client):
    client = staff_client("supporter")
    response = client.get("/staff/")
    assert 899 <= int(response.headers["X-Staff-Session-Seconds"]) <= 900  # 15 minutes
    body = soup(response).body
    assert 899 <= int(body["data-staff-session-seconds"]) <= 900
    assert body["data-staff-idle-warning-seconds"] == "120"
    assert body["data-staff-keepalive-url"] == "/staff/keepalive"
    assert body["data-staff-signin-url"].startswith("/staff/login?next=")
    dialog = soup(response).select_one("dialog#staff-idle-dialog")
    assert "120" in text_of(dialog) and text_of(dialog.select_one("button[data-staff-idle-continue]")) == "続ける"


def test_the_sign_in_page_has_no_idle_warning(staff_client):
    response = staff_client().get("/staff/login")
    assert "X-Staff-Session-Seconds" not in response.headers
    page = soup(response)
    assert not page.body.has_attr("data-staff-session-seconds") and not page.select("#staff-idle-dialog")


def test_a_poll_reports_the_time_left_and_keepalive_renews_it(staff_client):
    client = staff_client("supporter")
    idle_for(client, 600)
    poll = client.get("/staff/help", headers={"HX-Request": "true"})
    assert 299 <= int(poll.headers["X-Staff-Session-Seconds"]) <= 300  # a poll is not activity
    alive = client.post("/staff/keepalive")
    assert alive.status_code == 204 and 899 <= int(alive.headers["X-Staff-Session-Seconds"]) <= 900


def test_keepalive_after_the_timeout_is_sent_to_sign_in(staff_client):
    client = staff_client("supporter")
    idle_for(client, 16 * 60)
    response = client.post("/staff/keepalive")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert "X-Staff-Session-Seconds" not in response.headers


@pytest.mark.parametrize(("minutes", "warning"), [(15, 120), (8, 120), (2, 30), (1, 20), (0.2, 6), (0.05, 1)])
def test_the_warning_comes_two_minutes_before_or_sooner_for_short_limits(tmp_path, minutes, warning):
    app = create_app(make_config(tmp_path, STAFF_IDLE_MINUTES=minutes))
    with app.test_request_context():
        assert idle_warning_seconds() == warning


def test_a_form_posted_after_the_timeout_comes_back_after_sign_in(staff_client, staff_app):
    client = staff_client("supporter")
    data = {**TYPICAL, **form_defaults(client)}
    idle_for(client, 16 * 60)
    response = client.post("/staff/consultations/new", data)
    assert response.status_code == 302 and count(staff_app) == 0
    login = urlsplit(response.headers["Location"])
    assert login.path == "/staff/login" and parse_qs(login.query)["next"] == ["/staff/consultations/new?"]
    page = soup(client.get(response.headers["Location"]))
    assert "しばらく操作がなかったため" in text_of(page)
    assert page.select_one('input[name="next"]')["value"] == "/staff/consultations/new?"
    assert page.select_one("[data-staff-draft-kept][hidden]")  # the tablet shows it when it has a draft
    client.refresh_token()
    signed_in = client.client.post("/staff/login", data={"csrf_token": client.token, "username": "supporter",
                                                         "password": PASSWORD,
                                                         "next": "/staff/consultations/new?"})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/staff/consultations/new"


def test_an_action_posted_after_the_timeout_does_not_come_back_to_itself(staff_client):
    client = staff_client("supporter")
    idle_for(client, 16 * 60)
    response = client.post("/staff/help/1/claim")
    assert response.status_code == 302 and "next" not in response.headers["Location"]  # it has no page


def test_the_same_form_sent_twice_is_one_record(staff_client, staff_app):
    client = staff_client("supporter")
    page = soup(client.get("/staff/consultations/new"))
    token = page.select_one('input[name="form_token"]')["value"]
    data = {**TYPICAL, **form_defaults(client), "form_token": token}
    first = client.post("/staff/consultations/new", data)
    second = client.post("/staff/consultations/new", data)
    assert first.status_code == second.status_code == 303 and count(staff_app) == 1
    home = soup(client.get("/staff/"))
    assert "この記録はもう保存されています" in text_of(home.select_one(".k-flash"))
    assert token in home.body["data-staff-saved-forms"].split()  # the tablet drops its draft


def test_a_form_shown_again_keeps_its_token(staff_client, staff_app):
    client = staff_client("supporter")
    data = {**TYPICAL, **form_defaults(client), "form_token": "A" * 22, "age_band": ""}
    page = soup(client.post("/staff/consultations/new", data))
    assert page.select_one('input[name="form_token"]')["value"] == "A" * 22


def test_a_saved_form_stays_saved_across_the_same_persons_idle_sign_in(staff_client, staff_app):
    client = staff_client("supporter")
    data = {**TYPICAL, **form_defaults(client), "form_token": "B" * 22}
    assert client.post("/staff/consultations/new", data).status_code == 303
    idle_for(client, 16 * 60)
    assert client.login("supporter").status_code == 303
    assert client.post("/staff/consultations/new", data).status_code == 303
    assert count(staff_app) == 1


def test_another_person_signing_in_does_not_inherit_the_saved_forms(staff_client):
    client = staff_client("supporter")
    data = {**TYPICAL, **form_defaults(client), "form_token": "C" * 22}
    client.post("/staff/consultations/new", data)
    idle_for(client, 16 * 60)
    assert client.login("supporter2").status_code == 303
    assert soup(client.get("/staff/")).body["data-staff-saved-forms"] == ""


def test_a_malformed_token_is_no_error(staff_client, staff_app):
    client = staff_client("supporter")
    data = {**TYPICAL, **form_defaults(client), "form_token": "<script>"}
    assert client.post("/staff/consultations/new", data).status_code == 303 and count(staff_app) == 1


def test_an_edit_sent_twice_is_applied_once(staff_client, staff_app):
    client = staff_client("supporter")
    client.post("/staff/consultations/new", {**TYPICAL, **form_defaults(client)})
    edit = soup(client.get("/staff/consultations/1/edit"))
    data = {**TYPICAL, **form_defaults(client), "age_band": "85-plus",
            "form_token": edit.select_one('input[name="form_token"]')["value"]}
    for _ in range(2):
        assert client.post("/staff/consultations/1/edit", data).status_code == 303
    assert len(query_rows(staff_app, "select * from audit_log where action = 'update'")) == 1


def draft_key(client) -> tuple[str, str]:
    form = soup(client.get("/staff/consultations/new")).select_one("form[data-staff-draft]")
    return form["data-draft-key"], form["data-draft-owner"]


def test_the_draft_key_is_the_same_persons_until_they_sign_out(staff_client):
    client = staff_client("supporter")
    key, owner = draft_key(client)
    assert len(key) == 43 and len(owner) == 16  # 256 bits, base64url
    idle_for(client, 16 * 60)
    client.login("supporter")
    assert draft_key(client) == (key, owner)  # after an idle sign-out the draft can be read again
    other = staff_client("supporter2")
    assert draft_key(other)[0] != key and draft_key(other)[1] != owner
    client.post("/staff/logout")
    client.login("supporter")
    assert draft_key(client)[0] != key  # an explicit sign-out makes old drafts unreadable
