"""The one search in the kiosk's chat: life events, other authorities, the resident's language."""

from __future__ import annotations

from tests.fixtures import soup, text_of


def test_a_death_in_the_family_shows_the_okuyami_checklist(kiosk):
    kiosk.start()
    page = soup(kiosk.post("/chat/say", {"text": "父が亡くなった"}, htmx=True))
    last = page.select(".k-bubble")[-1]
    assert "家族が亡くなったとき（おくやみ）" in text_of(last)
    listed = [text_of(li) for li in last.select(".k-checklist li")]
    assert "死亡届・おくやみ手続き" in listed and "国民健康保険の脱退" in listed
    startable = {b["value"] for b in page.select('#replies form[action="/chat/procedure"] button[name=procedure]')}
    assert {"death-registration", "health-insurance-leave"} <= startable
    # each is startable: the first question of the guide follows
    page = soup(kiosk.post("/chat/procedure", {"procedure": "death-registration"}, htmx=True))
    assert "死亡届" in text_of(page.select(".k-bubble")[0])


def test_a_passport_is_handled_by_the_prefecture_not_a_guide(kiosk):
    kiosk.start()
    page = soup(kiosk.post("/chat/say", {"text": "パスポートを申請したい"}, htmx=True))
    last = text_of(page.select(".k-bubble")[-1])
    assert "パスポートセンター" in last
    assert page.select("#replies button[name=answer]") == []  # no guide started


def test_korean_on_the_japanese_screen_offers_korean(kiosk):
    kiosk.start()
    page = soup(kiosk.post("/chat/say", {"text": "주민표를 발급받고 싶어요"}, htmx=True))
    switch = page.select_one('#replies form[action="/language"] button[name=lang]')
    assert switch is not None and switch["value"] == "ko" and text_of(switch) == "한국어"
    assert any("한국어" in text_of(b) for b in page.select(".k-bubble"))
