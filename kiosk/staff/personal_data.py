"""Personal identifiers that must never be stored, and ones that deserve a second look.

A 12-digit 個人番号 (My Number) is recognised by its check digit (the method of the 行政手続に
おける特定の個人を識別するための番号の利用等に関する法律施行令 / 総務省令), so a random 12-digit
number (a receipt number, say) is not refused, while a real one is, however it was typed:
full-width digits, spaces and hyphens are normalised first.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that may stand between the digit groups of a typed number.
_SEPARATOR_CHARS = " \t\n\r\u3000-‐‑‒–—―ー−_.,/・、〜~()（）[]［］"
_PHONE = re.compile(r"(?<![0-9])(?:\+81[\s-]?|0)\(?[0-9]{1,4}\)?[\s.-]?[0-9]{1,4}[\s.-]?[0-9]{3,4}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# How a 個人番号 is written: 12 digits in one group, or 4-4-4. Other groupings (a date and a
# time, 2025-01-15 1400) are not taken for one, however their digits add up.
_MYNUMBER_GROUPINGS = ((12,), (4, 4, 4))


def is_number(text: str) -> bool:
    """ASCII digits only (str.isdigit also accepts ², which int() refuses)."""
    return bool(re.fullmatch(r"[0-9]{1,12}", text))


def _normalise(text: str) -> str:
    """NFKC, every kind of decimal digit as 0-9 (全角, Arabic-Indic, Devanagari…), and invisible
    format characters (zero-width space, word joiner, soft hyphen) removed."""
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if unicodedata.category(ch) == "Cf":
            continue
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


def _digit_groups(text: str) -> list[list[str]]:
    """Runs of digit groups: digits separated only by separator characters form one run."""
    runs, groups, current, gap = [], [], "", ""
    for ch in text + "\x00":
        if ch.isdigit():
            current += ch
            continue
        if current:
            groups.append(current)
            current = ""
        if ch in _SEPARATOR_CHARS and groups:
            gap += ch
            continue
        if groups:
            runs.append(groups)
        groups, gap = [], ""
    return runs


def mynumber_check_digit(first_eleven: str) -> int:
    """The check digit of a 個人番号 from its first 11 digits."""
    if len(first_eleven) != 11 or not is_number(first_eleven):
        raise ValueError("11 digits expected")
    total = 0
    for n in range(1, 12):  # n counts from the right, next to the check digit
        digit = int(first_eleven[-n])
        weight = n + 1 if n <= 6 else n - 5
        total += digit * weight
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_mynumber(digits: str) -> bool:
    return len(digits) == 12 and is_number(digits) and mynumber_check_digit(digits[:11]) == int(digits[11])


def find_mynumbers(text: str) -> list[str]:
    """Every 12-digit number in ``text`` that passes the 個人番号 check digit, written as one
    group of 12 or as 4-4-4, wherever it stands among other numbers."""
    found = []
    for groups in _digit_groups(_normalise(text)):
        for start in range(len(groups)):
            for grouping in _MYNUMBER_GROUPINGS:
                window = groups[start:start + len(grouping)]
                if tuple(len(g) for g in window) == grouping:
                    digits = "".join(window)
                    if is_valid_mynumber(digits) and digits not in found:
                        found.append(digits)
    return found


def find_phone_numbers(text: str) -> list[str]:
    normalised = re.sub(r"[ー−‐‑–—]", "-", _normalise(text))
    return [m.group() for m in _PHONE.finditer(normalised)
            if 10 <= len(re.sub(r"[^0-9]", "", m.group().replace("+81", "0"))) <= 11]


def find_email_addresses(text: str) -> list[str]:
    return _EMAIL.findall(_normalise(text))
