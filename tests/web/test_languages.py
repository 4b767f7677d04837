"""Every locale through the Flask test client: the page language, translated content with its
「日本語のみ」 fallback, Japanese quoted in translations, furigana and the language menu."""

from __future__ import annotations

import pytest

from kiosk.i18n.locales import LOCALES
from tests.fixtures import query_rows, soup, text_of

# A string of each kind per locale, as the catalogs have it (not computed by the code under test).
START_HEADING = {
    "ja": "画面にさわってください", "en": "Touch the screen to begin",
}
MOVING_IN_TITLE = {
    "ja": "転入届", "en": "Moving-in notification", "zh_Hans": "迁入申报", "ko": "전입신고",
    "vi": "Thông báo chuyển đến",
}


@pytest.mark.parametrize("locale", LOCALES, ids=[loc.code for loc in LOCALES])
def test_every_page_renders_in_every_locale_with_its_lang(kiosk, locale):
    kiosk.start(locale.code)
    pages = ["/chat", "/procedures", "/procedures/residence-certificate",
             "/guide/residence-certificate/convenience-store/1", "/language", "/seal-free"]
    for url in pages:
        response = kiosk.get(url)
        assert response.status_code == 200, url
        page = soup(response)
        assert page.html["lang"] == locale.tag, url
        assert page.html["dir"] == "ltr"
    # The interface is translated: the toolbar's menu is named in the language itself.
    menu = text_of(soup(kiosk.get("/chat")).select_one(".k-toolbar__language"))
    if locale.code not in ("ja", "ja@easy"):
        assert menu.split(" / ")[0] != "ことば"


@pytest.mark.parametrize("code", sorted(MOVING_IN_TITLE))
def test_content_is_shown_in_the_chosen_language(client, code):
    page = soup(client.get(f"/procedures/moving-in?lang={code}"))
    assert text_of(page.select_one("h1")) == MOVING_IN_TITLE[code]
    assert not page.select(".k-ja-only")  # moving-in is translated in full


def test_start_heading_follows_the_choice(client):
    for code, heading in START_HEADING.items():
        assert text_of(soup(client.get(f"/?lang={code}")).select_one("h1")) == heading


def test_untranslated_content_falls_back_to_marked_japanese(client):
    # Nepali has the ten core procedures; the family register certificate is not one of them.
    page = soup(client.get("/procedures/family-register-certificate?lang=ne"))
    heading = page.select_one("h1")
    japanese = heading.select_one('span[lang="ja"]')
    assert text_of(japanese) == "戸籍証明書（戸籍謄本・抄本）の交付"
    assert text_of(heading.select_one(".k-ja-only")) == "जापानी भाषामा मात्र"  # 日本語のみ, in Nepali
    # Never a raw message id or a blank: every channel title is there, in Japanese.
    assert all(text_of(h).strip() for h in page.select(".k-channel h3"))
    # <title> holds text only, without the marker's markup.
    assert page.title.string.startswith("戸籍証明書（戸籍謄本・抄本）の交付 |")


def test_translated_content_marks_quoted_japanese(client):
    page = soup(client.get("/procedures/moving-in?lang=ne"))
    quoted = [text_of(span) for span in page.select('h1 span[lang="ja"]')]
    assert quoted == ["転入届"]  # सरेर आउने सूचना (転入届)
    page = soup(client.get("/procedures/residence-certificate?lang=zh_Hans"))
    assert all("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or ch in "・ー"
               for span in page.select('main span[lang="ja"]') for ch in text_of(span))
    assert page.select('main span[lang="ja"]'), "Japanese names quoted in Chinese are tagged"


def test_easy_japanese_rewrites_the_core_procedures(client):
    page = soup(client.get("/procedures/moving-in?lang=ja@easy"))
    assert page.html["lang"] == "ja"
    assert text_of(page.select_one("h1")) != "転入届" and "転入届" in text_of(page.select_one("h1"))
    assert not page.select(".k-ja-only")  # ordinary Japanese is not "Japanese only" to its reader


