"""What the browser tests' server log must and must not hold (kiosk/logs.py).

Must: one access line per request with its request id, method, path and status. Must not: any text
the tests typed (recorded in conftest.TYPED_TEXTS), any handoff code the server issued, any note
staff wrote, whether as typed, upper or lower case, without its dashes or percent-encoded as it
would be in a path."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, quote_plus

ACCESS_LINE = re.compile(r" INFO kiosk\.access \[([2-9A-Z]{8})\] (GET|POST|PUT|DELETE|HEAD) (/\S*) (\d{3}) [\d.]+ms$",
                         re.M)
# Shorter typed values ("1", "はい") say nothing about a leak and occur in any log.
SHORTEST_CHECKED = 4


def spellings(text: str) -> set[str]:
    forms = {text, text.upper(), text.lower(), text.replace("-", ""), text.replace(" ", "")}
    forms |= {quote(form, safe="") for form in list(forms)} | {quote_plus(form) for form in list(forms)}
    return {form for form in forms if len(form) >= SHORTEST_CHECKED}


def secrets_of(server) -> set[str]:
    """Handoff codes and staff notes the live server holds now."""
    values = {row["code"] for row in server.rows("select code from handoffs")}
    values |= {row["note"] for row in server.rows("select note from handoff_notes")}
    values |= {row["note"] for row in server.rows("select note from consultations where note is not null")}
    return {value for value in values if value}


def leaks(log: str, values) -> list[str]:
    found = []
    for value in values:
        for form in spellings(value.strip()):
            if form in log:
                found.append(f"{value!r} (as {form!r})")
                break
    return found


def url_words(app) -> set[str]:
    """The words of the app's own URLs ("admin", "staff"): a staff account named "admin" typed at
    sign-in is in every /admin/ path without anything leaking."""
    return {part for rule in app.url_map.iter_rules() for part in re.split(r"[/<>.:]", rule.rule) if part}


def assert_log_keeps_nothing_typed(path: Path, server, typed: list[str]) -> None:
    log = path.read_text(encoding="utf-8")
    typed = [text for text in typed if text.strip() not in url_words(server.app)]
    lines = ACCESS_LINE.findall(log)
    assert lines, f"no access lines in {path}"
    assert len({request_id for request_id, *_ in lines}) == len(lines), "request ids repeat"
    assert not [path for _, _, path, _ in lines if "?" in path], "a query string was logged"
    found = leaks(log, set(typed) | secrets_of(server))
    assert not found, f"the server log {path} holds what tests typed or codes they made: {found}"
