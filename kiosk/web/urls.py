"""URLs: safe local redirects, the current page with changed query arguments, row ids in routes."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter


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


class IdConverter(IntegerConverter):
    """Row ids in URLs: a number SQLite can hold (larger ones are a 404, not a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, max=2**63 - 1)
