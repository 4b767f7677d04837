"""Synthetic data for demos and benchmarks: sites, staff, consultations with topics, kiosk sessions,
help requests and handoff sheets, spread over the last few fiscal years.

Deterministic for a seed (one ``random.Random``), except the staff passwords (one random password,
never shown) and the accounts' creation times. Fast: rows are drawn in batches from precomputed
distributions and written with ``executemany``; 1,000,000 consultations take well under two
minutes on two cores. Nothing is written to the audit log: these records were never entered by
anyone. Everything is added in one transaction, so a failed run adds nothing.

The shape follows what the ward's programme sees: branch offices open on weekdays (and two
Saturday mornings a month), outreach events on one or two days a week for a few months, most
residents 65 or older (at Tokyo's 2021 smartphone consultation days over 70% were 70+), own
smartphones less common with age, and a reason recorded only when a case did not finish online.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import random
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from zoneinfo import ZoneInfo

import sqlite_utils

from kiosk.consultations import vocabulary
from kiosk.db import transaction
from kiosk.handoff.codes import ALPHABET, check_character
from kiosk.i18n.locales import LOCALE_CODES
from kiosk.staff.accounts import create_user, generate_password
from kiosk.stats.periods import fiscal_year
from kiosk.stats.rollup import bulk_load

BATCH = 5000
HANDOFF_DAYS = 90
EPOCH = dt.date(1970, 1, 1)

# --- distributions (relative weights) -------------------------------------------------------------

AGE_WEIGHTS = {"under-20": 1, "20s": 3, "30s": 3, "40s": 4, "50s": 5, "60-64": 6, "65-74": 28, "75-84": 34,
               "85-plus": 13, "unknown": 3}
_AGE_GROUP = {"under-20": "young", "20s": "young", "30s": "young", "40s": "young", "50s": "middle",
              "60-64": "middle", "unknown": "middle", "65-74": "65", "75-84": "75", "85-plus": "85"}
_LANGUAGE = {
    "young": {"ja": 70, "easy-ja": 6, "en": 6, "zh": 7, "ko": 2, "vi": 5, "ne": 3, "tl": 0.5, "pt": 0.3,
              "other": 0.2},
    "middle": {"ja": 92, "easy-ja": 2.5, "en": 1, "zh": 2, "ko": 1.5, "vi": 0.3, "ne": 0.2, "tl": 0.3, "pt": 0.1,
               "other": 0.1},
    "old": {"ja": 97.5, "easy-ja": 0.6, "en": 0.2, "zh": 0.7, "ko": 0.8, "vi": 0.05, "ne": 0.05, "tl": 0.05,
            "pt": 0.03, "other": 0.02},
}
_DEVICE = {
    "young": {"ios": 52, "android": 38, "kiosk": 4, "tablet": 3, "none": 3},
    "middle": {"ios": 38, "android": 46, "kiosk": 5, "tablet": 5, "none": 6},
    "65": {"ios": 30, "android": 48, "kiosk": 6, "tablet": 7, "none": 9},
    "75": {"ios": 20, "android": 45, "kiosk": 8, "tablet": 10, "none": 17},
    "85": {"ios": 12, "android": 32, "kiosk": 10, "tablet": 14, "none": 32},
}
_OUTCOMES = ("completed-online", "completed-online-assisted", "handed-off", "referred-counter",
             "referred-elsewhere", "not-resolved")
_OUTCOME_ON_OWN_PHONE = {"young": (55, 15, 10, 10, 3, 7), "middle": (45, 20, 12, 12, 4, 7),
                         "65": (35, 25, 15, 14, 4, 7), "75": (26, 30, 17, 15, 4, 8), "85": (16, 32, 20, 19, 5, 8)}
_OUTCOME_ON_WARD_DEVICE = (8, 40, 25, 17, 4, 6)
_OUTCOME_WITHOUT_DEVICE = (0, 0, 38, 35, 10, 17)
_REASONS = {  # None: no reason recorded
    "handed-off": {None: 15, "pin-locked": 16, "pin-unknown": 14, "signature-pin-unknown": 12,
                   "certificate-expired": 9, "card-expired": 5, "no-card": 10, "no-smartphone": 8,
                   "documents-missing": 6, "not-eligible-online": 3, "other": 2},
    "referred-counter": {None: 12, "pin-locked": 20, "pin-unknown": 10, "signature-pin-unknown": 8,
                         "certificate-expired": 12, "card-expired": 8, "no-card": 8, "no-smartphone": 4,
                         "documents-missing": 6, "not-eligible-online": 10, "other": 2},
    "referred-elsewhere": {None: 25, "not-eligible-online": 35, "other": 25, "documents-missing": 10, "no-card": 5},
    "not-resolved": {None: 30, "other": 20, "pin-unknown": 12, "pin-locked": 10, "signature-pin-unknown": 8,
                     "no-smartphone": 8, "documents-missing": 6, "no-card": 6},
}
_MINUTES = {
    "completed-online": {5: 4, 10: 22, 15: 30, 20: 4, 30: 30, 45: 3, 60: 7},
    "completed-online-assisted": {10: 6, 15: 18, 20: 6, 30: 40, 45: 10, 60: 17, 90: 3},
    "handed-off": {5: 15, 10: 35, 15: 28, 20: 5, 30: 15, 60: 2},
    "referred-counter": {5: 30, 10: 40, 15: 18, 30: 10, 60: 2},
    "referred-elsewhere": {5: 30, 10: 40, 15: 20, 30: 10},
    "not-resolved": {5: 8, 10: 20, 15: 25, 30: 30, 45: 5, 60: 12},
}
_FOLLOW_UP = {"completed-online": 0.02, "completed-online-assisted": 0.05, "handed-off": 0.2,
              "referred-counter": 0.12, "referred-elsewhere": 0.15, "not-resolved": 0.35}
# About half are asked; of those, most answer 4 or 5 (the ward's target is 85% satisfied).
_SATISFACTION = {None: 50, 5: 29, 4: 16, 3: 3.6, 2: 0.9, 1: 0.5}
_SATISFACTION_UNRESOLVED = {None: 50, 5: 8, 4: 15, 3: 15, 2: 8, 1: 4}
_BRANCH_CHANNELS = {"counter": 78, "phone": 10, "kiosk": 12}
_ACCESSIBILITY = {"vision": 35, "hearing": 35, "mobility": 15, "cognitive": 10, "other": 5}
_TOPIC_COUNT = {1: 55, 2: 32, 3: 13}
_GENERAL_TOPICS = {"smartphone-basics": 20, "mynumber-card": 12, "mynaportal": 9, "pin": 8, "line-email": 9,
                   "fraud-security": 5, "other": 4}
_PROCEDURE_TOPICS = {
    "mynumber-health-insurance": 8, "e-certificate-renewal": 6, "mynaportal-login": 6, "public-benefit-account": 5,
    "mynumber-card-pin-reset": 5, "mynumber-card-application": 5, "residence-certificate": 4,
    "seal-certificate": 2, "tax-certificate": 2, "moving-out": 2, "moving-in": 1.5,
    "long-term-care-certification": 1.5, "resident-tax-return": 1.5, "family-register-certificate": 1.5,
}
_OTHER_PROCEDURE_WEIGHT = 0.5
_NOTES = ("次回、暗証番号の再設定で来所予定", "家族と一緒に再来予定", "スマホの文字サイズを大きく設定",
          "カード受取後に再相談", "詐欺メールの見分け方を説明", "コンビニ交付の手順を実演")
_CHANNEL_KIND = {"online": 50, "convenience-store": 20, "counter": 25, "mail": 5}
# Kiosk sessions that are not part of a consultation: how they end.
_SESSION_ENDINGS = {"finished": 35, "printed": 22, "staff_called": 8, "timed_out": 20, "restarted": 15}
_HANDOFF_STATUS = {"open": 60, "contacted": 20, "resolved": 20}
SESSIONS_PER_CONSULTATION = 0.1
DELETED_SHARE = 0.012
NOTE_SHARE = 0.02
HANDOFF_SHARE_OF_HANDED_OFF = 0.5  # handed-off cases at a branch whose sheet was printed at its kiosk

_MONTH_FACTOR = {4: 1.1, 5: 0.95, 6: 0.95, 7: 1.0, 8: 0.8, 9: 0.95, 10: 1.0, 11: 1.0, 12: 0.85, 1: 1.05,
                 2: 1.2, 3: 1.3}  # moving season and tax returns; summer and year-end quieter
_WEEKDAY_FACTOR = (1.15, 1.0, 1.0, 1.0, 1.05)
# Local start times (minutes after midnight) and their weights, by hour.
_BRANCH_HOURS = {8: 0.5, 9: 1.0, 10: 1.3, 11: 1.2, 12: 0.6, 13: 1.1, 14: 1.2, 15: 1.0, 16: 0.6}
_SATURDAY_HOURS = {9: 1.0, 10: 1.2, 11: 1.0}
_EVENT_HOURS = {10: 1.2, 11: 1.1, 13: 1.0, 14: 1.1, 15: 0.8}

_PLACES = ("北", "南", "東", "西", "中央", "本町", "桜台", "緑が丘", "若葉", "旭町", "富士見", "青葉台", "日の出",
           "松原", "梅ヶ丘", "柳町", "八幡", "宮前", "大原", "清水", "高田", "上町", "新町", "栄町", "平和台",
           "春日", "小松", "白山", "弥生", "明神", "稲荷", "鶴見", "亀戸", "松が谷", "花園", "川端", "浜町",
           "緑町", "朝日", "昭和")
_EVENT_VENUES = (("地域センター", 6), ("図書館", 1), ("区民会館", 1), ("高齢者センター", 1), ("ふれあい館", 1))


# --- the calendar ---------------------------------------------------------------------------------

def window(years: int, end: dt.date | None = None, timezone: str = "Asia/Tokyo") -> tuple[dt.date, dt.date]:
    """(first day, last day) of the data: from 1 April of the first of the last ``years`` fiscal
    years to ``end`` — but never today or later (today's office hours have not all passed)."""
    today = dt.datetime.now(ZoneInfo(timezone)).date()
    last = min(end or today, today - dt.timedelta(days=1))
    return dt.date(fiscal_year(last) - years + 1, 4, 1), last


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _closed_days(year: int) -> set[dt.date]:
    """National holidays (the moving ones approximately) and the year-end closure."""
    fixed = [(1, 1), (1, 2), (1, 3), (2, 11), (2, 23), (3, 20), (4, 29), (5, 3), (5, 4), (5, 5), (8, 11), (9, 23),
             (11, 3), (11, 23), (12, 29), (12, 30), (12, 31)]
    days = {dt.date(year, m, d) for m, d in fixed}
    days |= {_nth_weekday(year, 1, 0, 2), _nth_weekday(year, 7, 0, 3), _nth_weekday(year, 9, 0, 3),
             _nth_weekday(year, 10, 0, 2)}
    return days


@dataclass(frozen=True)
class _Day:
    date: dt.date
    midnight: int  # local midnight as a UTC epoch second
    weekday: int
    factor: float  # season and growth of the programme
    closed: bool
    open_saturday: bool  # the branch offices' 2nd and 4th Saturday mornings


def _calendar(first: dt.date, last: dt.date, zone: ZoneInfo) -> list[_Day]:
    closed: set[dt.date] = set()
    for year in range(first.year, last.year + 1):
        closed |= _closed_days(year)
    days = []
    day = first
    while day <= last:
        midnight = int(dt.datetime.combine(day, dt.time(), zone).timestamp())
        growth = min(2.0, 1.1 ** (fiscal_year(day) - fiscal_year(first)))
        days.append(_Day(day, midnight, day.weekday(), _MONTH_FACTOR[day.month] * growth, day in closed,
                         day.weekday() == 5 and (day.day - 1) // 7 in (1, 3)))
        day += dt.timedelta(days=1)
    return days


class _Dates(dict):
    """Epoch day number → 'YYYY-MM-DD', filled on demand."""

    def __missing__(self, key: int) -> str:
        value = self[key] = (EPOCH + dt.timedelta(days=key)).isoformat()
        return value


_TIMES: list[str] = []


def _times() -> list[str]:
    """Second of the day → 'Thh:mm:ss+00:00' (the app's UTC ISO format), built once."""
    if not _TIMES:
        _TIMES.extend(f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00:00" for s in range(86400))
    return _TIMES


def _hours(weights: dict[int, float], start_minute: int = 0) -> dict[int, float]:
    out = {}
    for hour, weight in weights.items():
        for minute in range(60):
            if hour * 60 + minute >= start_minute:
                out[hour * 60 + minute] = weight
    return out


def _stream(rng: random.Random, weights: dict) -> Iterator:
    """An endless run of draws from ``weights``, drawn a batch at a time."""
    population = list(weights)
    cumulative = list(itertools.accumulate(weights.values()))
    choices = rng.choices
    while True:
        yield from choices(population, cum_weights=cumulative, k=BATCH)


def _profiles() -> dict[tuple, float]:
    """(age band, language, device, outcome, reason) with the joint weight of each."""
    out = {}
    for age, age_weight in AGE_WEIGHTS.items():
        group = _AGE_GROUP[age]
        languages = _LANGUAGE["old" if group in ("65", "75", "85") else group]
        language_total = sum(languages.values())
        devices = _DEVICE[group]
        device_total = sum(devices.values())
        for device, device_weight in devices.items():
            outcomes = (_OUTCOME_ON_OWN_PHONE[group] if device in ("ios", "android") else
                        _OUTCOME_ON_WARD_DEVICE if device in ("kiosk", "tablet") else _OUTCOME_WITHOUT_DEVICE)
            outcome_total = sum(outcomes)
            for outcome, outcome_weight in zip(_OUTCOMES, outcomes, strict=True):
                if not outcome_weight:
                    continue
                if outcome in vocabulary.ONLINE_OUTCOMES:
                    reasons = {None: 1.0}
                else:
                    reasons = dict(_REASONS[outcome])
                    if device == "none" and "no-smartphone" in reasons:
                        reasons["no-smartphone"] *= 6
                reason_total = sum(reasons.values())
                base = (age_weight * device_weight / device_total * outcome_weight / outcome_total)
                for language, language_weight in languages.items():
                    for reason, reason_weight in reasons.items():
                        out[(age, language, device, outcome, reason)] = (
                            base * language_weight / language_total * reason_weight / reason_total)
    return out


# --- sites and staff ------------------------------------------------------------------------------

@dataclass
class _Site:
    id: int
    branch: bool
    short: str  # "北" → 北出張所 キオスク1
    weight: float
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    event_weekdays: tuple[int, ...] = ()
    device_id: int | None = None
    supporter_id: int = 0


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    return dt.date(year, month % 12 + 1, 1)


def _site_names(rng: random.Random) -> Iterator[tuple[str, str]]:
    """(place, suffix) pairs in a random order, then again with 第2, 第3 …"""
    places = list(_PLACES)
    rng.shuffle(places)
    for round_ in itertools.count(1):
        for place in places:
            yield place, "" if round_ == 1 else f"第{round_}"


def _create_sites(db: sqlite_utils.Database, rng: random.Random, count: int, first: dt.date, last: dt.date,
                  zone: ZoneInfo, dates: _Dates, times: list[str]) -> list[_Site]:
    events = 0 if count == 1 else max(1, round(count * 0.3))
    taken = {r["name"] for r in db.query("select name from sites")}
    names = _site_names(rng)
    venue_kinds = [v for v, _ in _EVENT_VENUES]
    venue_weights = [w for _, w in _EVENT_VENUES]
    created = int(dt.datetime.combine(first, dt.time(9), zone).timestamp()) - 30 * 86400
    span = (last - first).days
    sites, rows = [], []
    for index in range(count):
        branch = index < count - events
        while True:
            place, suffix = next(names)
            if branch:
                name = f"サンプル区 {place}{suffix}出張所"
                venue = f"サンプル区{place}{rng.randint(1, 5)}-{rng.randint(1, 20)}-{rng.randint(1, 30)}（サンプル）"
            else:
                kind = rng.choices(venue_kinds, venue_weights)[0]
                name = f"{place}{suffix}{kind} 出張相談会"
                room = rng.choice(("集会室", "会議室", "多目的室"))
                venue = f"{place}{suffix}{kind} {rng.randint(1, 3)}階 {room}（サンプル）"
            if name not in taken:
                taken.add(name)
                break
        row = {"name": name, "kind": "branch" if branch else "event", "venue": venue}
        site = _Site(0, branch, f"{place}{suffix}", rng.uniform(0.6, 1.6))
        if branch:
            row["created_at"] = dates[created // 86400] + times[created % 86400]
        else:
            months = rng.choice((1, 2, 3, 3, 4, 6))
            start = first + dt.timedelta(days=rng.randint(0, max(0, span - 28 * months)))
            start = start.replace(day=1) if start.replace(day=1) >= first else start
            site.starts_on, site.ends_on = start, _add_months(start, months) - dt.timedelta(days=1)
            site.event_weekdays = tuple(sorted(rng.sample(range(5), rng.choice((1, 1, 2))))) + (
                (5,) if rng.random() < 0.2 else ())
            site.weight *= 1.5  # a few busy days
            opened = int(dt.datetime.combine(start, dt.time(9), zone).timestamp()) - 30 * 86400
            row.update(starts_on=start.isoformat(), ends_on=site.ends_on.isoformat(),
                       created_at=dates[opened // 86400] + times[opened % 86400])
        rows.append(row)
        sites.append(site)
    table = db.table("sites")
    for site, row in zip(sites, rows, strict=True):
        table.insert(row)
        site.id = table.last_pk
    devices = db.table("devices")
    for site, row in zip(sites, rows, strict=True):
        if site.branch:
            devices.insert({"name": f"{site.short}出張所 キオスク1", "kind": "kiosk", "site_id": site.id,
                            "created_at": row["created_at"]})
            site.device_id = devices.last_pk
    return sites


def _usernames(db: sqlite_utils.Database, prefix: str, count: int) -> list[str]:
    taken = {r["username"] for r in db.query("select username from users where username like ?", [prefix + "%"])}
    out = []
    for n in itertools.count(1):
        if len(out) == count:
            return out
        if f"{prefix}{n:02d}" not in taken:
            out.append(f"{prefix}{n:02d}")
    return out


def _create_staff(db: sqlite_utils.Database, sites: list[_Site], password: str) -> list[int]:
    """A supporter per site (its home site) and a few coordinators; returns the coordinators' ids."""
    for site, username in zip(sites, _usernames(db, "staff-", len(sites)), strict=True):
        site.supporter_id = create_user(db, username, "supporter", password,
                                        f"デジタル活用支援員 {username[6:]}（{site.short}・サンプル）", site.id)
    coordinators = max(2, min(5, len(sites) // 5))
    return [create_user(db, username, "coordinator", password, f"統計担当 {username[6:]}（サンプル）", sites[0].id)
            for username in _usernames(db, "coord-", coordinators)]


# --- the bulk load --------------------------------------------------------------------------------

_CONSULTATION_COLUMNS = ("id", "site_id", "staff_id", "started_at", "minutes", "channel", "age_band", "first_visit",
                         "language", "accessibility", "device_used", "outcome", "reason", "follow_up", "handoff_code",
                         "satisfaction", "note", "help_request_id", "created_at", "updated_at", "deleted_at",
                         "deleted_by")
_EVENT_COLUMNS = ("session_ref", "device_id", "site_id", "event", "procedure_id", "channel_id", "detail",
                  "occurred_at")
_HELP_COLUMNS = ("id", "site_id", "device_id", "session_ref", "procedure_id", "status", "created_at", "claimed_by",
                 "claimed_at", "resolved_at")
_HANDOFF_COLUMNS = ("code", "session_ref", "procedure_id", "channel_id", "readiness", "site_id", "device_id",
                    "locale", "created_at", "expires_at", "status", "updated_at")


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"


_INSERT_CONSULTATION = _insert_sql("consultations", _CONSULTATION_COLUMNS)
_INSERT_TOPIC = "insert into consultation_topics (consultation_id, topic) values (?, ?)"
_INSERT_EVENT = _insert_sql("kiosk_events", _EVENT_COLUMNS)
_INSERT_HELP = _insert_sql("help_requests", _HELP_COLUMNS)
_INSERT_HANDOFF = _insert_sql("handoffs", _HANDOFF_COLUMNS)


def _procedure_info(catalog, procedure_ids: Iterable[str] | None):
    """(procedure ids, {id: topic weight}, {id: [(channel id, channel kind)]}, {id: [readiness JSON]})."""
    if catalog is not None:
        procedures = catalog.procedures
        ids = list(procedures)
        channels = {pid: [(c.id, c.kind.value) for c in p.channels] for pid, p in procedures.items()}
        readiness = {pid: ["[]"] + [json.dumps([{"question": q.id, "answer": "yes"} for q in p.questions[:n]])
                                    for n in (1, 2) if len(p.questions) >= n]
                     for pid, p in procedures.items()}
        business = {pid for pid, p in procedures.items() if p.audience.value == "businesses"}
    else:
        ids = list(procedure_ids or ())
        channels = {pid: [] for pid in ids}
        readiness = {pid: ["[]"] for pid in ids}
        business = set()
    if not ids:
        raise ValueError("synthetic data needs the procedure catalog or a list of procedure ids")
    weights = {pid: _PROCEDURE_TOPICS.get(pid, 0.2 if pid in business else _OTHER_PROCEDURE_WEIGHT) for pid in ids}
    return ids, weights, channels, readiness


def generate(db: sqlite_utils.Database, consultations: int, years: int, sites: int, seed: int = 1,
             end: dt.date | None = None, *, catalog=None, procedure_ids: Iterable[str] | None = None,
             timezone: str = "Asia/Tokyo", password: str | None = None) -> dict[str, int]:
    """Add ``sites`` sites with their staff and kiosks, and ``consultations`` consultations over the
    last ``years`` fiscal years up to ``end`` (default: yesterday), to a migrated database.
    Procedures come from ``catalog`` (a loaded Catalog: topics, kiosk channels, readiness
    answers) or from ``procedure_ids``. Returns how many rows of each kind were added."""
    if consultations < 1 or years < 1 or sites < 1:
        raise ValueError("consultations, years and sites must each be at least 1")
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    first, last = window(years, end, timezone)
    # Later edits (deletions, follow-ups) stop at the end of the last day: deterministic, never future.
    as_of = int(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).timestamp()) - 1
    _, proc_weights, proc_channels, proc_readiness = _procedure_info(catalog, procedure_ids)
    dates, times = _Dates(), _times()
    days = _calendar(first, last, zone)

    conn = db.conn
    cache_size = conn.execute("pragma cache_size").fetchone()[0]
    conn.execute("pragma cache_size = -131072")  # 128 MiB while loading
    try:
        # The statistics rollup's triggers are set aside and the rollup rebuilt once at the end, inside
        # this transaction: other connections never see the triggers missing.
        rollup = bulk_load(db, timezone) if db.table("consultation_stats").exists() else contextlib.nullcontext()
        with transaction(db), rollup:
            site_list = _create_sites(db, rng, sites, first, last, zone, dates, times)
            coordinators = _create_staff(db, site_list, password or generate_password())
            counts = _load(db, rng, consultations, days, site_list, coordinators, as_of, dates, times,
                           proc_weights, proc_channels, proc_readiness)
        counts.update(sites=sites, branches=sum(s.branch for s in site_list),
                      events=sum(not s.branch for s in site_list), devices=sum(s.branch for s in site_list),
                      users=sites + len(coordinators))
    finally:
        conn.execute(f"pragma cache_size = {cache_size}")
    if db.journal_mode == "wal":
        conn.execute("pragma wal_checkpoint(truncate)")  # do not leave a WAL as large as the load
    return counts


def _site_days(days: list[_Day], sites: list[_Site]) -> tuple[list[tuple[int, int]], list[float]]:
    """Every (site index, day index) the site is open, in day order, with its weight."""
    slots, weights = [], []
    for di, day in enumerate(days):
        for si, site in enumerate(sites):
            if site.branch:
                if day.closed or not (day.weekday < 5 or day.open_saturday):
                    continue
                weight = site.weight * (_WEEKDAY_FACTOR[day.weekday] if day.weekday < 5 else 0.5)
            else:
                if (day.closed or day.weekday not in site.event_weekdays
                        or not site.starts_on <= day.date <= site.ends_on):
                    continue
                weight = site.weight
            slots.append((si, di))
            weights.append(weight * day.factor)
    if not slots:  # a window of only closed days: use them all the same
        slots = [(si, di) for di in range(len(days)) for si in range(len(sites))]
        weights = [1.0] * len(slots)
    return slots, weights


def _load(db, rng: random.Random, total: int, days: list[_Day], sites: list[_Site], coordinators: list[int],
          as_of: int, dates: _Dates, times: list[str], proc_weights, proc_channels,
          proc_readiness) -> dict[str, int]:
    """Spread ``total`` consultations over the sites' open days and write them, with their kiosk
    sessions, help requests and handoffs, a batch at a time. Returns the counts."""
    slots, per_slot = _spread(rng, total, days, sites)
    loader = _Loader(db, rng, sites, coordinators, as_of, dates, times, proc_weights, proc_channels, proc_readiness)
    walker = ((si, di) for (si, di), n in zip(slots, per_slot, strict=True) for _ in range(n))
    while batch := list(itertools.islice(walker, BATCH)):
        rows = _Rows()
        for si, di in batch:
            loader.consultation(rows, si, days[di])
        loader.kiosk_sessions(rows, [(sites[si], days[di]) for si, di in batch if sites[si].branch], len(batch))
        loader.write(rows)
    return loader.counts


def _spread(rng: random.Random, total: int, days: list[_Day],
            sites: list[_Site]) -> tuple[list[tuple[int, int]], list[int]]:
    """The (site index, day index) slots the sites are open, and how many consultations fall on each."""
    slots, weights = _site_days(days, sites)
    per_slot = [0] * len(slots)
    cumulative = list(itertools.accumulate(weights))
    indexes = range(len(slots))
    for start in range(0, total, 100_000):
        for i in rng.choices(indexes, cum_weights=cumulative, k=min(100_000, total - start)):
            per_slot[i] += 1
    return slots, per_slot


@dataclass
class _Rows:
    """One batch's rows, before they are written. A consultation is kept as a tuple with its site
    index and its topics; it gets its id when the batch is sorted by start time."""
    consultations: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)  # (epoch second, *the kiosk_events columns)
    helps: list[tuple] = field(default_factory=list)
    handoffs: list[tuple] = field(default_factory=list)


class _Loader:
    """The bulk load's state: one endless stream of draws per distribution (all from the one
    ``rng``, so the order of the draws below is the data: keep it), the next ids, the handoff codes
    taken and the counts."""

    def __init__(self, db, rng: random.Random, sites: list[_Site], coordinators: list[int], as_of: int,
                 dates: _Dates, times: list[str], proc_weights, proc_channels, proc_readiness) -> None:
        self.db, self.sites, self.coordinators, self.as_of = db, sites, coordinators, as_of
        self.dates, self.times, self.proc_readiness = dates, times, proc_readiness
        self.profiles = _stream(rng, _profiles())
        self.branch_minutes = _stream(rng, _hours(_BRANCH_HOURS, 8 * 60 + 30))
        self.saturday_minutes = _stream(rng, _hours(_SATURDAY_HOURS))
        self.event_minutes = _stream(rng, _hours(_EVENT_HOURS))
        self.branch_channels = _stream(rng, _BRANCH_CHANNELS)
        self.minutes_by_outcome = {o: _stream(rng, w) for o, w in _MINUTES.items()}
        self.satisfaction = _stream(rng, _SATISFACTION)
        self.satisfaction_unresolved = _stream(rng, _SATISFACTION_UNRESOLVED)
        self.topic_counts = _stream(rng, _TOPIC_COUNT)
        self.topic_stream = _stream(rng, {**_GENERAL_TOPICS, **proc_weights})
        self.procedures = _stream(rng, proc_weights)
        self.accessibility = _stream(rng, _ACCESSIBILITY)
        self.endings = _stream(rng, _SESSION_ENDINGS)
        self.handoff_status = _stream(rng, _HANDOFF_STATUS)
        self.locales = _stream(rng, {code: (92 if code == "ja" else 8 / max(1, len(LOCALE_CODES) - 1))
                                     for code in LOCALE_CODES})
        self.channel_choice = {pid: ([c for c, _ in chans],
                                     list(itertools.accumulate(_CHANNEL_KIND.get(kind, 5) for _, kind in chans)))
                               for pid, chans in proc_channels.items()}
        self.general = set(vocabulary.GENERAL_TOPICS)
        self.random, self.getrandbits, self.choice, self.choices = rng.random, rng.getrandbits, rng.choice, rng.choices
        conn = db.conn
        self.next_id = conn.execute("select coalesce(max(id), 0) + 1 from consultations").fetchone()[0]
        self.next_help = conn.execute("select coalesce(max(id), 0) + 1 from help_requests").fetchone()[0]
        self.codes = {r[0] for r in conn.execute("select code from handoffs")}
        self.counts = dict.fromkeys(("consultations", "deleted", "topics", "kiosk_sessions", "kiosk_events",
                                     "help_requests", "handoffs"), 0)

    # --- small draws

    def randint(self, low: int, high: int) -> int:  # rng.randint is several times slower
        return low + int(self.random() * (high - low + 1))

    def iso(self, ts: int) -> str:
        return self.dates[ts // 86400] + self.times[ts % 86400]

    def new_code(self) -> str:
        while True:
            data = "".join(self.choices(ALPHABET, k=8))
            code = data + check_character(data)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def channel_for(self, proc: str) -> str | None:
        ids, cumulative = self.channel_choice.get(proc) or ((), ())
        return ids[bisect_right(cumulative, self.random() * cumulative[-1])] if ids else None

    # --- kiosk sessions, help requests and handoffs

    def session(self, events: list, t: int, site: _Site, proc: str | None, locale: str,
                ending: str) -> tuple[str, int, str | None]:
        """A kiosk session's events from ``t``; returns its ref, the time it reached ``ending`` and the
        channel recommended."""
        randint, iso = self.randint, self.iso
        ref = f"{self.getrandbits(64):016x}"
        self.counts["kiosk_sessions"] += 1
        device, site_id = site.device_id, site.id
        events.append((t, ref, device, site_id, "session_started", None, None, None, iso(t)))
        t += randint(3, 20)
        events.append((t, ref, device, site_id, "language_chosen", None, None, locale, iso(t)))
        if proc is None:
            t += randint(30, 180)
            events.append((t, ref, device, site_id, ending, None, None, None, iso(t)))
            return ref, t, None
        t += randint(10, 90)
        events.append((t, ref, device, site_id, "procedure_chosen", proc, None, None, iso(t)))
        channel = self.channel_for(proc)
        t += randint(15, 120)
        events.append((t, ref, device, site_id, "channel_recommended", proc, channel, None, iso(t)))
        if self.random() < 0.15:
            t += randint(10, 60)
            reason = self.choice(("no-card", "card-expired", "pin-unknown", "signature-pin-unknown", "no-smartphone"))
            events.append((t, ref, device, site_id, "readiness_failed", proc, channel, reason, iso(t)))
        t += randint(30, 300)
        if ending == "printed":
            events.append((t, ref, device, site_id, "handoff_created", proc, channel, None, iso(t)))
            t += randint(2, 10)
        events.append((t, ref, device, site_id, ending, proc, channel if ending in ("finished", "printed") else None,
                       None, iso(t)))
        return ref, t, channel

    def handoff(self, handoffs: list, t: int, day: _Day, site: _Site, proc: str, channel: str | None, ref: str,
                locale: str, status: str | None = None) -> str:
        code = self.new_code()
        status = status or next(self.handoff_status)
        updated = t if status == "open" else min(self.as_of, t + self.randint(3600, 20 * 86400))
        expires = day.midnight + (HANDOFF_DAYS + 1) * 86400 - 1
        handoffs.append((code, ref, proc, channel, self.choice(self.proc_readiness[proc]), site.id, site.device_id,
                         locale, self.iso(t), self.iso(expires), status, self.iso(updated)))
        return code

    def help_request(self, rows: _Rows, site: _Site, ref: str, proc: str | None, called: int, staff: int,
                     claimed: int, resolved: int) -> int:
        help_id = self.next_help
        rows.helps.append((help_id, site.id, site.device_id, ref, proc, "resolved", self.iso(called), staff,
                           self.iso(claimed), self.iso(resolved)))
        self.next_help += 1
        return help_id

    def kiosk_thread(self, rows: _Rows, site: _Site, day: _Day, channel: str, outcome: str, language: str,
                     chosen: list[str], started: int, minutes: int, created: int,
                     staff: int) -> tuple[list[str], int | None, str | None]:
        """One thread, kiosk to staff: the session, the help request (channel kiosk), the printed sheet.
        Returns the topics (the procedure added), the help request's id and the handoff code."""
        randint = self.randint
        proc = next((t for t in chosen if t not in self.general), None) or next(self.procedures)
        if proc not in chosen:
            chosen = chosen[:2] + [proc]
        locale = "en" if language == "en" else "ja"
        if channel != "kiosk":
            ref, printed, channel_id = self.session(rows.events, started + randint(30, 120), site, proc, locale,
                                                    "printed")
            return chosen, None, self.handoff(rows.handoffs, printed, day, site, proc, channel_id, ref, locale)
        ref, called, _ = self.session(rows.events, started - randint(240, 600), site, proc, locale, "staff_called")
        help_id = self.help_request(rows, site, ref, proc, called, staff, called + randint(20, 150), created)
        if outcome != "handed-off":
            return chosen, help_id, None
        t = started + randint(60, max(61, minutes * 60 - 30))
        channel_id = self.channel_for(proc)
        rows.events.append((t, ref, site.device_id, site.id, "handoff_created", proc, channel_id, None, self.iso(t)))
        t += randint(2, 10)
        rows.events.append((t, ref, site.device_id, site.id, "printed", proc, channel_id, None, self.iso(t)))
        return chosen, help_id, self.handoff(rows.handoffs, t, day, site, proc, channel_id, ref, locale, "contacted")

    def kiosk_sessions(self, rows: _Rows, anchors: list[tuple[_Site, _Day]], consultations: int) -> None:
        """Kiosk sessions of their own, at the branch offices (``anchors``) on the days of this batch."""
        for _ in range(round(consultations * SESSIONS_PER_CONSULTATION) if anchors else 0):
            site, day = self.choice(anchors)
            t = (day.midnight + next(self.branch_minutes if day.weekday < 5 else self.saturday_minutes) * 60
                 + self.randint(0, 59))
            ending = next(self.endings)
            proc = next(self.procedures) if ending not in ("timed_out", "restarted") or self.random() < 0.6 else None
            locale = next(self.locales)
            ref, at, channel_id = self.session(rows.events, t, site, proc, locale, ending)
            if ending == "printed":
                self.handoff(rows.handoffs, at, day, site, proc, channel_id, ref, locale)
            elif ending == "staff_called":
                claimed = at + self.randint(20, 150)
                resolved = min(self.as_of, claimed + self.randint(300, 1800))
                self.help_request(rows, site, ref, proc, at, site.supporter_id, claimed, resolved)

    # --- consultations

    def start_and_channel(self, site: _Site, day: _Day) -> tuple[int, str]:
        """The local minute of the day a consultation starts, and its channel."""
        if not site.branch:
            return next(self.event_minutes), "outreach"
        minute = next(self.branch_minutes if day.weekday < 5 else self.saturday_minutes)
        return minute, next(self.branch_channels)

    @staticmethod
    def device_for(device: str, channel: str, site: _Site) -> str:
        """The resident's device, as the channel and the site allow."""
        if channel == "kiosk":
            return "kiosk"
        if device == "kiosk" and not site.branch:
            return "tablet"
        if channel == "phone" and device in ("kiosk", "tablet"):
            return "none"
        return device

    def topics(self) -> list[str]:
        k = next(self.topic_counts)
        return [next(self.topic_stream)] if k == 1 else list(dict.fromkeys(next(self.topic_stream) for _ in range(k)))

    def accessibility_needs(self, age: str) -> str | None:
        if self.random() >= (0.12 if age in vocabulary.AGE_65_PLUS else 0.04):
            return None
        needs = next(self.accessibility)
        if self.random() < 0.1:
            needs = ",".join(sorted({needs, next(self.accessibility)}))
        return needs

    def deletion(self, created: int, staff: int) -> tuple[int, str | None, int | None]:
        """(updated, deleted_at, deleted_by): a few consultations are soft-deleted later on."""
        if self.random() >= DELETED_SHARE:
            return created, None, None
        updated = min(self.as_of, created + self.randint(60, 14 * 86400))
        return updated, self.iso(updated), staff if self.random() < 0.7 else self.choice(self.coordinators)

    def consultation(self, rows: _Rows, si: int, day: _Day) -> None:
        """One consultation at site ``si`` on ``day``, with the kiosk session, help request and handoff
        that belong to it."""
        site = self.sites[si]
        minute, channel = self.start_and_channel(site, day)
        age, language, device, outcome, reason = next(self.profiles)
        device = self.device_for(device, channel, site)
        started = day.midnight + minute * 60
        minutes = next(self.minutes_by_outcome[outcome])
        created = started + minutes * 60 + self.randint(0, 180)
        staff = site.supporter_id if self.random() < 0.9 else self.choice(self.coordinators)
        chosen = self.topics()
        needs = self.accessibility_needs(age)
        help_id = code = None
        if site.branch and (channel == "kiosk" or (outcome == "handed-off"
                                                    and self.random() < HANDOFF_SHARE_OF_HANDED_OFF)):
            chosen, help_id, code = self.kiosk_thread(rows, site, day, channel, outcome, language, chosen, started,
                                                      minutes, created, staff)
        updated, deleted_at, deleted_by = self.deletion(created, staff)
        follow_up = 1 if self.random() < _FOLLOW_UP[outcome] else 0
        score = next(self.satisfaction_unresolved if outcome == "not-resolved" else self.satisfaction)
        note = self.choice(_NOTES) if self.random() < NOTE_SHARE else None
        rows.consultations.append((started, si, staff, minutes, channel, age, language, needs, device, outcome, reason,
                                   follow_up, code, score, note, help_id, created, updated, deleted_at, deleted_by,
                                   chosen))

    # --- writing a batch

    def write(self, rows: _Rows) -> None:
        """The batch in start order, numbered from the next free id, in one transaction."""
        rows.consultations.sort(key=itemgetter(0))
        consultations, topics = [], []
        iso, random_ = self.iso, self.random
        for (started, si, staff, minutes, channel, age, language, needs, device, outcome, reason, follow_up, code,
             score, note, help_id, created, updated, deleted_at, deleted_by, chosen) in rows.consultations:
            consultations.append((self.next_id, self.sites[si].id, staff, iso(started), minutes, channel, age,
                                  1 if random_() < 0.6 else 0, language, needs, device, outcome, reason, follow_up,
                                  code, score, note, help_id, iso(created), iso(updated), deleted_at, deleted_by))
            topics.extend((self.next_id, topic) for topic in chosen)
            self.counts["deleted"] += deleted_at is not None
            self.next_id += 1
        rows.events.sort(key=itemgetter(0))
        conn = self.db.conn
        with transaction(self.db):
            conn.executemany(_INSERT_HELP, rows.helps)
            conn.executemany(_INSERT_HANDOFF, rows.handoffs)
            conn.executemany(_INSERT_CONSULTATION, consultations)
            conn.executemany(_INSERT_TOPIC, topics)
            conn.executemany(_INSERT_EVENT, [e[1:] for e in rows.events])
        for name, added in (("consultations", consultations), ("topics", topics), ("kiosk_events", rows.events),
                            ("help_requests", rows.helps), ("handoffs", rows.handoffs)):
            self.counts[name] += len(added)

