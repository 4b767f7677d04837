"""The consultation log: the code lists, parsing and validating the tablet form, and writes with
an audit trail. Codes are stable across versions (statistics and exports use them); labels go
through Babel. docs/statistics.md lists every code.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlite_utils
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import handoff_codes
from .catalog.schema import BlockReason
from .db import now_iso, transaction
from .identifiers import find_email_addresses, find_mynumbers, find_phone_numbers, is_number

CHANNELS = {"counter": _l("窓口"), "outreach": _l("出張相談"), "phone": _l("電話"), "kiosk": _l("キオスク同伴")}
GENERAL_TOPICS = {
    "smartphone-basics": _l("スマホの基本操作"), "mynumber-card": _l("マイナンバーカード"),
    "mynaportal": _l("マイナポータル"), "pin": _l("暗証番号"), "line-email": _l("LINE・メール"),
    "fraud-security": _l("詐欺・セキュリティ"), "other": _l("その他"),
}
AGE_BANDS = {
    "under-20": _l("〜19歳"), "20s": _l("20代"), "30s": _l("30代"), "40s": _l("40代"), "50s": _l("50代"),
    "60-64": _l("60〜64歳"), "65-74": _l("65〜74歳"), "75-84": _l("75〜84歳"), "85-plus": _l("85歳〜"),
    "unknown": _l("不明"),
}
AGE_65_PLUS = ("65-74", "75-84", "85-plus")
VISITS = {"first": _l("はじめて"), "repeat": _l("2回目以上")}
LANGUAGES = {
    "ja": _l("日本語"), "easy-ja": _l("やさしい日本語"), "en": _l("英語"), "zh": _l("中国語"), "ko": _l("韓国語"),
    "vi": _l("ベトナム語"), "ne": _l("ネパール語"), "tl": _l("タガログ語"), "pt": _l("ポルトガル語"),
    "other": _l("その他の言語"),
}
ACCESSIBILITY = {
    "vision": _l("見えにくい"), "hearing": _l("聞こえにくい"), "mobility": _l("車いす・歩行"),
    "cognitive": _l("記憶・理解の支援"), "other": _l("その他の配慮"),
}
DEVICES = {"ios": _l("自分のスマホ（iPhone）"), "android": _l("自分のスマホ（Android）"), "kiosk": _l("キオスク"),
           "tablet": _l("区のタブレット"), "none": _l("使っていない")}
OUTCOMES = {
    "completed-online": _l("オンラインで完了"),
    "completed-online-assisted": _l("オンラインで完了（職員が入力）"),
    "handed-off": _l("案内シートを渡した"),
    "referred-counter": _l("窓口へ案内"),
    "referred-elsewhere": _l("ほかの機関へ案内"),
    "not-resolved": _l("解決しなかった"),
}
ONLINE_OUTCOMES = ("completed-online", "completed-online-assisted")
REASONS = {
    BlockReason.NO_CARD.value: _l("カードがない"),
    BlockReason.CARD_EXPIRED.value: _l("カードの期限切れ"),
    BlockReason.CERTIFICATE_EXPIRED.value: _l("電子証明書の期限切れ"),
    BlockReason.PIN_UNKNOWN.value: _l("暗証番号がわからない"),
    BlockReason.PIN_LOCKED.value: _l("暗証番号のロック"),
    BlockReason.SIGNATURE_PIN_UNKNOWN.value: _l("署名用暗証番号がわからない"),
    BlockReason.NO_SMARTPHONE.value: _l("対応スマホがない"),
    BlockReason.DOCUMENTS_MISSING.value: _l("書類が足りない"),
    BlockReason.NOT_ELIGIBLE_ONLINE.value: _l("オンラインの対象外"),
    "other": _l("その他の理由"),
}
MINUTE_PICKS = (5, 10, 15, 30, 60)
MAX_MINUTES = 480
NOTE_LIMIT = 1000
MAX_TOPICS = 10


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


# --- writes, each with an audit entry ------------------------------------------------------------

def audit(db: sqlite_utils.Database, user_id: int | None, action: str, entity: str, entity_id,
          before: dict | None = None, after: dict | None = None) -> None:
    db.table("audit_log").insert({
        "at": now_iso(), "user_id": user_id, "action": action, "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "before": json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None})


def get_consultation(db: sqlite_utils.Database, consultation_id: int, include_deleted: bool = False) -> dict | None:
    rows = list(db.query("select * from consultations where id = ?" +
                         ("" if include_deleted else " and deleted_at is null"), [consultation_id]))
    if not rows:
        return None
    row = rows[0]
    row["topics"] = [r["topic"] for r in db.query(
        "select topic from consultation_topics where consultation_id = ? order by topic", [consultation_id])]
    return row


def _snapshot(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}


def record_consultation(db: sqlite_utils.Database, staff_id: int, parsed: ParsedForm,
                        help_request_id: int | None = None) -> int:
    stamp = now_iso()
    with transaction(db):
        table = db.table("consultations")
        table.insert({**parsed.values, "staff_id": staff_id, "help_request_id": help_request_id,
                      "created_at": stamp, "updated_at": stamp})
        consultation_id = table.last_pk
        db.table("consultation_topics").insert_all(
            [{"consultation_id": consultation_id, "topic": t} for t in parsed.topics])
        audit(db, staff_id, "create", "consultation", consultation_id, None,
              _snapshot(get_consultation(db, consultation_id)))
    return consultation_id


def update_consultation(db: sqlite_utils.Database, consultation_id: int, user_id: int, parsed: ParsedForm) -> None:
    with transaction(db):
        before = get_consultation(db, consultation_id)
        db.table("consultations").update(consultation_id, {**parsed.values, "updated_at": now_iso()})
        db.execute("delete from consultation_topics where consultation_id = ?", [consultation_id])
        db.table("consultation_topics").insert_all(
            [{"consultation_id": consultation_id, "topic": t} for t in parsed.topics])
        after = get_consultation(db, consultation_id)
        changed_before = {k: v for k, v in _snapshot(before).items() if after.get(k) != v}
        changed_after = {k: after.get(k) for k in changed_before}
        audit(db, user_id, "update", "consultation", consultation_id, changed_before, changed_after)


def delete_consultation(db: sqlite_utils.Database, consultation_id: int, user_id: int) -> None:
    """Soft delete: the row stays (statistics exclude it) and the audit log says who and when."""
    with transaction(db):
        before = get_consultation(db, consultation_id)
        stamp = now_iso()
        db.table("consultations").update(consultation_id, {"deleted_at": stamp, "deleted_by": user_id,
                                                           "updated_at": stamp})
        audit(db, user_id, "delete", "consultation", consultation_id, _snapshot(before),
              {"deleted_at": stamp})


def recent_consultations(db: sqlite_utils.Database, site_id: int | None, limit: int = 20) -> list[dict]:
    rows = list(db.query(
        "select consultations.*, users.display_name as staff_name from consultations "
        "join users on users.id = consultations.staff_id "
        "where consultations.deleted_at is null and (? is null or consultations.site_id = ?) "
        "order by consultations.started_at desc limit ?",
        [site_id, site_id, limit]))
    for row in rows:
        row["topics"] = [r["topic"] for r in db.query(
            "select topic from consultation_topics where consultation_id = ?", [row["id"]])]
    return rows
