"""Read-only data for the ward's other systems: the procedure guides (/procedures.json) and the
seal-free list (/seal-free.json), documented field by field in docs/api.md.

Only what residents may see anyway: the published content, and the ledger's public columns (no
review notes, reasons for keeping a seal or 例規 work of the DX task force)."""

from __future__ import annotations

from collections.abc import Mapping

import sqlite_utils

from kiosk.catalog.ledger import ONLINE_STATES, SEAL_FREE_RESULTS, LedgerFilters, departments, find_seal_free
from kiosk.catalog.loader import Catalog
from kiosk.catalog.schema import Procedure

API_VERSION = 1
SEAL_FREE_FIELDS = ("key", "ward_number", "name", "department", "legal_basis", "seal_kind", "review_result",
                    "reviewed_on", "abolished_on", "online", "procedure_id", "updated_at")
MAX_PER_PAGE = 1000
MAX_QUERY_LENGTH = 100


class BadParameters(ValueError):
    """Query parameters the API cannot answer: ``problems`` maps each parameter to what it accepts."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))
        self.problems = problems


def procedures_document(catalog: Catalog, language: str, version: str, page_url) -> dict:
    """Every procedure of ``catalog`` (already in ``language``), in content order."""
    return {"api_version": API_VERSION, "version": version, "language": language,
            "content_loaded_at": catalog.loaded_at.isoformat(timespec="seconds"),
            "procedures": [_procedure(proc, catalog, page_url(proc.id)) for proc in catalog.procedures.values()]}


def _procedure(proc: Procedure, catalog: Catalog, url: str) -> dict:
    category = catalog.categories.get(proc.category)
    return {
        "id": proc.id, "title": proc.title, "reading": proc.reading,
        "category": {"id": proc.category, "title": category.title if category else None},
        "audience": str(proc.audience), "summary": proc.summary,
        "seal": {"status": str(proc.seal.status), "abolished_on": _date(proc.seal.abolished_on),
                 "seal_type": proc.seal.seal_type, "note": proc.seal.note},
        "channels": [{"id": channel.id, "kind": str(channel.kind), "title": channel.title,
                      "summary": channel.summary, "fee": channel.fee, "hours": channel.hours,
                      "office": channel.office, "duration": channel.duration,
                      "url": str(channel.url) if channel.url else None, "needs": list(channel.needs),
                      "steps": [{"title": step.title, "body": step.body} for step in channel.steps]}
                     for channel in proc.channels],
        "office": proc.office, "contact": proc.contact, "source_url": str(proc.source_url),
        "reviewed_on": _date(proc.reviewed_on), "url": url,
    }


def _date(value) -> str | None:
    return value.isoformat() if value else None


def seal_free_filters(db: sqlite_utils.Database, args: Mapping[str, str],
                      default_per_page: int) -> tuple[LedgerFilters, int]:
    """The filters of /seal-free.json, as the page's form names them; anything not offered is
    refused with what is accepted (an API should not quietly answer another question)."""
    problems = {}
    unknown = sorted(set(args) - {"q", "department", "result", "online", "page", "per_page"})
    for name in unknown:
        problems[name] = "unknown parameter (expected q, department, result, online, page, per_page)"
    query = (args.get("q") or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        problems["q"] = f"longer than {MAX_QUERY_LENGTH} characters"
    department = args.get("department", "")
    if department and department not in departments(db):
        problems["department"] = "not a department of the ledger (see the departments of /seal-free)"
    result = args.get("result", "")
    if result and result not in SEAL_FREE_RESULTS:
        problems["result"] = f"expected one of {', '.join(SEAL_FREE_RESULTS)}"
    online = args.get("online", "")
    if online and online not in ONLINE_STATES.values():
        problems["online"] = f"expected one of {', '.join(ONLINE_STATES.values())}"
    page = _whole_number(args, "page", 1, 1, None, problems)
    per_page = _whole_number(args, "per_page", default_per_page, 1, MAX_PER_PAGE, problems)
    if problems:
        raise BadParameters(problems)
    return LedgerFilters(query, department, result, online, page), per_page


def _whole_number(args: Mapping[str, str], name: str, default: int, low: int, high: int | None,
                  problems: dict[str, str]) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    expected = f"a whole number from {low}" + (f" to {high}" if high else "")
    try:
        value = int(raw)
    except ValueError:
        problems[name] = f"expected {expected}"
        return default
    if value < low or (high is not None and value > high):
        problems[name] = f"expected {expected}"
    return value


def seal_free_document(db: sqlite_utils.Database, filters: LedgerFilters, per_page: int) -> dict:
    result = find_seal_free(db, filters, per_page)
    return {"api_version": API_VERSION,
            "filters": {"q": filters.query, "department": filters.department, "result": filters.review_result,
                        "online": filters.online},
            "total": result.total, "page": result.page, "pages": result.pages, "per_page": per_page,
            "entries": [{name: entry.get(name) for name in SEAL_FREE_FIELDS} for entry in result.entries]}


def bad_parameters_document(error: BadParameters) -> dict:
    return {"api_version": API_VERSION, "error": "bad_parameters", "problems": error.problems}

