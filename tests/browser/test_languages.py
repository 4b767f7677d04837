"""Languages, furigana and read-aloud in real Chromium against a real waitress server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kiosk.i18n.locales import LOCALES
from tests.browser.conftest import assert_main_actions_large, assert_no_axe_violations, assert_touch_targets


def start(page, base: str, language: str = "日本語") -> None:
    page.goto(base + "/")
    page.get_by_role("button", name=language, exact=True).click()
    page.wait_for_url("**/chat")
    page.wait_for_function("window.htmx !== undefined")


def test_switch_language_and_furigana_then_walk_a_guide(live_server, kiosk_page):
    page = kiosk_page
    start(page, live_server)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert page.locator("ruby").count() == 0

    # ふりがな on: readings over the kanji, okurigana not repeated.
    page.get_by_role("button", name="ふりがな").click()
    page.wait_for_url("**/chat")
    expect(page.get_by_role("button", name="ふりがな")).to_have_attribute("aria-pressed", "true")
    greeting = page.locator("#thread .k-bubble").first
    expect(greeting.locator("ruby").first).to_be_visible()
    assert greeting.locator("ruby", has_text="案内").first.locator("rt").inner_text() == "あんない"
    # Ruby adds height: the readings sit above the text and are drawn.
    box = greeting.locator("rt").first.bounding_box()
    assert box and box["height"] > 0

    # The language menu, mid-conversation: the thread comes back in English.
    page.get_by_role("link", name=re.compile("Language")).click()
    page.wait_for_url(re.compile(r"/language\?next="))
    page.get_by_role("button", name="English", exact=True).click()
    page.wait_for_url("**/chat")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#thread .k-bubble").first).to_contain_text("Hello")
    assert page.locator("#thread ruby").count() == 0  # English has no kanji to read

    # Walk a guide in English.
    page.get_by_role("button", name="Certificates", exact=True).click()
    expect(page.locator("#thread .k-bubble")).to_have_count(3)
    page.get_by_role("button", name="Issuance of a certificate of residence", exact=False).last.click()
    expect(page.locator("#latest")).to_contain_text("My Number Card")
    for count in (8, 10, 12, 15, 18):  # card, card valid, certificate valid, PIN, 15 or over
        page.get_by_role("button", name="Yes", exact=True).click()
        expect(page.locator("#thread .k-bubble")).to_have_count(count)
    expect(page.locator("#latest")).to_contain_text("convenience store")
    page.locator("#latest").get_by_role("link", name=re.compile("steps")).click()
    page.wait_for_url(re.compile(r"/guide/residence-certificate/convenience-store/1$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Administrative Services")
    # The Japanese label on the machine's screen is quoted with lang="ja", and read with furigana.
    quoted = page.locator('h1 span[lang="ja"]')
    expect(quoted).to_contain_text(re.compile(r"行政.*サービス"))  # the text includes the ruby's reading
    assert quoted.locator("rt").first.inner_text() == "ぎょうせい"
    page.get_by_role("link", name="Next", exact=True).click()
    expect(page.locator(".k-steps__count")).to_have_text("2 / 4")

    # Korean, and furigana off again.
    page.get_by_role("link", name=re.compile("Language")).click()
    page.get_by_role("button", name="한국어", exact=True).click()
    page.wait_for_url(re.compile(r"/guide/residence-certificate/convenience-store/2$"))
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("link", name="다음", exact=True)).to_be_visible()
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "KR" in family or "Malgun" in family  # Korean face, not the Japanese one
    page.get_by_role("button", name=re.compile("후리가나")).click()
    expect(page.get_by_role("button", name=re.compile("후리가나"))).to_have_attribute("aria-pressed", "false")
    assert page.locator("ruby").count() == 0


@pytest.mark.parametrize("locale", LOCALES, ids=[loc.code for loc in LOCALES])
def test_every_locale_is_accessible(live_server, kiosk_page, axe, locale):
    page = kiosk_page
    start(page, live_server, locale.native_name)
    expect(page.locator("html")).to_have_attribute("lang", locale.tag)
    screens = ["/chat", "/procedures/moving-in", "/guide/moving-in/counter-card/1", "/language?next=/chat",
               "/procedures/family-register-certificate"]  # the last is Japanese-only in ne, tl, pt_BR
    for path in screens:
        page.goto(live_server + path)
        assert_no_axe_violations(axe, page)
        assert_touch_targets(page)
    # An htmx turn in this language, and furigana on (ruby must not break contrast or names).
    page.goto(live_server + "/chat")
    page.wait_for_function("window.htmx !== undefined")
    page.locator(".k-replies button.k-chip").first.click()
    expect(page.locator("#thread .k-bubble")).to_have_count(3)
    page.locator('form[action="/furigana"] button').click()
    page.wait_for_url("**/chat")
    assert_no_axe_violations(axe, page)
    assert_main_actions_large(page)


def test_read_aloud_plays_japanese_and_stops_at_the_next_tap(live_server, kiosk_page):
    page = kiosk_page
    start(page, live_server)
    page.locator("[data-speech-volume]").fill("30")
    button = page.locator("#thread .k-speak").first
    with page.expect_response(re.compile(r"/speech/[0-9a-f]{40}\.wav")) as audio:
        button.click()
    # 206: the audio element asks for a byte range, which the cached file serves.
    assert audio.value.status in (200, 206) and audio.value.header_value("content-type") == "audio/wav"
    expect(button).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.kioskSpeech.audio().volume") == pytest.approx(0.3)
    # Adjusting the volume does not stop it; the next tap elsewhere does.
    page.locator("[data-speech-volume]").fill("50")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.kioskSpeech.audio().volume") == pytest.approx(0.5)
    page.locator("#ask-text").tap()
    expect(button).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.kioskSpeech.playing()") is None
    # A second tap on the same button stops it too; the timeout stops whatever plays.
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    page.evaluate("document.dispatchEvent(new CustomEvent('kiosk:timeout'))")
    expect(button).to_have_attribute("aria-pressed", "false")
    # The volume is kept for this visit only (sessionStorage, cleared by 「最初から」).
    assert page.evaluate("sessionStorage.getItem('kiosk-volume')") == "50"


def test_other_languages_show_read_aloud_only_with_a_browser_voice(live_server, kiosk_page):
    page = kiosk_page
    start(page, live_server, "English")
    page.wait_for_timeout(300)  # voices load asynchronously
    has_voice = page.evaluate("""() => speechSynthesis.getVoices()
                                   .some(v => v.lang.toLowerCase().startsWith('en'))""")
    button = page.locator("#thread .k-speak").first
    assert button.get_attribute("data-speak-lang") == "en-US"
    if has_voice:
        expect(button).to_be_visible()
    else:
        expect(button).to_be_hidden()
