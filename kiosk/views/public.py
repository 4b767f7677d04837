"""Public pages: the seal-free list, the component patterns, the health check."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request, session, url_for

from kiosk.catalog import get_catalog
from kiosk.catalog.ledger import (
    ONLINE_STATES,
    SEAL_FREE_RESULTS,
    LedgerFilters,
    departments,
    find_seal_free,
)
from kiosk.db import get_db
from kiosk.handoff.records import find_handoff, lookup_allowed
from kiosk.handoff.sheet import application_url
from kiosk.health import health_report
from kiosk.i18n.locales import LOCALE_CODES, current_locale, using_locale
from kiosk.open_data import (
    BadParameters,
    bad_parameters_document,
    procedures_document,
    seal_free_document,
    seal_free_filters,
)
from kiosk.web.errors import storage_watch
from kiosk.web.htmx import render_page

bp = Blueprint("public", __name__)


def _filters_from(args, known_departments: list[str]) -> tuple[LedgerFilters, dict[str, str]]:
    """Read the filter form; a value that is not offered is dropped with a message."""
    errors = {}
    query = (args.get("q") or "").strip()[:100]
    department = args.get("department", "")
    result = args.get("result", "")
    online = args.get("online", "")
    if department and department not in known_departments:
        errors["department"] = "unknown"
        department = ""
    if result and result not in SEAL_FREE_RESULTS:
        errors["result"] = "unknown"
        result = ""
    if online and online not in ONLINE_STATES.values():
        errors["online"] = "unknown"
        online = ""
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    return LedgerFilters(query, department, result, online, page), errors


@bp.get("/seal-free")
def seal_free():
    known = departments(get_db())
    filters, errors = _filters_from(request.args, known)
    result = find_seal_free(get_db(), filters, current_app.config["LEDGER_PAGE_SIZE"])
    department_items = [(d, d) for d in known]
    return render_page("public/seal_free.html", "results", filters=filters, errors=errors,
                       result=result, department_items=department_items)


@bp.get("/h/<path:typed>")
def handoff(typed: str):
    """The resident's phone, from QR 2 on the sheet. Unknown, malformed and expired codes get
    the same friendly page (no hint whether a similar code exists); lookups are rate-limited."""
    db = get_db()
    config = current_app.config
    if not lookup_allowed(db, request.remote_addr or "unknown", config["SECRET_KEY"],
                          config["HANDOFF_LOOKUPS_PER_10_MINUTES"]):
        return render_page("public/handoff_missing.html", limited=True), 429
    record = find_handoff(db, typed)
    if record is None or record["expired"] or record["procedure_id"] not in get_catalog().procedures:
        return render_page("public/handoff_missing.html", limited=False), 404
    # The phone shows the language the resident used at the kiosk, unless they pick another here.
    chosen = request.args.get("lang") in LOCALE_CODES or session.get("lang") in LOCALE_CODES
    locale = current_locale().code if chosen or record["locale"] not in LOCALE_CODES else record["locale"]
    with using_locale(locale):
        catalog = get_catalog()
        proc = catalog.procedures[record["procedure_id"]]
        channel = proc.channel(record["channel_id"]) if record["channel_id"] else None
        return render_page("public/handoff.html", handoff=record, procedure=proc, channel=channel,
                           needs=catalog.needs, official_url=application_url(proc, channel))


def _json(document: dict, status: int = 200):
    # Japanese as it is, not \u escapes: other systems and people reading it get the text.
    return current_app.response_class(json.dumps(document, ensure_ascii=False), status=status,
                                      mimetype="application/json")


@bp.get("/procedures.json")
def procedures_json():
    """The procedure guides for other systems (docs/api.md); ?lang= one of the shipped locales."""
    from kiosk.catalog import localized_catalog

    language = request.args.get("lang") or current_app.config["DEFAULT_LOCALE"]
    if language not in LOCALE_CODES:
        error = BadParameters({"lang": f"expected one of {', '.join(LOCALE_CODES)}"})
        return _json(bad_parameters_document(error), 400)
    with using_locale(language):
        catalog = localized_catalog(language)
        document = procedures_document(catalog, language, current_app.config["VERSION"], lambda pid: url_for(
            "kiosk.procedure", procedure_id=pid, lang=language, _external=True))
    return _json(document)


@bp.get("/seal-free.json")
def seal_free_json():
    """The seal-free list for other systems (docs/api.md), with the page's filters."""
    db = get_db()
    try:
        filters, per_page = seal_free_filters(db, request.args, current_app.config["LEDGER_PAGE_SIZE"])
    except BadParameters as error:
        return _json(bad_parameters_document(error), 400)
    return _json(seal_free_document(db, filters, per_page))


@bp.get("/patterns")
def patterns():
    catalog = get_catalog()
    example = catalog.procedures.get("residence-certificate") or next(iter(catalog.procedures.values()))
    return render_page("public/patterns.html", procedure=example, needs=catalog.needs)


@bp.get("/healthz")
def healthz():
    report, healthy = health_report(current_app, storage_watch())
    return jsonify(report), 200 if healthy else 503
