"""A resident at the kiosk, in real Chromium against a real waitress server."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_main_actions_large, assert_no_axe_violations, assert_touch_targets


class Taps:
    """Counts the resident's taps."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def button(self, name: str):
        self.page.get_by_role("button", name=name, exact=True).last.tap()
        self.count += 1

    def link(self, name: str):
        self.page.get_by_role("link", name=name).last.tap()
        self.count += 1


def wait_for_bubbles(page, count: int) -> None:
    expect(page.locator("#thread .k-bubble")).to_have_count(count)


def test_nine_taps_to_the_residence_certificate_at_a_convenience_store(live_server, kiosk_page, axe):
    page = kiosk_page
    page.goto(live_server + "/")
    taps = Taps(page)
    taps.button("はじめる")
    page.wait_for_url("**/chat")
    page.wait_for_function("window.htmx !== undefined")
    taps.button("証明書")
    wait_for_bubbles(page, 3)
    taps.button("住民票の写しの交付")
    wait_for_bubbles(page, 6)
    expect(page.locator("#latest")).to_contain_text("マイナンバーカードをお持ちですか？")
    # The card, its validity, its certificate's validity, the PIN, then the age (コンビニ交付 is 15+).
    for bubbles in (8, 10, 12, 15, 18):
        taps.button("はい")
        wait_for_bubbles(page, bubbles)
    expect(page.locator("#latest")).to_contain_text("おすすめは「コンビニのマルチコピー機でとる」です。")
    # The newest bubble is kept in view.
    page.wait_for_function("""() => { const r = document.getElementById('latest').getBoundingClientRect();
                                      return r.top >= 0 && r.top < window.innerHeight; }""")
    taps.link("手順を見る（全4ステップ）")
    page.wait_for_url(re.compile(r"/guide/residence-certificate/convenience-store/1$"))
    expect(page.locator(".k-steps__count")).to_have_text("1 / 4")
    expect(page.locator(".k-seal")).to_contain_text("押印は不要です")
    assert taps.count <= 9
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="次へ").tap()
    expect(page.locator(".k-steps__count")).to_have_text("2 / 4")
    page.get_by_role("link", name="もどる").tap()
    expect(page.locator(".k-steps__count")).to_have_text("1 / 4")