def test_language_menu_switches_mid_session_and_keeps_the_thread(kiosk):
    kiosk.start("ja")
    kiosk.post("/chat/category", {"category": "certificates", "turn": 0})
    before = soup(kiosk.get("/chat")).select(".k-bubble")
    menu = soup(kiosk.get("/language?next=/chat"))
    choices = [(b["value"], b["lang"]) for b in menu.select("button[name=lang]")]
    assert ("ko", "ko") in choices and len(choices) == 9
    response = kiosk.post("/language", {"lang": "ko", "next": "/chat"})
    assert response.status_code == 303 and response.headers["Location"] == "/chat"
    after = soup(kiosk.get("/chat"))
    assert after.html["lang"] == "ko"
    assert len(after.select(".k-bubble")) == len(before)  # the same conversation, now in Korean
    assert "증명서" in text_of(after.select(".k-bubble")[-1])  # 「証明書」の手続きです → Korean
    events = query_rows(kiosk.app, "select event, detail from kiosk_events where event = 'language_chosen'")
    assert [e["detail"] for e in events] == ["ja", "ko"]


def test_language_menu_refuses_unknown_codes_and_foreign_targets(kiosk):
    kiosk.start("ja")
    assert kiosk.post("/language", {"lang": "fr", "next": "/chat"}).status_code == 400
    response = kiosk.post("/language", {"lang": "en", "next": "https://example.com/"})
    assert response.headers["Location"] == "/"


def test_furigana_on_every_kiosk_screen(kiosk):
    kiosk.start("ja")
    assert not soup(kiosk.get("/chat")).select("ruby")
    page = soup(kiosk.get("/guide/residence-certificate/counter/1"))
    toggle = page.select_one('form[action="/furigana"] button')
    assert toggle["aria-pressed"] == "false"
    response = kiosk.post("/furigana", {"furigana": "on", "next": "/guide/residence-certificate/counter/1"})
    assert response.headers["Location"] == "/guide/residence-certificate/counter/1"
    page = soup(kiosk.get("/guide/residence-certificate/counter/1"))
    assert page.select_one('form[action="/furigana"] button')["aria-pressed"] == "true"
    readings = {text_of(r.contents[0]): text_of(r.rt) for r in page.select("ruby")}
    assert readings["申請書"] == "しんせいしょ" and readings["書"] == "か"  # 申請書を書く
    assert "住民票" in readings and readings["住民票"] == "じゅうみんひょう"
    # Not inside <title> or attribute values.
    assert "<ruby>" not in str(page.title)
    assert all("<ruby>" not in (b.get("aria-label") or "") for b in page.select("[aria-label]"))
    # htmx fragments get it too.
    fragment = kiosk.post("/chat/category", {"category": "certificates", "turn": 0}, htmx=True)
    assert "<ruby>" in fragment.get_data(as_text=True)
    # Other screens of the kiosk: the list, the start screen.
    assert soup(kiosk.get("/procedures")).select("ruby")
    kiosk.post("/furigana", {"furigana": "off", "next": "/chat"})
    assert not soup(kiosk.get("/chat")).select("ruby")


def test_furigana_in_another_language_covers_only_japanese(client):
    client.get("/?lang=en")
    token = soup(client.get("/")).select_one('meta[name="csrf-token"]')["content"]
    client.post("/furigana", data={"csrf_token": token, "furigana": "on", "next": "/"})
    page = soup(client.get("/procedures/moving-in"))
    rubies = page.select("ruby")
    assert rubies and all(r.find_parent(attrs={"lang": "ja"}) for r in rubies)
    page = soup(client.get("/procedures/moving-in?lang=zh_Hans"))
    assert all(r.find_parent(attrs={"lang": "ja"}) for r in page.select("ruby"))  # never over Chinese


def test_reset_turns_furigana_off(kiosk):
    kiosk.start("ja")
    kiosk.post("/furigana", {"furigana": "on", "next": "/chat"})
    assert soup(kiosk.get("/chat")).select("ruby")
    kiosk.post("/reset")
    page = soup(kiosk.get("/"))  # the start screen is a kiosk screen too
    assert not page.select("ruby")
    assert page.select_one('form[action="/furigana"] button')["aria-pressed"] == "false"


@pytest.mark.parametrize(("code", "expected"), [
    # residence-certificate.yaml: reviewed_on: 2026-12-03
    ("ja", "令和8年12月3日"), ("ja@easy", "2026年12月3日"), ("en", "December 3, 2026"),
    ("ko", "2026년 12월 3일"), ("pt_BR", "3 de dezembro de 2026"), ("vi", "3 tháng 12, 2026"),
])
def test_dates_follow_the_locale(client, code, expected):
    page = soup(client.get(f"/procedures/residence-certificate?lang={code}"))
    facts = {text_of(dt): text_of(dd) for dt, dd in zip(page.select(".k-facts dt"), page.select(".k-facts dd"),
                                                         strict=False)}
    assert expected in facts.values(), facts


