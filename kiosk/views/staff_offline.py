"""Staff tablets at outreach events, with or without a network: the installable web app (manifest
and service worker, scoped to /staff/), the pages it keeps for offline use, and the sync API.

The pages under /staff/offline/ are the ones the service worker keeps (the guides and the seal-free
list as they were at the last sync, the consultation form, the queue); they carry no key and no
record. docs/offline-tablets.md explains the whole design.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from flask import Blueprint, abort, current_app, g, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from kiosk.catalog import get_catalog
from kiosk.catalog.ledger import LedgerFilters, find_seal_free
from kiosk.consultations import tablet_sync, vocabulary
from kiosk.consultations.form import ConsultationForm
from kiosk.consultations.offline import browser_checks
from kiosk.db import get_db
from kiosk.i18n.locales import current_locale
from kiosk.staff.auth import draft_key, draft_owner, role_required
from kiosk.views.staff import _consultation_form, _defaults
from kiosk.web.htmx import render_page

bp = Blueprint("staff_offline", __name__, url_prefix="/staff")

STATIC_JS = Path(__file__).resolve().parent.parent / "static" / "js"
# The seal-free list kept on a tablet: the whole list of a sample ward, the first part of a huge one.
OFFLINE_SEAL_FREE_LIMIT = 3000


@bp.get("/sw.js")
def service_worker():
    """Served from /staff/ so that its scope is the staff pages (a worker's scope is at most its
    own folder). Checked for updates on every visit."""
    response = send_file(STATIC_JS / "staff-sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": _("手続きサポート 職員用"), "short_name": _("職員用"),
        "start_url": url_for("staff_offline.home"), "scope": url_for("staff.home"),
        "display": "standalone", "background_color": "#ffffff", "theme_color": "#1a4b8c",
        "lang": current_locale().tag,
        "icons": [{"src": url_for("static", filename="img/staff-app.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"}],
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    return response


def _kept_at() -> str:
    """When this page was made: what a kept copy says about its age ("as at the last sync")."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@bp.get("/offline/")
@role_required("supporter")
def home():
    return render_page("staff/offline_home.html", kept_at=_kept_at())


@bp.get("/offline/new")
@role_required("supporter")
def new_record():
    form = _consultation_form(data=_defaults())
    return render_page("staff/consultation_form.html", form=form, errors={}, warnings={}, form_token="",
                       catalog=get_catalog(), vocab=vocabulary, mode="offline",
                       offline_checks=browser_checks(form, current_app.config["TIMEZONE"]), kept_at=_kept_at())


@bp.get("/offline/guides")
@role_required("supporter")
def guides():
    catalog = get_catalog()
    groups = [(c, catalog.in_category(c.id)) for c in catalog.categories.values()]
    return render_page("staff/offline_guides.html", groups=groups, kept_at=_kept_at())


@bp.get("/offline/guides/<procedure_id>")
@role_required("supporter")
def guide(procedure_id: str):
    catalog = get_catalog()
    proc = catalog.procedures.get(procedure_id)
    if proc is None:
        abort(404)
    return render_page("staff/offline_guide.html", procedure=proc, needs=catalog.needs, kept_at=_kept_at())


@bp.get("/offline/seal-free")
@role_required("supporter")
def seal_free():
    result = find_seal_free(get_db(), LedgerFilters(), OFFLINE_SEAL_FREE_LIMIT)
    return render_page("staff/offline_seal_free.html", result=result, kept_at=_kept_at())


@bp.get("/offline/precache.json")
@role_required("supporter")
def precache():
    """What the service worker keeps: these pages and the assets they use."""
    pages = [url_for("staff_offline.home"), url_for("staff_offline.new_record"), url_for("staff_offline.guides"),
             url_for("staff_offline.seal_free")]
    pages += [url_for("staff_offline.guide", procedure_id=pid) for pid in get_catalog().procedures]
    assets = [url_for("static", filename=name) for name in (
        "css/kiosk.css", "css/staff-offline.css", "vendor/htmx.min.js", "js/kiosk.js", "js/personal-data.js",
        "js/staff-offline.js", "img/staff-app.svg", "vendor/fonts/BIZUDPGothic-Regular.ttf",
        "vendor/fonts/BIZUDPGothic-Bold.ttf")]
    return jsonify(pages=pages, assets=assets, sign_in_page=url_for("staff.login"))


@bp.get("/offline/session.json")
@role_required("supporter")
def session_info():
    """Asked for by the tablet's pages when online, never kept by the service worker: the key the
    queue is encrypted with (the same person gets the same key back after an idle sign-out), a fresh
    CSRF token for the sync, and the server's clock."""
    return jsonify(key=draft_key(g.user), owner=draft_owner(g.user), csrf=generate_csrf(),
                   server_time=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))


def _form_parser(now: dt.datetime):
    """Parses a record's fields with the online form, today's sites and topics read once per request.
    ``now`` is the clock the start time is checked against (tablet_sync.checking_clock)."""
    sample = _consultation_form()
    sites = [(int(choice.value), choice.label) for choice in sample.site_id.choices]
    topics = [(choice.value, choice.label) for choice in sample.topics.choices]
    timezone = current_app.config["TIMEZONE"]
    return lambda fields: ConsultationForm(MultiDict(fields), sites=sites, topics=topics, timezone=timezone,
                                           now=now).parse()


@bp.post("/offline/sync")
@role_required("supporter")
def sync():
    try:
        sent_at, items = tablet_sync.parse_request(request.get_json(silent=True))
    except tablet_sync.BadRequest as error:
        return jsonify(error=str(error)), 400
    skew = tablet_sync.clock_skew_seconds(sent_at)
    parse = _form_parser(tablet_sync.checking_clock(sent_at))
    answers = tablet_sync.store_records(get_db(), g.user["id"], items, parse)
    body = {"server_time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "clock_skew_seconds": skew,
            "results": answers}
    if tablet_sync.clock_is_off(skew):
        body["clock_message"] = str(tablet_sync.CLOCK_OFF) % {"minutes": round(abs(skew) / 60)}
    return jsonify(body)

