"""A resident types a 個人番号 into the kiosk's chat: told kindly it was not kept, in real Chromium
against a real waitress server, with nothing of it in the page, the session or the database."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from kiosk.staff.personal_data import find_mynumbers
from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets

WITHHELD = "入力された番号は、個人番号（マイナンバー）かもしれないため、消しました。"


def test_a_mynumber_typed_in_the_chat_is_withheld_and_the_rest_searched(live_server, kiosk_page, axe):
    page = kiosk_page
    page.goto(live_server + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.get_by_label("ことばで入力する").fill("住民票 １２３４ー５６７８ー９０１８")
    page.get_by_role("button", name="送る", exact=True).click()
    expect(page.locator("#thread")).to_contain_text(WITHHELD)
    expect(page.locator("#thread")).to_contain_text("「住民票の写しの交付」のことですね。")
    expect(page.locator("#ask-text")).to_have_value("")
    assert not find_mynumbers(page.locator("#thread").inner_text())
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)

    # only the number: the message, and the conversation stays where it was
    page.get_by_label("ことばで入力する").fill("1 2 3 4 5 6 7 8 9 0 1 8")
    page.keyboard.press("Enter")
    expect(page.locator("#thread .k-bubble").last).to_contain_text(WITHHELD)
    expect(page.get_by_role("button", name="はい", exact=True)).to_be_visible()
    states = [json.loads(row["state"]) for row in live_server.rows("select state from kiosk_sessions")]
    for state in states:
        assert not find_mynumbers(json.dumps(state, ensure_ascii=False))