def test_numbers_follow_the_locale(app):
    from kiosk.i18n.formats import resident_number, resident_percent

    with app.test_request_context("/?lang=pt_BR"):
        assert resident_number(12345) == "12.345" and resident_percent(0.853) == "85,3%"
    with app.test_request_context("/?lang=ja"):
        assert resident_number(12345) == "12,345" and resident_percent(0.853) == "85.3%"
    with app.test_request_context("/?lang=en"):
        assert resident_number(3.14159, "0.00") == "3.14" and resident_percent(None) == "—"


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9", "zh-Hans"), ("zh-TW", "zh-Hans"), ("pt-PT", "pt-BR"), ("fil-PH", "tl"),
    ("en-GB,ja;q=0.5", "en"), ("ko-KR", "ko"), ("fr-FR,de;q=0.8", "ja"), ("ne-NP", "ne"),
])
def test_accept_language_matches_the_primary_language(client, header, expected):
    assert soup(client.get("/", headers={"Accept-Language": header})).html["lang"] == expected


def test_the_phone_page_opens_in_the_language_used_at_the_kiosk(kiosk):
    kiosk.start("ja")
    kiosk.post("/language", {"lang": "ko", "next": "/chat"})  # changed mid-session
    response = kiosk.post("/handoff", {"procedure": "moving-in", "channel": "counter-card", "action": "phone"})
    code = response.headers["Location"].rsplit("/", 1)[-1]
    [record] = query_rows(kiosk.app, "select locale from handoffs")
    assert record["locale"] == "ko"
    phone = kiosk.app.test_client()  # the resident's phone: no session, no language chosen
    page = soup(phone.get(f"/h/{code}"))
    assert page.html["lang"] == "ko" and text_of(page.select_one("h1")) == "전입신고"
    page = soup(phone.get(f"/h/{code}?lang=en"))
    assert page.html["lang"] == "en" and text_of(page.select_one("h1")) == "Moving-in notification"


def candidate_ids(page) -> list[str]:
    return [b["value"] for b in page.select('form[action="/chat/procedure"] button[name="procedure"]')]


def offered_ids(kiosk, code, page) -> list[str]:
    """What the chat offers for the last text: the guide it started with confidence (named, in the
    screen's language, in the assistant's last bubbles), then the candidates it lists."""
    from kiosk.catalog import localized_catalog

    with kiosk.app.app_context():
        titles = {pid: p.title for pid, p in localized_catalog(code).procedures.items()}
    # Whitespace left out: quoted Japanese inside a title is its own <span lang="ja">.
    said = "".join("".join(text_of(bubble).split()) for bubble in page.select(".k-bubble--assistant")[-3:])
    return [pid for pid, title in titles.items() if "".join(title.split()) in said] + candidate_ids(page)


def test_residents_can_type_in_their_own_language(kiosk):
    kiosk.start("ko")
    kiosk.post("/chat/say", {"text": "전입신고"})  # exactly the Korean title of 転入届
    page = soup(kiosk.get("/chat"))
    assert "전입신고" in text_of(page.select(".k-bubble--assistant")[-2])  # 「%(title)s」のことですね → Korean
    assert page.select_one('form[action="/chat/answer"]')  # the guide has started: its first question
    kiosk.post("/chat/say", {"text": "대형 쓰레기"})  # "large rubbish": not a title, but the words residents use
    assert offered_ids(kiosk, "ko", soup(kiosk.get("/chat")))[0] == "bulky-waste"


@pytest.mark.parametrize(("code", "typed", "expected"), [
    ("zh_Hans", "大件垃圾", "bulky-waste"),
    ("vi", "rac co lon", "bulky-waste"),  # typed without the diacritics of rác cỡ lớn
    ("pt_BR", "creche", "nursery-enrollment"),
    ("ne", "ठूलो फोहोर", "bulky-waste"),
])
def test_own_language_words_start_or_offer_the_procedure(kiosk, code, typed, expected):
    kiosk.start(code)
    kiosk.post("/chat/say", {"text": typed})
    assert expected in offered_ids(kiosk, code, soup(kiosk.get("/chat")))


def test_japanese_sessions_search_as_before(kiosk):
    kiosk.start("ja")
    kiosk.post("/chat/say", {"text": "大件垃圾"})  # Chinese words mean nothing to the Japanese search
    page = soup(kiosk.get("/chat"))
    assert "bulky-waste" not in candidate_ids(page)
