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

from kiosk.catalog.schema import Channel, ChannelKind, Procedure
from kiosk.i18n.formats import date_in
from kiosk.i18n.locales import shipped_locale, using_locale
from kiosk.pdf import font_configuration
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


def render_handoff_html(*, handoff: dict, procedure: Procedure, channel: Channel | None, needs: dict,
                        layout: str, public_base_url: str = "") -> str:
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
        return render_template(
            "print/handoff.html", handoff=handoff, procedure=procedure, channel=channel, needs=needs,
            layout=spec, locale=locale, locale_tag=shipped_locale(locale).tag, staff_title=staff_title,
            official_url=official, followup_url=followup,
            official_qr=qr_svg(official, "official", module_mm=spec.module_mm) if official else None,
            followup_qr=qr_svg(followup, "follow-up", module_mm=spec.module_mm) if followup else None,
            created=date_in(created, locale), expires=date_in(expires, locale))


def render_handoff_pdf(**kwargs) -> bytes:
    from weasyprint import HTML

    html = render_handoff_html(**kwargs)
    return HTML(string=html).write_pdf(font_config=font_configuration())
