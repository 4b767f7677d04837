"""Reading and validating the tablet's consultation form into a ParsedForm: every problem named by
field, what was valid kept, and no 個人番号 ever accepted in a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from kiosk.consultations.vocabulary import (
    ACCESSIBILITY,
    AGE_BANDS,
    CHANNELS,
    DEVICES,
    LANGUAGES,
    MAX_MINUTES,
    MAX_TOPICS,
    NOTE_LIMIT,
    ONLINE_OUTCOMES,
    OUTCOMES,
    REASONS,
    VISITS,
)
from kiosk.handoff import codes as handoff_codes
from kiosk.staff.personal_data import find_email_addresses, find_mynumbers, find_phone_numbers, is_number


@dataclass
class ParsedForm:
    values: dict = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.warnings


def _one(form, name: str) -> str:
    """A single text value; a repeated field keeps its first value."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def local_now(timezone: str) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(timezone)).replace(second=0, microsecond=0, tzinfo=None)


def to_local_input(iso_utc: str, timezone: str) -> str:
    moment = dt.datetime.fromisoformat(iso_utc).astimezone(ZoneInfo(timezone))
    return moment.strftime("%Y-%m-%dT%H:%M")


def parse_consultation(form, *, topics_allowed: set[str], sites_allowed: set[int], timezone: str,
                       now: dt.datetime | None = None) -> ParsedForm:
    """Read the consultation form. Every field is checked on the server; each error names its
    field. The note refuses a 個人番号 and warns about phone numbers and e-mail addresses
    (``confirm_note`` set on the form accepts the warning)."""
    parsed = ParsedForm()
    errors, values = parsed.errors, parsed.values
    now = now or dt.datetime.now(dt.UTC)

    site = _one(form, "site_id")
    if not is_number(site) or int(site) not in sites_allowed:
        errors["site_id"] = _("拠点を選んでください。")
    else:
        values["site_id"] = int(site)

    started = _one(form, "started_at")
    try:
        local = dt.datetime.strptime(started, "%Y-%m-%dT%H:%M")
        if not 2000 <= local.year <= 2100:
            raise ValueError("out of range")
        moment = local.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)
        if moment > now + dt.timedelta(minutes=10):
            errors["started_at"] = _("開始時刻が未来になっています。")
        elif moment < now - dt.timedelta(days=366):
            errors["started_at"] = _("開始時刻が1年以上前です。")
        else:
            values["started_at"] = moment.isoformat(timespec="seconds")
    except ValueError:
        errors["started_at"] = _("開始時刻を「年-月-日 時:分」で入れてください。")

    other_minutes = _one(form, "minutes_other").strip()
    minutes = other_minutes or _one(form, "minutes")
    if not is_number(minutes) or not 1 <= int(minutes) <= MAX_MINUTES:
        errors["minutes"] = _("所要時間を選ぶか、1〜%(max)s分で入れてください。", max=MAX_MINUTES)
    else:
        values["minutes"] = int(minutes)

    for name, vocabulary, message in (
        ("channel", CHANNELS, _("相談の方法を選んでください。")),
        ("age_band", AGE_BANDS, _("年代を選んでください。")),
        ("visit", VISITS, _("はじめてか2回目以上かを選んでください。")),
        ("language", LANGUAGES, _("言語を選んでください。")),
        ("device_used", DEVICES, _("使った端末を選んでください。")),
        ("outcome", OUTCOMES, _("結果を選んでください。")),
    ):
        value = _one(form, name)
        if value not in vocabulary:
            errors[name] = message
        else:
            values[name] = value
    if "visit" in values:
        values["first_visit"] = 1 if values.pop("visit") == "first" else 0

    topics = form.getlist("topics") if hasattr(form, "getlist") else []
    if not topics:
        errors["topics"] = _("相談内容を1つ以上選んでください。")
    elif len(set(topics)) > MAX_TOPICS:
        errors["topics"] = _("相談内容は%(max)s個までです。", max=MAX_TOPICS)
    elif any(t not in topics_allowed for t in topics):
        errors["topics"] = _("相談内容に選べない項目があります。")
    else:
        parsed.topics = sorted(set(topics))

    accessibility = form.getlist("accessibility") if hasattr(form, "getlist") else []
    if any(a not in ACCESSIBILITY for a in accessibility):
        errors["accessibility"] = _("配慮に選べない項目があります。")
    else:
        values["accessibility"] = ",".join(sorted(set(accessibility))) or None

    reason = _one(form, "reason")
    if values.get("outcome") in ONLINE_OUTCOMES:
        values["reason"] = None
    elif reason and reason not in REASONS:
        errors["reason"] = _("理由に選べない項目があります。")
    else:
        values["reason"] = reason or None

    values["follow_up"] = 1 if _one(form, "follow_up") == "1" else 0

    typed_code = _one(form, "handoff_code").strip()
    code = handoff_codes.normalise(typed_code) if typed_code else None
    if typed_code and code is None:
        errors["handoff_code"] = _("引継ぎコードがちがいます。シートのコード（例: K7Q-D3M-XAP）をお確かめください。")
    else:
        values["handoff_code"] = code

    satisfaction = _one(form, "satisfaction")
    if satisfaction and satisfaction not in {"1", "2", "3", "4", "5"}:
        errors["satisfaction"] = _("満足度は1〜5から選んでください。")
    else:
        values["satisfaction"] = int(satisfaction) if satisfaction else None

    note = _one(form, "note").strip()
    error, warning = check_note(note, confirmed=_one(form, "confirm_note") == "1")
    if error:
        errors["note"] = error
    else:
        values["note"] = note or None
        if warning:
            parsed.warnings["note"] = warning
    return parsed


def check_note(note: str, confirmed: bool) -> tuple[str | None, str | None]:
    """(error, warning) for a free-text note: a 個人番号 is refused outright; a phone number or
    an e-mail address needs the writer to confirm it is not personal data."""
    if len(note) > NOTE_LIMIT:
        return _("メモは%(max)s文字までです。", max=NOTE_LIMIT), None
    if find_mynumbers(note):
        return _("メモに個人番号（マイナンバー）と思われる12桁の番号があります。"
                 "個人番号はここに記録できません。番号を消してから保存してください。"), None
    if (find_phone_numbers(note) or find_email_addresses(note)) and not confirmed:
        return None, _("メモに電話番号かメールアドレスのようなものがあります。個人が特定できる情報は"
                       "書かないでください。必要な記録なら、メモの下の確認にチェックを入れて保存してください。")
    return None, None
