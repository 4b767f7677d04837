"""Reporting periods in the ward's own calendar (the TIMEZONE setting): fiscal years (April–March),
quarters and months, and the one UTC offset the statistics count months with."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.settings import SettingsError

FISCAL_YEAR_FIRST_MONTH = 4  # 年度: April to March

# The years a statistics time zone must keep one UTC offset over: every consultation the app can
# hold (synthetic data reaches back 20 years) and the years ahead, as far as the tz database knows.
_CONSTANT_OFFSET_YEARS = range(2000, 2101)


class StatisticsTimezoneError(SettingsError):
    """TIMEZONE cannot be used for the statistics (unknown, or its UTC offset changes). A settings
    error, so that `kiosk serve` reports it as one line like any other bad setting."""

    def __init__(self, problem: str) -> None:
        super().__init__([f"TIMEZONE: {problem}"])


@functools.lru_cache(maxsize=16)
def statistics_utc_offset(timezone: str) -> dt.timedelta:
    """The one UTC offset of ``timezone`` (the TIMEZONE setting) that consultations are counted by month with.

    SQLite has no time-zone database: the rollup's triggers and the exports shift UTC times by a
    fixed offset. A zone with daylight saving time has two, and a consultation near a month's
    boundary would land in the wrong month for part of the year, so such a zone is refused."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Asia"
        raise StatisticsTimezoneError(f"{timezone!r} is not a time zone name (expected an IANA name such as "
                                      "Asia/Tokyo)") from None
    # The 1st and the 16th of every month: a daylight-saving (or Ramadan) period lasts longer than 15 days.
    offsets = {dt.datetime(year, month, day, 12, tzinfo=zone).utcoffset()
               for year in _CONSTANT_OFFSET_YEARS for month in range(1, 13) for day in (1, 16)}
    if len(offsets) > 1:
        raise StatisticsTimezoneError(
            f"{timezone!r} changes its UTC offset (daylight saving time, or a change of standard time since "
            f"{_CONSTANT_OFFSET_YEARS[0]}); the statistics count consultations by month in SQLite with one fixed "
            "offset, so they need a zone with one offset all year, such as Asia/Tokyo (see docs/configuration.md)")
    return offsets.pop()


def format_utc_offset(offset: dt.timedelta) -> str:
    """'+09:00', '+05:30', '-03:00'."""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def sqlite_shift(offset: dt.timedelta) -> str:
    """The offset as an SQLite date modifier, e.g. '+540 minutes' (whole minutes: every zone in use)."""
    return f"{int(offset.total_seconds()) // 60:+d} minutes"


@dataclass(frozen=True)
class Period:
    kind: str  # "fy" | "quarter" | "month"
    value: str  # "2026" (FY2026 = April 2026 to March 2027) | "2026-Q3" (fiscal quarter) | "2026-11"
    first_month: str  # "YYYY-MM"
    last_month: str
    months: tuple[str, ...]

    def utc_bounds(self, timezone: str) -> tuple[str, str]:
        """[start, end) of the period in UTC ISO form: local midnight of its first day and of the
        day after its last, with the statistics' offset (so they agree with the rollup's months)."""
        offset = statistics_utc_offset(timezone)
        year, month = map(int, self.last_month.split("-"))
        start = dt.datetime.strptime(self.first_month + "-01", "%Y-%m-%d") - offset
        following = dt.datetime(year + (month == 12), month % 12 + 1, 1) - offset
        return (start.replace(tzinfo=dt.UTC).isoformat(timespec="seconds"),
                following.replace(tzinfo=dt.UTC).isoformat(timespec="seconds"))


def ward_today(timezone: str) -> dt.date:
    """Today on the ward's calendar (``timezone``: the TIMEZONE setting)."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def _months(year: int, month: int, count: int) -> tuple[str, ...]:
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def fiscal_year(day: dt.date) -> int:
    """The fiscal year (年度) a day falls in: FY2026 is 1 April 2026 to 31 March 2027."""
    return day.year if day.month >= FISCAL_YEAR_FIRST_MONTH else day.year - 1


def fiscal_year_of_month(month: str) -> int:
    """The fiscal year of a 'YYYY-MM' month."""
    return fiscal_year(dt.date(int(month[:4]), int(month[5:7]), 1))


def parse_period(kind: str, value: str, today: dt.date) -> Period:
    """A period from the dashboard's form; anything unreadable falls back to the current fiscal year."""
    if kind == "month" and re.fullmatch(r"(20[0-9]{2})-(0[1-9]|1[0-2])", value or ""):
        year, month = map(int, value.split("-"))
        months = _months(year, month, 1)
    elif kind == "quarter" and re.fullmatch(r"(20[0-9]{2})-Q([1-4])", value or ""):
        year, quarter = int(value[:4]), int(value[-1])
        start = FISCAL_YEAR_FIRST_MONTH + 3 * (quarter - 1)  # fiscal quarters: Q1 = April–June … Q4 = January–March
        months = _months(year + (start > 12), (start - 1) % 12 + 1, 3)
    else:
        kind = "fy"
        year = int(value) if re.fullmatch(r"20[0-9]{2}", value or "") else fiscal_year(today)
        value = str(year)
        months = _months(year, FISCAL_YEAR_FIRST_MONTH, 12)
    return Period(kind, value, months[0], months[-1], months)