def test_typing_on_the_kana_keyboard_finds_the_procedure(live_server, kiosk_page):
    page = kiosk_page
    page.goto(live_server + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.get_by_role("button", name="画面のキーボードを出す").click()
    keyboard = page.locator(".k-keyboard__panel")
    expect(keyboard).to_be_visible()

    def key(text):
        keyboard.locator(f'button.k-key[data-insert="{text}"]').click()

    # そだいごみ: だ and ご are typed as た and こ followed by ゛
    for char in "そた":
        key(char)
    keyboard.get_by_role("button", name="濁点（が・ざ・だ）").click()
    key("い")
    key("こ")
    keyboard.get_by_role("button", name="濁点（が・ざ・だ）").click()
    key("み")
    key("ー")
    keyboard.get_by_role("button", name="1字消す").click()
    expect(page.locator("#ask-text")).to_have_value("そだいごみ")
    page.get_by_role("button", name="送る", exact=True).click()
    expect(page.locator("#thread")).to_contain_text("「粗大ごみの収集申込」のことですね。")
    expect(page.locator("#ask-text")).to_have_value("")  # cleared after sending

    # small kana and the letters layout
    keyboard.get_by_role("button", name="全部消す").click()
    for char in "きよ":
        key(char)
    keyboard.get_by_role("button", name="小さい文字（っ・ゃ・ゅ・ょ）").click()
    expect(page.locator("#ask-text")).to_have_value("きょ")
    keyboard.get_by_role("button", name="ABC・123").click()
    keyboard.locator('button.k-key[data-insert="p"]').click()
    expect(page.locator("#ask-text")).to_have_value("きょp")


def test_a_physical_keyboard_works_too(live_server, kiosk_page):
    page = kiosk_page
    page.goto(live_server + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.get_by_label("ことばで入力する").fill("引っ越してきました")
    page.keyboard.press("Enter")
    expect(page.locator("#thread")).to_contain_text("「転入届」のことですね。")


def test_idle_warning_continue_then_expiry_wipes_the_session(short_idle_server, kiosk_page):
    page = kiosk_page
    page.goto(short_idle_server + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.get_by_role("button", name="証明書", exact=True).click()
    expect(page.locator("#thread .k-bubble")).to_have_count(3)
    dialog = page.locator("#idle-dialog")
    expect(dialog).to_be_visible(timeout=5000)
    expect(dialog).to_contain_text("続けますか？")
    for _ in range(2):  # 「続ける」 works any number of times
        page.get_by_role("button", name="続ける").click()
        expect(dialog).to_be_hidden()
        expect(dialog).to_be_visible(timeout=5000)
    page.get_by_role("button", name="続ける").click()
    assert short_idle_server.rows("select count(*) as n from kiosk_sessions")[0]["n"] == 1
    # Now let it run out: back to the start screen, and the session is gone on the server.
    page.wait_for_url(short_idle_server + "/", timeout=15000)
    expect(page.locator("h1")).to_have_text("画面にさわってください")
    assert short_idle_server.rows("select count(*) as n from kiosk_sessions")[0]["n"] == 0
    assert short_idle_server.rows("select event from kiosk_events where event = 'timed_out'")
    page.goto(short_idle_server + "/chat")
    assert page.url == short_idle_server + "/"  # nothing of the conversation is left


def test_call_staff_and_start_over(live_server, kiosk_page):
    page = kiosk_page
    page.goto(live_server + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.wait_for_function("window.htmx !== undefined")
    page.get_by_role("button", name="職員を呼ぶ").click()
    expect(page.locator("#help-status")).to_contain_text("職員を呼びました")
    page.get_by_role("button", name="最初から").click()
    page.wait_for_url(live_server + "/")
    assert page.evaluate("document.cookie") == ""


def test_text_size_control(live_server, kiosk_page):
    page = kiosk_page
    page.goto(live_server + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    before = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.k-bubble')).fontSize)")
    page.get_by_role("button", name="特大").click()
    page.wait_for_url("**/chat")
    after = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.k-bubble')).fontSize)")
    assert after >= before * 1.3
    expect(page.get_by_role("button", name="特大")).to_have_attribute("aria-pressed", "true")


def kiosk_screens(page, base):
    """Walk through every kiosk screen, yielding a name at each."""
    page.goto(base + "/")
    yield "start"
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    page.wait_for_function("window.htmx !== undefined")
    yield "chat"
    page.get_by_role("button", name="画面のキーボードを出す").click()
    yield "chat with kana keyboard"
    page.get_by_role("button", name="ABC・123").click()
    yield "chat with letters keyboard"
    page.get_by_role("button", name="マイナンバーカード", exact=True).click()
    expect(page.locator("#thread .k-bubble")).to_have_count(3)
    yield "category"
    page.get_by_role("button", name="公金受取口座の登録").click()
    expect(page.locator("#latest")).to_contain_text("お持ちですか")
    yield "question"
    for count in (8, 10, 13):
        page.get_by_role("button", name="はい", exact=True).click()
        expect(page.locator("#thread .k-bubble")).to_have_count(count)
    yield "readiness"
    page.get_by_role("button", name="いいえ", exact=True).click()
    expect(page.locator("#latest")).to_contain_text("おすすめは")
    yield "recommendation after a failed readiness check"
    page.get_by_label("ことばで入力する").fill("引っ越します")
    page.get_by_role("button", name="送る", exact=True).click()
    expect(page.locator("#latest")).to_contain_text("はっきりとはわかりませんでした")
    yield "unsure with candidates"
    page.get_by_label("ことばで入力する").fill("道路占用許可")
    page.get_by_role("button", name="送る", exact=True).click()
    expect(page.locator("#latest")).to_contain_text("道路占用許可申請")
    yield "ledger answer"
    page.get_by_role("button", name="職員を呼ぶ").click()
    expect(page.locator("#help-status")).to_contain_text("職員を呼びました")
    yield "staff called"
    page.get_by_role("button", name="特大").click()
    page.wait_for_url("**/chat")
    yield "largest text"
    page.goto(base + "/guide/moving-in/counter-card/1")
    yield "step"
    page.goto(base + "/guide/moving-in/counter-card/done")
    yield "finished"
    page.goto(base + "/enroll/not-a-token")
    yield "enrollment refused"


def test_every_kiosk_screen_is_accessible_and_large_enough(live_server, kiosk_page, axe):
    for name in kiosk_screens(kiosk_page, live_server):
        assert_no_axe_violations(axe, kiosk_page)
        assert_touch_targets(kiosk_page)
        if name not in ("enrollment refused",):
            assert_main_actions_large(kiosk_page)


def test_idle_dialog_is_accessible(short_idle_server, kiosk_page, axe):
    page = kiosk_page
    page.goto(short_idle_server + "/")
    page.get_by_role("button", name="はじめる", exact=True).click()
    page.wait_for_url("**/chat")
    expect(page.locator("#idle-dialog")).to_be_visible(timeout=5000)
    assert_no_axe_violations(axe, page)
    assert_main_actions_large(page)
    page.get_by_role("button", name="続ける").click()
