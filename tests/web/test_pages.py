"""Pages through the Flask test client; HTML checked with selectors."""

from __future__ import annotations

import pytest

from kiosk.catalog import get_catalog
from tests.fixtures import soup, text_of
from tests.unit.test_content_loader import PRODUCT_IDS


def test_pages_have_language_skip_link_and_csrf_token(client):
    page = soup(client.get("/procedures"))
    assert page.html["lang"] == "ja"
    skip = page.select_one("a.k-skip-link")
    assert skip["href"] == "#main" and page.select_one("main#main")
    chips = [text_of(a) for a in page.select(".k-chips .k-chip")]
    assert chips[:4] == ["すべて", "証明書", "引っ越し", "出生・結婚・おくやみ"]
    assert len(chips) == 11
    # Kiosk screens reach every language through the toolbar's 「ことば / Language」 menu.
    menu = page.select_one("a.k-toolbar__language")
    assert menu["href"] == "/language?next=/procedures" and "Language" in text_of(menu)
    assert page.select_one('meta[name="csrf-token"]')["content"]


def test_public_pages_link_every_language_in_its_own_name(client):
    page = soup(client.get("/seal-free"))
    languages = page.select(".k-lang__link")
    assert [(a["lang"], a["hreflang"], text_of(a)) for a in languages][:3] == [
        ("ja", "ja", "日本語"), ("ja", "ja", "やさしい にほんご"), ("en", "en", "English")]
    assert len(languages) == 9


def test_english_is_chosen_explicitly_and_remembered(client):
    page = soup(client.get("/?lang=en"))
    assert page.html["lang"] == "en"
    assert text_of(page.select_one("h1")) == "Touch the screen to begin"
    again = soup(client.get("/procedures"))
    assert again.html["lang"] == "en"
    assert text_of(again.select_one("h1")) == "All procedures"


def test_accept_language_is_used_without_a_choice(client):
    page = soup(client.get("/", headers={"Accept-Language": "en-US,en;q=0.8"}))
    assert page.html["lang"] == "en"
    page = soup(client.get("/", headers={"Accept-Language": "fr"}))
    assert page.html["lang"] == "ja"


def test_procedure_list_filters_by_category(client):
    page = soup(client.get("/procedures?category=moving"))
    links = [a["href"] for a in page.select(".k-card__link")]
    assert sorted(links) == ["/procedures/moving-in", "/procedures/moving-out", "/procedures/moving-within"]
    assert page.select_one('.k-chip[aria-current="true"]').get_text(strip=True) == "引っ越し"
    assert client.get("/procedures?category=nope").status_code == 404


@pytest.mark.parametrize("procedure_id", PRODUCT_IDS)
def test_every_procedure_page_shows_seal_channels_and_steps(app, client, procedure_id):
    with app.app_context():
        proc = get_catalog().procedures[procedure_id]
    page = soup(client.get(f"/procedures/{procedure_id}"))
    assert text_of(page.select_one("h1")) == proc.title
    badge = page.select_one(".k-seal")
    expected = "k-seal--required" if proc.seal.status == "required" else "k-seal--free"
    assert expected in badge["class"]
    sections = page.select(".k-channel")
    assert [text_of(s.select_one("h3")).split(" ", 1)[1] for s in sections] == [c.title for c in proc.channels]
    for section, channel in zip(sections, proc.channels, strict=True):
        assert len(section.select(".k-step-list > li")) == len(channel.steps)
        assert len(section.select(".k-checklist__item")) == len(channel.needs)


def test_unknown_procedure_is_a_friendly_404(client):
    response = client.get("/procedures/no-such-thing")
    assert response.status_code == 404
    page = soup(response)
    assert text_of(page.select_one("h1")) == "お探しのページは見つかりませんでした。"
    assert page.select_one('a[href="/"]')


def test_security_headers_and_vary(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_only_reference_assets_served_by_the_app(client):
    for url in ("/", "/procedures", "/seal-free", "/patterns"):
        page = soup(client.get(url))
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
            for node in page.find_all(tag):
                ref = node.get(attr)
                if ref:
                    assert ref.startswith("/static/"), (url, ref)
                    with client.get(ref) as asset:
                        assert asset.status_code == 200, ref


def test_patterns_page_shows_every_component(client):
    page = soup(client.get("/patterns"))
    for selector in (".k-button--xl", ".k-button--large", ".k-button--medium", ".k-button--secondary",
                     ".k-chip", ".k-input", ".k-select", ".k-radios__input", ".k-error-summary[role=alert]",
                     ".k-steps [aria-current=step]", ".k-seal--free", ".k-seal--required",
                     ".k-checklist", ".k-facts", ".k-notice", ".k-pagination"):
        assert page.select_one(selector), selector
    error_input = page.select_one("#f-pattern-minutes")
    assert error_input["aria-invalid"] == "true"
    assert "f-pattern-minutes-error" in error_input["aria-describedby"]


def test_healthz_reports_database_content_and_version(ledger_app):
    response = ledger_app.test_client().get("/healthz")
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "ok"
    assert data["content"] == {"ok": True, "procedures": 35, "loaded_at": data["content"]["loaded_at"]}
    assert data["database"]["ok"] and data["database"]["ledger_entries"] > 190
    assert data["version"]


@pytest.mark.parametrize("url", ["/seal-free?endpoint=1", "/procedures?_method=POST", "/procedures?_external=1",
                                 "/procedures/residence-certificate?procedure_id=x", "/nonexistent?endpoint=x",
                                 "/guide/residence-certificate/counter/1?number=2&channel_id=y"])
def test_query_arguments_cannot_break_the_language_links(client, url):
    response = client.get(url)
    assert response.status_code in (200, 404)
    page = soup(response)
    links = [a["href"] for a in page.select(".k-lang__link")]
    menu = page.select_one("a.k-toolbar__language")
    if menu:  # kiosk screens: the menu returns to this page
        assert menu["href"].startswith("/language?next=" + url.split("?")[0].replace("/", "%2F")) or \
            menu["href"].startswith("/language?next=" + url.split("?")[0])
    else:
        assert links and all(link.startswith(url.split("?")[0] + "?") and "lang=" in link for link in links)
