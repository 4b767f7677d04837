"""The one search in Chromium: a Korean question on the Japanese screen, a death in the family."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets


def begin(page, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.wait_for_function("window.htmx !== undefined")


def ask(page, text: str) -> None:
    page.get_by_label("ことばで入力する").fill(text)
    page.get_by_role("button", name="送る", exact=True).click()


def test_korean_on_the_japanese_screen_offers_korean_and_starts_the_guide(live_server, page, axe):
    begin(page, live_server)
    ask(page, "주민표를 발급받고 싶어요")
    expect(page.locator("#thread")).to_contain_text("「住民票の写しの交付」のことですね。")
    switch = page.locator("#replies").get_by_role("button", name="한국어")
    expect(switch).to_have_attribute("lang", "ko")
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)
    switch.click()
    page.wait_for_url("**/chat")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("#thread")).to_contain_text("주민표")  # the same conversation, now in Korean


def test_a_death_in_the_family_shows_the_okuyami_checklist(live_server, page, axe):
    begin(page, live_server)
    ask(page, "父が亡くなった")
    latest = page.locator("#latest")
    expect(latest).to_contain_text("家族が亡くなったとき（おくやみ）")
    expect(latest.locator(".k-checklist li").first).to_be_visible()
    expect(latest.locator(".k-checklist")).to_contain_text("死亡届・おくやみ手続き")
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)
    page.locator("#replies").get_by_role("button", name="国民健康保険の脱退").click()
    expect(page.locator("#thread")).to_contain_text("国民健康保険の脱退")


def test_a_guide_from_the_okuyami_checklist_puts_the_checklist_on_its_sheet(staff_server, kiosk_page, axe):
    page = kiosk_page
    begin(page, staff_server)
    ask(page, "父が亡くなった")
    expect(page.locator("#latest .k-checklist")).to_contain_text("死亡届・おくやみ手続き")
    page.locator("#replies").get_by_role("button", name="死亡届・おくやみ手続き").click()
    expect(page.locator("#thread")).to_contain_text("死亡届は、もう出しましたか？")
    page.locator("#replies").get_by_role("button", name="はい", exact=True).click()
    page.get_by_role("link", name=re.compile("手順を見る")).click()
    page.get_by_role("button", name="スマホで続ける").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("スマホで続ける")
    page.get_by_role("link", name="シートを画面で見る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("案内シートの見本")
    checklist = page.locator(".k-sheet ul.life-event")
    expect(checklist).to_contain_text("国民健康保険の脱退")
    expect(checklist.locator('li[aria-current="true"]')).to_contain_text("このシートの手続き")
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)
