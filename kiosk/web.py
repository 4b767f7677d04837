"""Cross-cutting web behaviour: security headers, htmx rendering, error pages, template helpers."""

from __future__ import annotations

import time
from urllib.parse import urlencode, urlsplit

from flask import Flask, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

# The app serves every asset itself (the ward network is closed): nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def render_page(template: str, block: str | None = None, **context) -> str:
    """One template per page; an htmx request gets just ``block`` of it."""
    if block and is_htmx():
        return render_block(template, block, **context)
    return render_template(template, **context)


def local_path(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    if not target or any(ch in target for ch in "\\\r\n\t") or not target.isprintable():
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def url_with(**changes) -> str:
    """The current path with some query arguments changed (None removes one). Built from the
    path, not url_for, so that no query argument can collide with a route's own arguments."""
    args = MultiDict(request.args)
    for key, value in changes.items():
        args.pop(key, None)
        if value is not None:
            args[key] = value
    query = urlencode(list(args.items(multi=True)))
    return f"{request.path}?{query}" if query else request.path


def here_without_lang() -> str:
    """Where a control returns to after a GET page: this page, without a ?lang= that would
    undo the language the resident has just picked."""
    return url_with(lang=None) if request.method == "GET" else url_for("kiosk.chat")


def zip_titles(ids, items: dict) -> list[tuple[str, str]]:
    """(id, title) pairs for choice buttons, from a mapping of id → content item."""
    return [(item_id, items[item_id].title) for item_id in ids if item_id in items]


def ledger_choices(ids, ledger_entry) -> list[tuple[str, str]]:
    choices = []
    for item_id in ids:
        key = item_id.removeprefix("ledger:")
        row = ledger_entry(key)
        if row:
            choices.append((key, row["name"]))
    return choices


def zip_self(values) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def zip_names(ids, rows: list[dict]) -> list[tuple[str, str]]:
    names = {str(row["id"]): row["name"] for row in rows}
    return [(i, names[i]) for i in ids if i in names]


def local_time(iso_utc: str | None, timezone: str) -> str:
    if not iso_utc:
        return ""
    import datetime as dt
    from zoneinfo import ZoneInfo
    return dt.datetime.fromisoformat(iso_utc).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def zip_counts(items, counts: dict) -> list[tuple[str, int]]:
    """(label, count) for each (code, label) of a code list, zeros included."""
    return [(str(label), counts.get(code, 0)) for code, label in items]


def funnel_labels(rows) -> list[tuple[str, int]]:
    from flask_babel import gettext as _

    names = {"session_started": _("はじめた"), "procedure_chosen": _("手続きを選んだ"),
             "channel_recommended": _("方法をすすめられた"), "finished": _("最後まで見た"), "printed": _("印刷した"),
             "staff_called": _("職員を呼んだ"), "timed_out": _("時間切れで終わった")}
    return [(names.get(event, event), n) for event, n in rows]


def to_step_states(titles, current: int) -> list[dict]:
    """Step titles to the step_progress macro's items: before the current step is completed."""
    states = []
    for number, title in enumerate(titles, 1):
        state = "completed" if number < current else "current" if number == current else "upcoming"
        states.append({"text": title, "state": state})
    return states


def plain(value) -> str:
    """Content text without its 「日本語のみ」 markup, for <title>, attributes and <option>."""
    return str(value) if value is not None else ""


class IdConverter(IntegerConverter):
    """Row ids in URLs: a number SQLite can hold (larger ones are a 404, not a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, max=2**63 - 1)


def init_web(app: Flask) -> None:
    from . import keyboards, labels
    from .formats import resident_date, resident_number, resident_percent
    from .speech import audio_url_for, speech_text

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    app.jinja_env.globals.update(url_with=url_with, labels=labels, keyboards=keyboards, speech_url=audio_url_for,
                                 here_without_lang=here_without_lang)
    app.jinja_env.filters.update(zip_titles=zip_titles, ledger_choices=ledger_choices,
                                 to_step_states=to_step_states, zip_self=zip_self, zip_names=zip_names,
                                 local_time=local_time, zip_counts=zip_counts, funnel_labels=funnel_labels,
                                 plain=plain, speech_text=speech_text,
                                 resident_date=resident_date, resident_number=resident_number,
                                 resident_percent=resident_percent)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":  # a shared screen's pages are never kept in a cache
            response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("HX-Request")
        if "request_started" in g:  # server time, for benchmarks and the browser's dev tools
            elapsed = (time.perf_counter() - g.request_started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = _("画面の有効期限が切れました。もう一度操作してください。")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            403: _("このページを使う権限がありません。"),
            404: _("お探しのページは見つかりませんでした。"),
            405: _("この操作はできません。"),
            413: _("ファイルが大きすぎます。"),
        }
        message = messages.get(error.code or 500, _("うまく処理できませんでした。もう一度お試しください。"))
        return render_template("error.html", status=error.code, message=message), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        message = _("システムでエラーが起きました。職員にお声がけください。")
        return render_template("error.html", status=500, message=message), 500
