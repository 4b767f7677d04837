"""Consultations a staff tablet logged offline and sends later: each stored exactly once.

Each record carries an id made on the tablet. The first time an id arrives, its record is checked
by the same form as online (kiosk.consultations.form, the 個人番号 refusal included) and stored
together with a row in ``tablet_submissions`` (client_id is its primary key), in one transaction.
After that, the same id answers from that row: with the same content (a resend after a lost
answer, a replay, a second tablet tap) "already-stored" and the record's number; with other
content "conflict", stored nothing. Two copies of one request arriving at once are serialised by
the write lock, and the primary key is the last word: the loser reads the winner's row.
A record checked and stored in one request is answered in that request's order.

ODK Central and KoboToolbox users kept meeting duplicate submissions when a device resent after a
time-out; here a duplicate has no way in, and a changed record is shown to the supporter rather
than merged or stored twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils
from flask_babel import lazy_gettext as _l

from kiosk.consultations.form import ParsedForm
from kiosk.consultations.store import record_consultation
from kiosk.db import now_iso, transaction

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_RECORDS = 500  # in one request; a tablet sends its queue in batches of this size at most
# Records written in one transaction: few enough that other writers (a sign-in, the online form)
# never wait long for the write lock, many enough to save most of the commits.
WRITE_CHUNK = 25
MAX_FIELDS = 200
MAX_VALUE = 4000
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
CLOCK_TRUSTED = dt.timedelta(days=1)
# Never part of what a record says: the page's own tokens.
_NOT_CONTENT = frozenset({"csrf_token", "form_token"})

BAD_RECORD = _l("この記録は形がくずれているため受け付けられません。この端末の記録を確かめてください。")
CONFLICT = _l("同じ番号の記録が、ちがう内容ですでに届いています。二重に記録しないため、この記録は保存していません。"
              "内容を確かめ、必要なら新しく記録してください。")
CLOCK_OFF = _l("この端末の時計がサーバーと%(minutes)s分ずれています。端末の日付と時刻を合わせてください。"
               "記録の時刻は端末の時計のまま残ります。")


class BadRequest(ValueError):
    """The request as a whole is not a sync request (the message says what is wrong, in English for
    the log and the API; the tablet shows its own words)."""


@dataclass(frozen=True)
class TabletRecord:
    client_id: str
    made_at: str  # ISO 8601, the tablet's clock when the record was saved on it
    fields: list[tuple[str, str]]  # the form's fields, as the form sends them

    @property
    def content_hash(self) -> str:
        """What the record says, whatever order its fields came in."""
        canonical = json.dumps({"made_at": self.made_at, "fields": sorted(self.fields)}, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _moment(text) -> dt.datetime | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def parse_record(item) -> TabletRecord | None:
    """A record of a sync request, or None when it is not one (the answer says so, by its id)."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not CLIENT_ID.fullmatch(item["id"]):
        return None
    made_at = _moment(item.get("made_at"))
    fields = item.get("fields")
    if made_at is None or not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        return None
    pairs = []
    for pair in fields:
        if (not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(part, str) for part in pair)
                or len(pair[1]) > MAX_VALUE):
            return None
        if pair[0] not in _NOT_CONTENT:
            pairs.append((pair[0], pair[1]))
    return TabletRecord(item["id"], made_at.astimezone(dt.UTC).isoformat(timespec="seconds"), pairs)


def parse_request(body) -> tuple[dt.datetime, list]:
    """The tablet's clock when it sent the request, and the raw records (parsed one by one, so a bad
    one is refused by itself and the rest are stored)."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    sent_at = _moment(body.get("sent_at"))
    if sent_at is None:
        raise BadRequest("sent_at must be an ISO 8601 time with its offset")
    records = body.get("records")
    if not isinstance(records, list) or len(records) > MAX_RECORDS:
        raise BadRequest(f"records must be a list of at most {MAX_RECORDS}")
    return sent_at, records


def clock_skew_seconds(sent_at: dt.datetime, now: dt.datetime | None = None) -> int:
    """How far the tablet's clock is ahead of the server's (negative: behind)."""
    return round((sent_at - (now or dt.datetime.now(dt.UTC))).total_seconds())


def clock_is_off(skew_seconds: int) -> bool:
    return abs(skew_seconds) > CLOCK_TOLERANCE.total_seconds()


def checking_clock(sent_at: dt.datetime, now: dt.datetime | None = None) -> dt.datetime:
    """The clock a record's start time is checked against: the tablet's own when it is off by less
    than a day (its records were made by that clock, and keep its times; the tablet is told it is
    off), so that a fast clock does not make every record "in the future"; else the server's."""
    now = now or dt.datetime.now(dt.UTC)
    return sent_at if abs(sent_at - now) <= CLOCK_TRUSTED else now


