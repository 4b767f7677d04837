"""One template per page; an htmx request gets just the block it swaps."""

from __future__ import annotations

from flask import render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def render_page(template: str, block: str | None = None, **context) -> str:
    """One template per page; an htmx request gets just ``block`` of it."""
    if block and is_htmx():
        return render_block(template, block, **context)
    return render_template(template, **context)
