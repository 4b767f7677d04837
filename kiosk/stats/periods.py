"""Reporting periods in the ward's own calendar: fiscal years (April–March), quarters and months."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

TOKYO_OFFSET = dt.timedelta(hours=9)  # Asia/Tokyo, no daylight saving time


@dataclass(frozen=True)
class Period:
    kind: str  # "fy" | "quarter" | "month"
    value: str  # "2026" (FY2026 = April 2026 to March 2027) | "2026-Q3" (fiscal quarter) | "2026-11"
    first_month: str  # "YYYY-MM"
    last_month: str
    months: tuple[str, ...]

    @property
    def start_utc(self) -> str:
        start = dt.datetime.strptime(self.first_month + "-01", "%Y-%m-%d") - TOKYO_OFFSET
        return start.replace(tzinfo=dt.UTC).isoformat(timespec="seconds")

    @property
    def end_utc(self) -> str:
        year, month = map(int, self.last_month.split("-"))
        following = dt.datetime(year + (month == 12), month % 12 + 1, 1) - TOKYO_OFFSET
        return following.replace(tzinfo=dt.UTC).isoformat(timespec="seconds")


def ward_now() -> dt.datetime:
    """Now on the ward's clock (naive, Asia/Tokyo)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + TOKYO_OFFSET


def ward_today() -> dt.date:
    return ward_now().date()


def _months(year: int, month: int, count: int) -> tuple[str, ...]:
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def fiscal_year(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def parse_period(kind: str, value: str, today: dt.date) -> Period:
    """A period from the dashboard's form; anything unreadable falls back to the current fiscal year."""
    if kind == "month" and re.fullmatch(r"(20[0-9]{2})-(0[1-9]|1[0-2])", value or ""):
        year, month = map(int, value.split("-"))
        months = _months(year, month, 1)
    elif kind == "quarter" and re.fullmatch(r"(20[0-9]{2})-Q([1-4])", value or ""):
        year, quarter = int(value[:4]), int(value[-1])
        start = 4 + 3 * (quarter - 1)  # fiscal quarters: Q1 = April–June … Q4 = January–March
        months = _months(year + (start > 12), (start - 1) % 12 + 1, 3)
    else:
        kind = "fy"
        year = int(value) if re.fullmatch(r"20[0-9]{2}", value or "") else fiscal_year(today)
        value = str(year)
        months = _months(year, 4, 12)
    return Period(kind, value, months[0], months[-1], months)