def _submission(db: sqlite_utils.Database, client_id: str) -> dict | None:
    rows = list(db.query("select * from tablet_submissions where client_id = ?", [client_id]))
    return rows[0] if rows else None


def _answer_for(existing: dict, record: TabletRecord) -> dict:
    if existing["content_hash"] == record.content_hash:
        return {"id": record.client_id, "status": "already-stored", "number": existing["consultation_id"]}
    return {"id": record.client_id, "status": "conflict", "number": existing["consultation_id"],
            "message": str(CONFLICT)}


def _refused(record: TabletRecord, parsed: ParsedForm) -> dict:
    # A warning left unconfirmed is not stored either: the tablet asks for the confirmation first.
    return {"id": record.client_id, "status": "refused",
            "errors": {name: str(message) for name, message in {**parsed.warnings, **parsed.errors}.items()}}


def _insert(db: sqlite_utils.Database, staff_id: int, record: TabletRecord, parsed: ParsedForm) -> dict:
    """Inside the write transaction: the id is looked up again under the lock, then stored."""
    existing = _submission(db, record.client_id)
    if existing:
        return _answer_for(existing, record)
    consultation_id = record_consultation(db, staff_id, parsed)
    db.table("tablet_submissions").insert({
        "client_id": record.client_id, "staff_id": staff_id, "content_hash": record.content_hash,
        "consultation_id": consultation_id, "made_at": record.made_at, "received_at": now_iso()})
    return {"id": record.client_id, "status": "stored", "number": consultation_id}


def _store_one(db: sqlite_utils.Database, staff_id: int, record: TabletRecord, parsed: ParsedForm) -> dict:
    try:
        with transaction(db):
            return _insert(db, staff_id, record, parsed)
    except sqlite3.IntegrityError:  # another connection stored the same id between our read and write
        existing = _submission(db, record.client_id)
        if existing is None:
            raise
        return _answer_for(existing, record)


# The sync requests of this process write in turn, queued on this lock, rather than all polling
# SQLite's busy handler, which lets a newcomer overtake a waiter until the waiter's busy timeout
# runs out (a 503) when twenty tablets sync at once.
_SYNC_WRITES = threading.Lock()


def store_records(db: sqlite_utils.Database, staff_id: int, items: list,
                  parse: Callable[[list[tuple[str, str]]], ParsedForm]) -> list[dict]:
    """Every record of a request, each answered on its own: a bad or refused record does not hold
    back the others. The records to store are checked first, outside the lock, then written in
    transactions of WRITE_CHUNK (one by one if another process stored one of the same ids meanwhile)."""
    answers: list[dict | None] = []
    to_store: list[tuple[int, TabletRecord, ParsedForm]] = []
    for item in items:
        record = parse_record(item)
        if record is None:
            raw_id = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
            answers.append({"id": raw_id[:64] if raw_id else None, "status": "refused",
                            "errors": {"record": str(BAD_RECORD)}})
            continue
        existing = _submission(db, record.client_id)
        if existing:
            answers.append(_answer_for(existing, record))
            continue
        parsed = parse(record.fields)
        if not parsed.ok:
            answers.append(_refused(record, parsed))
            continue
        answers.append(None)
        to_store.append((len(answers) - 1, record, parsed))
    for start in range(0, len(to_store), WRITE_CHUNK):
        chunk = to_store[start:start + WRITE_CHUNK]
        with _SYNC_WRITES:
            try:
                with transaction(db):
                    for index, record, parsed in chunk:
                        answers[index] = _insert(db, staff_id, record, parsed)
            except sqlite3.IntegrityError:
                for index, record, parsed in chunk:
                    answers[index] = _store_one(db, staff_id, record, parsed)
    return answers


def store_record(db: sqlite_utils.Database, staff_id: int, item: dict,
                 parse: Callable[[list[tuple[str, str]]], ParsedForm]) -> dict:
    """One record of a sync request, stored once (see the module's docstring)."""
    return store_records(db, staff_id, [item], parse)[0]


def submission_count(db: sqlite_utils.Database) -> int:
    return db.table("tablet_submissions").count
