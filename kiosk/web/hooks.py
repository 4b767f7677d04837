"""Request hooks and template globals for every blueprint."""

from __future__ import annotations

import time

from flask import Flask, g, get_flashed_messages, request

from kiosk.web.errors import register_error_handlers
from kiosk.web.template_helpers import (
    funnel_labels,
    ledger_choices,
    local_time,
    plain,
    to_step_states,
    zip_counts,
    zip_names,
    zip_self,
    zip_titles,
)
from kiosk.web.urls import here_without_lang, url_with

# The app serves every asset itself (the ward network is closed): nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def set_cache_control(response) -> None:
    """Nothing but the static assets is kept in a cache: pages on a shared screen, and downloads
    (CSV, xlsx, PDF, the audit log) that hold the ward's records, are no-store. A response that
    chose its own caching (the read-aloud audio of content text) keeps it, except a download."""
    if request.endpoint == "static":
        return
    if response.headers.get("Content-Disposition", "").lower().startswith("attachment"):
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers.setdefault("Cache-Control", "no-store")


def page_flashes() -> list[str]:
    """The messages of the previous action for the page being shown. A page the staff tablet's
    service worker fetches to keep for offline use (kiosk.staff.auth.OFFLINE_KEEPING_HEADER)
    leaves them for the page the person is looking at: taken there, 「サインアウトしました」 would
    never be seen."""
    from kiosk.staff.auth import OFFLINE_KEEPING_HEADER

    if request.headers.get(OFFLINE_KEEPING_HEADER):
        return []
    return get_flashed_messages()


def init_web(app: Flask) -> None:
    from kiosk.i18n import labels
    from kiosk.i18n.formats import resident_date, resident_number, resident_percent
    from kiosk.qr import qr_svg
    from kiosk.reading_aids import keyboards
    from kiosk.reading_aids.speech import audio_url_for, speech_text

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    app.jinja_env.globals.update(url_with=url_with, labels=labels, keyboards=keyboards, speech_url=audio_url_for,
                                 here_without_lang=here_without_lang, qr_svg=qr_svg, page_flashes=page_flashes)
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
        set_cache_control(response)
        response.vary.add("HX-Request")
        if "request_started" in g:  # server time, for benchmarks and the browser's dev tools
            elapsed = (time.perf_counter() - g.request_started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        return response

    register_error_handlers(app)
