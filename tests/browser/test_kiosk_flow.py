"""Real interactions in Chromium: navigation by taps, htmx filtering, language switch."""

from __future__ import annotations

from playwright.sync_api import expect


def test_tap_from_the_list_to_a_procedure(live_server, page):
    page.goto(live_server + "/")
    page.get_by_role("link", name="手続きの一覧を見る").click()
    page.get_by_role("link", name="証明書", exact=True).click()
    page.get_by_role("link", name="住民票の写しの交付").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("住民票の写しの交付")
    expect(page.locator(".k-seal__status")).to_contain_text("押印は不要です")
    expect(page.locator(".k-channel").first).to_contain_text("コンビニ")


def test_seal_free_filters_update_in_place_with_htmx(live_server, page):
    page.goto(live_server + "/seal-free")
    page.wait_for_function("window.htmx !== undefined")
    before = page.locator(".k-result-count").inner_text()
    page.evaluate("window.__marker = 'same page'")
    page.get_by_label("オンライン", exact=True).select_option("online")
    expect(page.locator(".k-result-count")).not_to_have_text(before)
    assert page.evaluate("window.__marker") == "same page"  # no full reload
    assert "online=online" in page.url  # pushed into history: the URL works on its own
    rows = page.locator(".k-table tbody tr td:nth-child(4)")
    assert rows.count() > 0
    assert set(rows.all_inner_texts()) == {"オンラインでできる"}
    page.reload()
    expect(page.get_by_label("オンライン", exact=True)).to_have_value("online")


def test_search_form_works_with_keyboard(live_server, page):
    page.goto(live_server + "/seal-free")
    page.wait_for_function("window.htmx !== undefined")
    page.get_by_label("手続名・担当課でさがす").fill("住民票")
    page.keyboard.press("Enter")
    expect(page.locator(".k-table tbody tr").first).to_contain_text("住民票")
    assert "q=" in page.url


def test_language_switch_changes_lang_and_text(live_server, page):
    page.goto(live_server + "/procedures")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("All procedures")
    page.get_by_role("link", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")


def test_skip_link_moves_focus_to_main(live_server, page):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_no_request_leaves_the_server(live_server, page):
    outside = []
    page.on("request", lambda request: None if request.url.startswith(live_server) else outside.append(request.url))
    for path in ("/", "/seal-free", "/procedures/moving-in", "/patterns"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
    assert outside == []
