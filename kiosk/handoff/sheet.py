"""The handoff sheet as a PDF: WeasyPrint with the BIZ UDGothic font, QR codes as vector SVG.

Two layouts: A4 portrait, and an 80 mm receipt roll (72 mm printable, 203 dpi thermal printers).
QR modules are at least 0.4 mm on A4 and 0.5 mm on the roll, so that phone cameras (and zbar)
read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import gettext as _

from kiosk.catalog.schema import Channel, ChannelKind, Procedure
from kiosk.i18n.formats import date_in
from kiosk.i18n.locales import shipped_locale, using_locale
from kiosk.pdf import render_pdf
from kiosk.qr import qr_svg


@dataclass(frozen=True)
class Layout:
    name: str
    module_mm: float  # size of one QR module
    page_css: str


LAYOUTS = {
    "a4": Layout("a4", 0.8, "@page { size: A4 portrait; margin: 14mm 16mm; }"),
    # A receipt roll has no fixed length: long sheets continue on the next "page" of the roll.
    "80mm": Layout("80mm", 0.6, "@page { size: 80mm 240mm; margin: 4mm 4mm 6mm; }"),
}


def application_url(procedure: Procedure, channel: Channel | None) -> str | None:
    """The official online application: the recommended channel's page, else the first online one."""
    if channel is not None and channel.url:
        return channel.url
    online = next((c for c in procedure.channels if c.kind == ChannelKind.ONLINE and c.url), None)
    return online.url if online else None


def handoff_sheet_context(*, handoff: dict, procedure: Procedure, channel: Channel | None, needs: dict,
                          layout: str, public_base_url: str = "", qr_px: int | None = None,
                          life_event_id: str | None = None) -> dict:
    """What the sheet shows, for paper (QR modules in mm) or for the kiosk's on-screen preview
    (``qr_px``: modules in CSS pixels). ``life_event_id``: the life event the resident started
    this guide from (kept in the kiosk session): its procedures are listed as a checklist."""
    from kiosk.catalog import base_catalog, localized_catalog

    spec = LAYOUTS[layout]
    locale = handoff["locale"] or "ja"
    # The sheet is in the language the resident chose, whoever prints it; staff get the Japanese title.
    catalog = localized_catalog(locale)
    staff_title = base_catalog().procedures.get(procedure.id, procedure).title
    if procedure.id in catalog.procedures:
        procedure = catalog.procedures[procedure.id]
        channel = procedure.channel(channel.id) if channel is not None else None
        needs = catalog.needs
    with using_locale(locale):
        official = application_url(procedure, channel)
        followup = f"{public_base_url.rstrip('/')}/h/{handoff['code']}" if public_base_url else None
        zone = ZoneInfo(current_app.config["TIMEZONE"])  # the ward's calendar day, not UTC's
        created = dt.datetime.fromisoformat(handoff["created_at"]).astimezone(zone).date()
        expires = dt.datetime.fromisoformat(handoff["expires_at"]).astimezone(zone).date()
        size = {"module_px": qr_px} if qr_px else {"module_mm": spec.module_mm}
        return dict(
            handoff=handoff, procedure=procedure, channel=channel, needs=needs,
            layout=spec, locale=locale, locale_tag=shipped_locale(locale).tag, staff_title=staff_title,
            official_url=official, followup_url=followup,
            official_qr=qr_svg(official, _("オンライン申請のページのQRコード"), **size) if official else None,
            followup_qr=qr_svg(followup, _("引継ぎページのQRコード"), **size) if followup else None,
            created=date_in(created, locale), expires=date_in(expires, locale),
            life_event=_life_event_checklist(catalog, life_event_id, procedure.id))


def _life_event_checklist(catalog, event_id: str | None, procedure_id: str) -> dict | None:
    """The event's title and its procedures in the sheet's language, this sheet's one marked;
    None when the guide was not started from an event (or the event is gone from the content)."""
    event = catalog.life_events.get(event_id or "")
    if event is None or procedure_id not in event.procedures:
        return None
    items = [{"id": pid, "title": catalog.procedures[pid].title, "this": pid == procedure_id}
             for pid in event.procedures if pid in catalog.procedures]
    return {"id": event.id, "title": event.title, "items": items}


def render_handoff_html(**kwargs) -> str:
    context = handoff_sheet_context(**kwargs)
    with using_locale(context["locale"]):
        return render_template("print/handoff.html", **context)


def render_handoff_pdf(**kwargs) -> bytes:
    """The sheet's PDF, laid out in the worker pool (raises kiosk.workers.WorkersBusy when it is full)."""
    return render_pdf(render_handoff_html(**kwargs))
