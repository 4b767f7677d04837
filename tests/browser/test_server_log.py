"""The server log of a real waitress server (kiosk/logs.py): access lines with request ids, the id on
the error page, and none of what a resident typed or a handoff code (tests/browser/server_log.py;
the live server's teardown runs the same check over every browser test)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiosk.db import connect
from kiosk.handoff.records import create_handoff
from tests.browser.conftest import assert_no_axe_violations
from tests.browser.server_log import ACCESS_LINE, leaks

TYPED = "ログに残らない粗大ごみの相談"


def test_access_lines_have_request_ids_and_nothing_typed(live_server, server_log, kiosk_page, axe):
    page = kiosk_page
    page.goto(live_server + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.get_by_label("ことばで入力する").fill(TYPED)
    page.get_by_role("button", name="送る", exact=True).click()
    expect(page.locator("#thread")).to_contain_text(TYPED)

    db = connect(live_server.app.config["DATABASE"])
    handoff = create_handoff(db, procedure_id="bulky-waste", channel_id=None, session_ref=None, readiness=None,
                             site_id=None, device_id=None, locale="ja", days=30)
    db.conn.close()
    page.goto(f"{live_server}/h/{handoff['code']}?lang=ja")

    response = page.goto(f"{live_server}/no-such-page?q={TYPED}")
    assert response.status == 404
    shown = page.locator("#request-id").inner_text()
    request_id = re.search(r"[2-9A-Z]{8}", shown).group(0)
    assert response.headers["x-request-id"] == request_id
    assert_no_axe_violations(axe, page)

    log = server_log.read_text(encoding="utf-8")
    lines = {found[0]: found[1:] for found in ACCESS_LINE.findall(log)}
    assert lines[request_id] == ("GET", "/no-such-page", "404")
    assert ("POST", "/chat/say", "303") in lines.values() or any(
        method == "POST" and path.startswith("/chat") for method, path, _ in lines.values())
    assert ("GET", "/h/***", "200") in lines.values()
    assert leaks(log, [TYPED, handoff["code"]]) == []
