"""Public pages: the seal-free list, the component patterns, the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, session

from kiosk.catalog import ContentError, get_catalog
from kiosk.catalog.ledger import (
    ONLINE_STATES,
    SEAL_FREE_RESULTS,
    LedgerFilters,
    departments,
    find_seal_free,
    ledger_count,
)
from kiosk.db import get_db
from kiosk.handoff.records import find_handoff, lookup_allowed
from kiosk.handoff.sheet import application_url
from kiosk.i18n.locales import LOCALE_CODES, current_locale, using_locale
from kiosk.migrations import pending_migrations
from kiosk.storage import check_storage, free_bytes
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


@bp.get("/patterns")
def patterns():
    catalog = get_catalog()
    example = catalog.procedures.get("residence-certificate") or next(iter(catalog.procedures.values()))
    return render_page("public/patterns.html", procedure=example, needs=catalog.needs)


@bp.get("/healthz")
def healthz():
    report = {"version": current_app.config["VERSION"]}
    healthy = True
    try:
        db = get_db()
        pending = pending_migrations(db)
        report["database"] = {"ok": not pending, "pending_migrations": pending,
                              "ledger_entries": ledger_count(db)}
        healthy &= not pending
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        report["database"] = {"ok": False, "error": str(exc)}
        healthy = False
    # Reads may still work on a full disk or a read-only file: only a real write tells.
    problem = check_storage(current_app.config["DATABASE"])
    if problem is None:
        storage_watch().clear()
        report["storage"] = {"ok": True, "free_bytes": free_bytes(current_app.config["DATABASE"])}
    else:
        storage_watch().record(problem)
        report["storage"] = problem.as_json()
        healthy = False
    try:
        catalog = get_catalog()
        report["content"] = {"ok": True, "procedures": len(catalog.procedures),
                             "loaded_at": catalog.loaded_at.isoformat(timespec="seconds")}
    except ContentError as exc:
        report["content"] = {"ok": False, "problems": len(exc.problems)}
        healthy = False
    report["status"] = "ok" if healthy else "error"
    return jsonify(report), 200 if healthy else 503
