"""What the tablet's browser needs to check the consultation form offline as the server does.

The messages are taken from the server's own form (kiosk.consultations.form) by letting it refuse
inputs made to fail each rule, so the browser says exactly what the server would say, in the same
language, and cannot drift from it when a rule's words change. The server checks every record
again when it arrives (kiosk.consultations.tablet_sync).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from kiosk.consultations.form import ConsultationForm
from kiosk.consultations.vocabulary import MAX_MINUTES, MAX_TOPICS, NOTE_LIMIT, ONLINE_OUTCOMES
from kiosk.staff.personal_data import mynumber_check_digit

# How far from the tablet's clock a start time may be (ConsultationForm.validate_started_at).
FUTURE_MINUTES = 10
PAST_DAYS = 366


def _errors(form: ConsultationForm, timezone: str, fields: dict, now: dt.datetime) -> tuple[dict, dict]:
    sites = [(int(choice.value), choice.label) for choice in form.site_id.choices]
    topics = [(choice.value, choice.label) for choice in form.topics.choices]
    probe = ConsultationForm(MultiDict(fields), sites=sites, topics=topics, timezone=timezone, now=now)
    parsed = probe.parse()
    return parsed.errors, parsed.warnings


def browser_checks(form: ConsultationForm, timezone: str) -> dict:
    now = dt.datetime.now(dt.UTC)
    local = now.astimezone(ZoneInfo(timezone))
    empty, _ = _errors(form, timezone, {}, now)
    eleven = "12345678901"
    mynumber = eleven + str(mynumber_check_digit(eleven))
    topic_codes = [choice.value for choice in form.topics.choices]
    too_much = [("topics", code) for code in topic_codes[:MAX_TOPICS + 1]] + [
        ("started_at", (local + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")),
        ("note", "あ" * (NOTE_LIMIT + 1)), ("handoff_code", "X"), ("satisfaction", "9")]
    many, _ = _errors(form, timezone, MultiDict(too_much), now)
    wrong = {"started_at": (local - dt.timedelta(days=PAST_DAYS + 30)).strftime("%Y-%m-%dT%H:%M"),
             "note": f"番号 {mynumber}"}
    old, _ = _errors(form, timezone, wrong, now)
    _, warned = _errors(form, timezone, {"note": "03-1234-5678"}, now)
    messages = {name: empty.get(name) for name in (
        "site_id", "minutes", "channel", "age_band", "visit", "language", "device_used", "outcome")}
    messages.update(
        started_at_format=empty.get("started_at"), started_at_future=many.get("started_at"),
        started_at_old=old.get("started_at"), topics_few=empty.get("topics"), topics_many=many.get("topics"),
        note_long=many.get("note"), note_mynumber=old.get("note"), note_contact=warned.get("note"),
        handoff_code=many.get("handoff_code"), satisfaction=many.get("satisfaction"))
    return {"messages": messages,
            "limits": {"note": NOTE_LIMIT, "topics": MAX_TOPICS, "minutes": MAX_MINUTES,
                       "future_minutes": FUTURE_MINUTES, "past_days": PAST_DAYS},
            "online_outcomes": list(ONLINE_OUTCOMES)}
