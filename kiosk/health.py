"""What /healthz checks: the database (and a real write, kiosk/storage.py), the content, the
compiled catalogs, the vendored front-end files and the printer queues kiosks print on.

Each part reports ``ok`` and its details; ``problems`` names, one line each, what failed, so that a
monitor (or ward IT reading the JSON) sees the reason without knowing the fields
(docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from kiosk.catalog import ContentError, get_catalog
from kiosk.catalog.ledger import ledger_count
from kiosk.db import get_db
from kiosk.i18n.locales import LOCALE_CODES
from kiosk.migrations import pending_migrations
from kiosk.storage import check_storage, free_bytes

# What the browser cannot do without (relative to the static folder), filled by `make vendor`.
VENDORED_ASSETS = ("vendor/htmx.min.js", "vendor/fonts/BIZUDPGothic-Regular.ttf",
                   "vendor/fonts/BIZUDPGothic-Bold.ttf")
MO_MAGIC = (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")  # GNU .mo, either byte order


def health_report(app: Flask, storage_watch) -> tuple[dict, bool]:
    """The /healthz JSON and whether every part is healthy."""
    report: dict = {"version": app.config["VERSION"]}
    problems: list[str] = []
    report["database"] = _database(problems)
    report["storage"] = _storage(app.config["DATABASE"], storage_watch, problems)
    report["content"] = _content(problems)
    report["translations"] = _translations(Path(app.config["TRANSLATIONS_DIR"]), problems)
    report["assets"] = _assets(Path(app.static_folder or ""), problems)
    report["printers"] = _printers(report["database"]["ok"], problems)
    report["problems"] = problems
    report["status"] = "error" if problems else "ok"
    return report, not problems


def _database(problems: list[str]) -> dict:
    try:
        db = get_db()
        pending = pending_migrations(db)
        if pending:
            problems.append(f"database: migrations pending ({', '.join(pending)}): run kiosk db migrate")
        return {"ok": not pending, "pending_migrations": pending, "ledger_entries": ledger_count(db)}
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        problems.append(f"database: {exc}")
        return {"ok": False, "error": str(exc)}


def _storage(path: str, watch, problems: list[str]) -> dict:
    # Reads may still work on a full disk or a read-only file: only a real write tells.
    problem = check_storage(path)
    if problem is None:
        watch.clear()
        return {"ok": True, "free_bytes": free_bytes(path)}
    watch.record(problem)
    problems.append(f"storage: {problem.summary()}")
    return problem.as_json()


def _content(problems: list[str]) -> dict:
    try:
        catalog = get_catalog()
    except ContentError as exc:
        problems.append(f"content: {len(exc.problems)} problems (kiosk content check)")
        return {"ok": False, "problems": len(exc.problems)}
    return {"ok": True, "procedures": len(catalog.procedures),
            "loaded_at": catalog.loaded_at.isoformat(timespec="seconds")}


def _translations(directory: Path, problems: list[str]) -> dict:
    """Every shipped locale needs its compiled catalog: without it the language silently falls back
    to the message ids (Japanese)."""
    missing = []
    for code in LOCALE_CODES:
        mo = directory / code / "LC_MESSAGES" / "messages.mo"
        try:
            with mo.open("rb") as handle:
                if handle.read(4) not in MO_MAGIC:
                    missing.append(f"{code} (not a compiled catalog)")
        except OSError:
            missing.append(code)
    if missing:
        problems.append(f"translations: no compiled catalog for {', '.join(missing)} in {directory} "
                        "(make translations, or pybabel compile)")
    return {"ok": not missing, "locales": len(LOCALE_CODES) - len(missing), "missing": missing}


def _assets(static: Path, problems: list[str]) -> dict:
    missing = [name for name in VENDORED_ASSETS if not (static / name).is_file()]
    if missing:
        problems.append(f"assets: missing {', '.join(f'static/{name}' for name in missing)} (make vendor)")
    return {"ok": not missing, "missing": missing}


def _printers(database_ok: bool, problems: list[str]) -> dict:
    """The queues of devices that print; none configured is healthy (kiosks then show the QR code)."""
    from kiosk.admin.devices import printer_queues_in_use
    from kiosk.handoff.printing import queue_problem

    if not database_ok:
        return {"ok": True, "queues": {}, "checked": False}
    try:
        queues = printer_queues_in_use(get_db())
    except Exception:  # noqa: BLE001 - the database part already says what is wrong
        return {"ok": True, "queues": {}, "checked": False}
    states = {queue: queue_problem(queue) or "ready" for queue in queues}
    failing = {queue: state for queue, state in states.items() if state != "ready"}
    if failing:
        problems.append("printers: " + ", ".join(f"{queue} {state}" for queue, state in failing.items()))
    return {"ok": not failing, "queues": states, "checked": True}
