"""The server log: standard ``logging`` under the ``kiosk`` logger, one access line per request.

Every request gets a short request id (shown on error pages and sent as ``X-Request-ID``) so that a
resident or a staff member can quote it and ward IT can find the line. The access line holds the id,
the method, the path without its query string, the status and the time; never what was typed (that
travels in query strings and bodies, which are not logged) and never a handoff code or an
enrollment token (path parts that hold one are masked). LOG_LEVEL and LOG_FORMAT (text or JSON
lines) are settings (docs/configuration.md)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterable

from flask import Flask, has_request_context, request

LOGGER_NAME = "kiosk"
access_log = logging.getLogger("kiosk.access")

# Quotable aloud and by hand: no 0/O or 1/I/L to confuse.
REQUEST_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REQUEST_ID_LENGTH = 8
REQUEST_ID_KEY = "kiosk.request_id"
# A proxy's own id is kept (so its log and ours line up) only when it looks like an id.
PROXY_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# URL parts that hold a secret or a resident's code: handoff codes, device enrollment tokens.
SECRET_ARGUMENTS = {"code", "typed", "token"}
MASK = "***"
MAX_LOGGED_PATH = 200


def new_request_id() -> str:
    return "".join(secrets.choice(REQUEST_ID_ALPHABET) for _ in range(REQUEST_ID_LENGTH))


def current_request_id() -> str | None:
    """The id of the request being handled (for templates and log lines), or None outside one."""
    if not has_request_context():
        return None
    return request.environ.get(REQUEST_ID_KEY)


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` (``-`` outside a request), so that a warning logged while
    handling a request carries the same id as its access line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")


ACCESS_FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, message, the access fields when
    the record is an access line, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name,
                 "request_id": getattr(record, "request_id", "-"), "message": record.getMessage()}
        entry.update({name: getattr(record, name) for name in ACCESS_FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask, handler: bool = True) -> None:
    """The ``kiosk`` logger's level, and one handler on standard error (the service manager's
    journal) on the root logger, so that the server's own lines (waitress) share the format and
    waitress's ``logging.basicConfig()`` finds a handler and adds none. Building a second app in
    the same process (tests) reconfigures it."""
    from flask.logging import default_handler

    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.removeHandler(default_handler)  # Flask's own has no request id, and would print twice
    root = logging.getLogger()
    stderr = next((h for h in root.handlers if getattr(h, "kiosk_handler", False)), None)
    if not handler:
        if stderr is not None:  # a command after a server app in the same process (tests)
            root.removeHandler(stderr)
        return
    if stderr is None:
        stderr = StandardErrorHandler()
        stderr.kiosk_handler = True
        root.addHandler(stderr)
    stderr.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter())
    add_request_ids(stderr)


class StandardErrorHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a test's capture is replaced between tests)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def add_request_ids(handler: logging.Handler) -> None:
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        handler.addFilter(RequestIdFilter())


class AccessLog:
    """WSGI middleware: gives the request its id and logs one line once the response is sent (the
    time includes streaming a download)."""

    def __init__(self, wsgi_app: Callable, mask_path: Callable[[dict], str]) -> None:
        self.wsgi_app = wsgi_app
        self.mask_path = mask_path

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        trusted = environ.get("kiosk.trust_proxy_request_id") and PROXY_REQUEST_ID.fullmatch(offered)
        request_id = offered if trusted else new_request_id()
        environ[REQUEST_ID_KEY] = request_id
        status_holder: list[str] = []

        def start(status: str, headers: list, exc_info=None):
            status_holder[:] = [status]
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, start)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()
            status = int(status_holder[0].split(" ", 1)[0]) if status_holder else 500
            duration = (time.perf_counter() - started) * 1000
            path = self.mask_path(environ)
            method = environ.get("REQUEST_METHOD", "-")
            access_log.info("%s %s %s %.1fms", method, path, status, duration,
                            extra={"request_id": request_id, "method": method, "path": path,
                                   "status": status, "duration_ms": round(duration, 1)})


def path_masker(app: Flask) -> Callable[[dict], str]:
    """The request's path as logged: no query string, the parts of a route that hold a code or a
    token replaced by ``***``, cut to 200 characters."""

    def mask_path(environ: dict) -> str:
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        try:
            adapter = app.url_map.bind_to_environ(environ)
            endpoint, arguments = adapter.match(environ.get("PATH_INFO", "") or "/",
                                                method=environ.get("REQUEST_METHOD"))
        except Exception:  # noqa: BLE001 - a 404, 405 or redirect: the path as it came
            return _shorten(path)
        if SECRET_ARGUMENTS.isdisjoint(arguments):
            return _shorten(path)
        masked = {name: (MASK if name in SECRET_ARGUMENTS else value) for name, value in arguments.items()}
        try:
            return _shorten(adapter.build(endpoint, masked, method=environ.get("REQUEST_METHOD"),
                                          force_external=False).replace("%2A", "*"))
        except Exception:  # noqa: BLE001 - a converter that refuses the mask: say only which page
            return _shorten(f"<{endpoint}>")

    return mask_path


def _shorten(path: str) -> str:
    return path if len(path) <= MAX_LOGGED_PATH else path[:MAX_LOGGED_PATH] + "…"


def init_logging(app: Flask, handler: bool = True) -> None:
    """Configure the log (``handler``: and its handler on standard error) and wrap the app in the
    access log, outside ProxyFix."""
    configure_logging(app, handler)
    trust_proxy = bool(app.config["PROXY_HOPS"])
    app.wsgi_app = AccessLog(app.wsgi_app, path_masker(app))
    if trust_proxy:
        app.wsgi_app = _TrustProxyRequestId(app.wsgi_app)

    @app.context_processor
    def request_id_in_templates():
        return {"request_id": current_request_id()}


class _TrustProxyRequestId:
    """Behind the ward's proxy (PROXY_HOPS): take its X-Request-ID for ours."""

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable):
        environ["kiosk.trust_proxy_request_id"] = True
        return self.wsgi_app(environ, start_response)
