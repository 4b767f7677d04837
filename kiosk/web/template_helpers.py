"""Small filters for templates: pairs for choice buttons, local times, step states."""

from __future__ import annotations

from flask_babel import gettext as _


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
