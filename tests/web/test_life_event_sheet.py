"""A guide started from a life event's checklist: its handoff sheet (the kiosk's preview and the
real PDF) lists the event's procedures, the sheet's own one marked, in the sheet's language."""

from __future__ import annotations

import subprocess

from kiosk.catalog import base_catalog, localized_catalog
from tests.fixtures import soup, text_of


def _event_and_titles(app, locale: str, event_id: str = "death-in-family"):
    with app.app_context():
        event = base_catalog().life_events[event_id]
        catalog = localized_catalog(locale)
        first_channel = base_catalog().procedures[event.procedures[0]].channels[0].id
        return (str(catalog.life_events[event_id].title), event.procedures,
                [str(catalog.procedures[p].title) for p in event.procedures], first_channel)


def _handoff_through_the_event(kiosk, lang: str, text: str) -> tuple[str, list[str], list[str], str]:
    event_title, procedures, titles, channel = _event_and_titles(kiosk.app, lang)
    kiosk.start(lang)
    page = soup(kiosk.post("/chat/say", {"text": text}, htmx=True))
    assert event_title in text_of(page.select(".k-bubble")[-1])  # the checklist came up
    kiosk.post("/chat/procedure", {"procedure": procedures[0]}, htmx=True)
    response = kiosk.post("/handoff", {"procedure": procedures[0], "channel": channel, "action": "phone"})
    assert response.status_code == 303
    return response.headers["Location"], procedures, titles, event_title


def test_the_sheet_preview_lists_the_events_procedures_with_this_one_marked(kiosk):
    location, procedures, titles, event_title = _handoff_through_the_event(kiosk, "ja", "父が亡くなった")
    sheet = soup(kiosk.get(location + "/sheet")).select_one(".k-sheet")
    heading = next(h for h in sheet.select("h3") if "あわせてする手続き" in text_of(h))
    assert event_title in text_of(heading)
    items = sheet.select("ul.life-event li")
    assert [text_of(li).split(" (")[0] for li in items] == titles
    marked = [li for li in items if li.get("aria-current") == "true"]
    assert len(marked) == 1 and titles[0] in text_of(marked[0]) and "このシートの手続き" in text_of(marked[0])


def test_the_printed_pdf_lists_them_in_the_sheets_language(kiosk):
    location, procedures, titles, event_title = _handoff_through_the_event(kiosk, "en", "my father died")
    response = kiosk.get(location + ".pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True).stdout
    text = " ".join(text.decode().split())
    assert "Other procedures to do" in text and event_title in text
    for title in titles:
        assert " ".join(title.split()) in text
    assert "this sheet" in text


def test_a_guide_not_started_from_an_event_has_no_checklist_of_one(kiosk):
    kiosk.start()
    kiosk.post("/chat/procedure", {"procedure": "residence-certificate"}, htmx=True)
    response = kiosk.post("/handoff", {"procedure": "residence-certificate", "channel": "counter", "action": "phone"})
    sheet = soup(kiosk.get(response.headers["Location"] + "/sheet")).select_one(".k-sheet")
    assert sheet.select("ul.life-event") == [] and "あわせてする手続き" not in text_of(sheet)
