"""Dates and numbers for residents, in their locale through Babel.

Japanese pages give the era (令和8年11月27日), as ward documents do; やさしい日本語 gives the
Western year (2026年11月27日), which is easier for residents who did not grow up with the era.
Other locales use CLDR's long date (November 27, 2026 / 2026年11月27日 in zh / 27 de novembro…).
"""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

ERAS = ((dt.date(2019, 5, 1), "令和"), (dt.date(1989, 1, 8), "平成"), (dt.date(1926, 12, 25), "昭和"))


def japanese_date(day: dt.date) -> str:
    """令和8年11月27日 (the first year of an era is 元年)."""
    for start, era in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def date_in(day: dt.date | str | None, locale_code: str) -> str:
    if not day:
        return ""
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day[:10])
        except ValueError:
            return day  # not a date: shown as it is rather than lost
    if locale_code == "ja":
        return japanese_date(day)
    return format_date(day, "long", locale=Locale.parse(locale_code))


def resident_date(day: dt.date | str | None) -> str:
    """Jinja filter: a date in the current page's locale."""
    from kiosk.i18n.locales import current_locale

    return date_in(day, current_locale().code)


def _locale() -> Locale:
    from kiosk.i18n.locales import current_locale

    return Locale.parse(current_locale().code)


def resident_number(value: int | float, pattern: str | None = None) -> str:
    """Jinja filter: 12,345 / 12.345 / 12 345 as the locale writes it (``pattern``: Babel's
    number pattern, e.g. "#,##0.00")."""
    return format_decimal(value, format=pattern, locale=_locale())


def resident_percent(share: float | None) -> str:
    """Jinja filter: a share (0.853) as the locale writes a percentage with one decimal."""
    return "—" if share is None else format_percent(share, format="#,##0.0%", locale=_locale())


__all__ = ["date_in", "japanese_date", "resident_date", "resident_number", "resident_percent"]
