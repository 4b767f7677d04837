"""Handoff sheets in real Chromium: finish a guide, print, the phone page, staff follow-up."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations, assert_touch_targets, sign_in


def finish_a_guide(page, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.wait_for_function("window.htmx !== undefined")
    page.get_by_role("button", name="証明書", exact=True).click()
    page.get_by_role("button", name="住民票の写しの交付").click()
    for bubbles in (8, 10, 12, 15, 18):  # card, valid, certificate valid, PIN, 15 or over
        page.get_by_role("button", name="はい", exact=True).click()
        expect(page.locator("#thread .k-bubble")).to_have_count(bubbles)
    page.get_by_role("link", name=re.compile("手順を見る")).click()
    for _ in range(3):
        page.get_by_role("link", name="次へ").click()
    page.get_by_role("link", name="おわり").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("案内はここまでです")


def test_print_failure_shows_the_qr_and_keeps_the_handoff(staff_server, kiosk_page, axe):
    page = kiosk_page
    finish_a_guide(page, staff_server)
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name="案内シートを印刷する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("印刷できませんでした")
    expect(page.locator(".k-notice--warning")).to_contain_text("QRコードをスマホで写すか")
    expect(page.locator(".k-qr-figure svg").first).to_be_visible()
    code = page.locator(".k-handoff-code").inner_text().replace("-", "")
    assert staff_server.rows("select status from handoffs where code = ?", [code]) == [{"status": "open"}]
    assert_no_axe_violations(axe, page)
    assert_touch_targets(page)


def test_phone_page_and_staff_follow_up(staff_server, kiosk_page, browser, axe):
    page = kiosk_page
    finish_a_guide(page, staff_server)
    page.get_by_role("button", name="スマホで続ける").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("スマホで続ける")
    shown = page.locator(".k-handoff-code").inner_text()

    phone_context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844}, has_touch=True)
    phone = phone_context.new_page()
    phone.goto(f"{staff_server}/h/{shown.lower()}")
    expect(phone.get_by_role("heading", level=1)).to_have_text("住民票の写しの交付")
    expect(phone.locator(".k-step-list li").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_axe_violations(axe, phone)
    assert_touch_targets(phone)
    phone.goto(f"{staff_server}/h/ZZZ-ZZZ-ZZZ")
    expect(phone.get_by_role("heading", level=1)).to_have_text("このコードの案内は表示できません")
    assert_no_axe_violations(axe, phone)
    phone_context.close()

    tablet_context = browser.new_context(locale="ja-JP", viewport={"width": 800, "height": 1280}, has_touch=True)
    tablet = tablet_context.new_page()
    sign_in(tablet, staff_server, "supporter")
    tablet.wait_for_url("**/staff/")
    tablet.get_by_role("link", name="案内シート").click()
    assert_no_axe_violations(axe, tablet)
    tablet.get_by_label("引継ぎコード").fill(shown.replace("-", " "))
    tablet.get_by_role("button", name="ひらく").click()
    expect(tablet.get_by_role("heading", level=1)).to_contain_text(shown)
    assert_no_axe_violations(axe, tablet)
    assert_touch_targets(tablet)
    tablet.get_by_label("メモを追加").fill("後日、窓口で手続き済みと確認")
    tablet.get_by_role("button", name="メモを追加する").click()
    expect(tablet.locator(".k-flash")).to_contain_text("メモを追加しました")
    tablet.get_by_role("group", name="状態").get_by_label("解決", exact=True).click()
    tablet.get_by_role("button", name="状態を保存する").click()
    expect(tablet.locator(".k-flash")).to_contain_text("解決")
    code = shown.replace("-", "")
    assert staff_server.rows("select status from handoffs where code = ?", [code]) == [{"status": "resolved"}]
    tablet_context.close()
