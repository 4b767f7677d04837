"""Personal identifiers that must never be stored, and ones that deserve a second look.

A 12-digit 個人番号 (My Number) is recognised by its check digit (the method of the 行政手続に
おける特定の個人を識別するための番号の利用等に関する法律施行令 / 総務省令), so a random 12-digit
number (a receipt number, say) is not refused, while a real one is, however it was typed: any
kind of decimal digit (全角, Arabic-Indic, Devanagari…, the kanji 〇一二三四五六七八九), variation
selectors, combining marks and invisible characters anywhere, and any grouping of its digits
with any separator between the groups (spaces, hyphens, commas, ``*``, ``:``, ``|``…).

So that dates, times, phone numbers, postcodes and amounts never raise an alarm, digits that read
as one of those are left out first (``_MARKED``, ``_SEPARATED``) — but only when the reading holds:
a "date" whose separator also joins more digits on either side (2026-12-03-1030) is not a date,
so a number written with the same separator throughout is never mistaken for one. Currency
signs are not separators: they mark amounts.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# What every free-text field but the notes says (the notes have their own words, in
# kiosk.consultations.form). It never repeats the number.
MYNUMBER_REFUSED_IN_FIELD = _l("個人番号（マイナンバー）と思われる12桁の番号があります。"
                               "個人番号はここに記録できません。番号を消してから保存してください。")
# What the audit log keeps instead of a number that reached it anyway.
MYNUMBER_MASK = "************"

_PHONE = re.compile(r"(?<![0-9])(?:\+81[\s-]?|0)\(?[0-9]{1,4}\)?[\s.-]?[0-9]{1,4}[\s.-]?[0-9]{3,4}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

_KANJI_DIGITS = {"〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
                 "八": "8", "九": "9"}
# Circles many IMEs give for 〇: a zero only next to a kanji digit (alone, they are bullets or marks).
_ROUND_ZEROS = "○◯"
# Blank-looking letters and symbols that stand in for nothing (besides the format characters and
# combining marks that unicodedata already tells apart).
_INVISIBLE = frozenset("\u2800\u3164\u115f\u1160\uffa0")
# Long-vowel marks typed for a hyphen on a Japanese keyboard; wave dashes are not hyphens but
# ranges (2026-12-03〜2026-12-10), kept apart so that each side still reads as a date.
_DASHES = frozenset("ー−ｰ")
_WAVE_DASHES = frozenset("〜〰")
# At most this many separator characters join two digit groups ("1 , 2", " - ").
_MAX_GAP = 3
# Kept apart from spaces: a phone number written with spaces ends at the end of its line.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_MYNUMBER_LENGTH = 12


def is_number(text: str) -> bool:
    """ASCII digits only (str.isdigit also accepts ², which int() refuses)."""
    return bool(re.fullmatch(r"[0-9]{1,12}", text))


def _normalise(text: str) -> str:
    """NFKC, every kind of decimal digit as 0-9 (全角, Arabic-Indic, Devanagari…), and invisible
    format characters (zero-width space, word joiner, soft hyphen) removed. For the phone and
    e-mail warnings."""
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if unicodedata.category(ch) == "Cf":
            continue
        digit = unicodedata.decimal(ch, None)
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


def _ignorable(ch: str) -> bool:
    """Characters that change nothing a reader sees in a number: format characters (zero-width
    space and joiners, word joiner, BOM), variation selectors and other combining marks (a
    keycap, an accent), and blank letters (U+2800, U+3164, U+115F/U+1160)."""
    return ch in _INVISIBLE or unicodedata.category(ch) in ("Cf", "Mn", "Me", "Mc")


def _as_digit(ch: str, before: str, after: str) -> str | None:
    if ch in _KANJI_DIGITS:
        return _KANJI_DIGITS[ch]
    if ch in _ROUND_ZEROS and (before in _KANJI_DIGITS or after in _KANJI_DIGITS):
        return "0"
    value = unicodedata.decimal(ch, None)
    if value is None:
        value = unicodedata.digit(ch, None)
    return None if value is None else str(value)


@dataclass(frozen=True)
class _Normalised:
    text: str  # digits as 0-9, runs of spaces as one " ", dashes as "-", invisible characters gone
    origin: list[int]  # for each character of text, the index of the character it came from

    def span_in_original(self, start: int, end: int, original: str) -> tuple[int, int]:
        """Where text[start:end] was in the original, with the marks that followed its last digit."""
        first, last = self.origin[start], self.origin[end - 1] + 1
        while last < len(original) and _ignorable(original[last]):
            last += 1
        return first, last


def _normalise_with_origin(text: str) -> _Normalised:
    out: list[str] = []
    origin: list[int] = []
    for index, raw in enumerate(text):
        if _ignorable(raw):
            continue
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        for ch in unicodedata.normalize("NFKC", raw):
            digit = _as_digit(ch, before, after)
            if digit is not None:
                ch = digit
            elif ch in _LINE_BREAKS:
                ch = "\n"
            elif ch.isspace():
                ch = " "
            elif ch in _DASHES or (unicodedata.category(ch) == "Pd" and ch not in _WAVE_DASHES):
                ch = "-"
            if ch in " \n" and out and out[-1] == ch:
                continue  # a run of spaces (or of blank lines) is one separator, however long
            out.append(ch)
            origin.append(index)
    return _Normalised("".join(out), origin)


def _is_separator(ch: str) -> bool:
    """Spaces, line breaks, punctuation and symbols (not currency signs, which mark an amount)."""
    category = unicodedata.category(ch)
    return ch in " \n" or (category[0] in "PS" and category != "Sc")


# --- what digits may be instead of a 個人番号 -----------------------------------------------------------

_YEAR = r"(?:1[89]|2[01])\d\d"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_UNITS = "円万億兆千件人名歳回枚個年月日時分秒%‰"


def _structure(pattern: str, then: str = "(?![0-9])") -> re.Pattern:
    return re.compile(rf"(?<![0-9])(?:{pattern}){then}")


# Marked by a sign or a unit: always what they say (a 個人番号 is not written with 円 after it).
_MARKED = (
    _structure(r"[¥$€£] ?\d+(?:,\d{3})*(?:\.\d+)?"),  # ¥1,234,567 $12.50
    _structure(rf"\d+(?:,\d{{3}})*(?:\.\d+)? ?(?:[{_UNITS}]|ドル)", then=""),  # 12,345,678円 3日 12件 2回 4月1日
)
# Read from their digits and separators; (pattern, fewest digits, most digits).
_SEPARATED = (
    # dates: 2026-12-03, 2026/12/3, 2026.12.03, 03/12/2026; times: 10:30, 9:05:00
    (_structure(rf"{_YEAR}([-/.]){_MONTH}\1{_DAY}"), 0, 99),
    (_structure(rf"{_DAY}([-/.]){_DAY}\1{_YEAR}"), 0, 99),
    (_structure(rf"{_DAY}/{_DAY}"), 0, 99),  # 12/3 (month and day, or day and month)
    (_structure(r"(?:[01]?\d|2\d):[0-5]\d(?::[0-5]\d)?"), 0, 99),
    # phone numbers: 03-1234-5678, 090 1234 5678, (03) 1234-5678, 03(1234)5678, +81 90-1234-5678
    (_structure(r"0\d{1,4}([- .])\d{1,4}\1\d{3,4}"), 10, 11),
    (_structure(r"\(0\d{1,4}\) ?\d{1,4}[- .]?\d{3,4}"), 10, 11),
    (_structure(r"0\d{1,4}\(\d{1,4}\)\d{3,4}"), 10, 11),
    (_structure(r"0\d{9,10}"), 10, 11),  # 09012345678: held only where nothing joins it
    (_structure(r"\+ ?81[- .]?(?:\(0\)[- .]?)?(?:[1-9]\d{0,3}([- .])\d{1,4}\1\d{3,4}|[1-9]\d{8,9})"), 11, 13),
    # postcodes: 〒160-0022, 160-0022
    (_structure(r"〒 ?\d{3}-?\d{4}"), 7, 7),
    (_structure(r"\d{3}-\d{4}"), 7, 7),
)


def _neighbour_before(text: str, start: int) -> tuple[str, int] | None:
    """The separators between ``start`` and the digit before it (and that digit's index), if few
    enough to join them."""
    gap = re.search(rf"[0-9]([^0-9]{{0,{_MAX_GAP}}})\Z", text[max(0, start - _MAX_GAP - 1):start])
    if gap and all(_is_separator(ch) for ch in gap.group(1)):
        return gap.group(1), start - len(gap.group(1)) - 1
    return None


def _neighbour_after(text: str, end: int) -> tuple[str, int] | None:
    gap = re.match(rf"([^0-9]{{0,{_MAX_GAP}}})[0-9]", text[end:end + _MAX_GAP + 1])
    if gap and all(_is_separator(ch) for ch in gap.group(1)):
        return gap.group(1), end + len(gap.group(1))
    return None


@dataclass(frozen=True)
class _Reading:
    start: int
    end: int
    separators: frozenset[str]  # what stands between its digits, and its mark (+, 〒)
    first_digit: int
    digits: int

    def holds(self, index: int) -> bool:
        return self.start <= index < self.end


def _separated_readings(text: str) -> list[_Reading]:
    readings = []
    for pattern, fewest, most in _SEPARATED:
        position = 0
        while match := pattern.search(text, position):
            position = match.start() + 1  # overlapping readings too: the one that holds may start inside
            digits = sum(ch.isdigit() for ch in match.group())
            if fewest <= digits <= most:
                first_digit = match.start() + re.search(r"[0-9]", match.group()).start()
                readings.append(_Reading(match.start(), match.end(), frozenset(re.findall(r"[^0-9]+", match.group())),
                                         first_digit, digits))
    return readings


def _structured_spans(text: str) -> list[tuple[int, int]]:
    """Where dates, times, phone numbers, postcodes and amounts are. A reading from separators holds
    unless one of its own separators (or its mark) also joins it to digits that are not part of
    something else already: then they are one longer number written with that separator, as a
    個人番号 typed 2026-12-03-1030 is. Two readings that join each other both hold when they have
    more digits together than a 個人番号 (two phone numbers, a range of two dates)."""
    spans = [m.span() for pattern in _MARKED for m in pattern.finditer(text)]
    pending = _separated_readings(text)

    def excused(reading: _Reading, index: int) -> bool:
        if any(start <= index < end for start, end in spans):
            return True
        return any(other.holds(index) and (other.end <= reading.start or reading.end <= other.start)
                   and other.digits + reading.digits > _MYNUMBER_LENGTH for other in pending)

    changed = True
    while changed:  # a reading that holds can free the next one (a date, then its time)
        changed = False
        for reading in list(pending):
            neighbours = (_neighbour_before(text, reading.first_digit), _neighbour_after(text, reading.end))
            # Digits without separators are joined by any neighbour.
            joined = [n for n in neighbours if n and (n[0] in reading.separators or not reading.separators)]
            if all(excused(reading, index) for _, index in joined):
                spans.append((reading.start, reading.end))
                pending.remove(reading)
                changed = True
    return spans


# --- finding them ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Group:
    start: int
    end: int
    structured: bool


def _runs(text: str) -> list[list[_Group]]:
    """Digit groups joined by at most _MAX_GAP separators, each marked when it is part of a date,
    a time, a phone number, a postcode or an amount."""
    structured = _structured_spans(text)
    runs: list[list[_Group]] = []
    for match in re.finditer(r"[0-9]+", text):
        start, end = match.span()
        group = _Group(start, end, any(s < end and start < e for s, e in structured))
        previous = runs[-1][-1] if runs else None
        gap = text[previous.end:start] if previous else None
        if gap is not None and len(gap) <= _MAX_GAP and all(_is_separator(ch) for ch in gap):
            runs[-1].append(group)
        else:
            runs.append([group])
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


@dataclass(frozen=True)
class Found:
    digits: str  # the number as 12 ASCII digits
    start: int  # where it was written in the text, with its separators and marks
    end: int


@functools.cache
def _digit_like() -> tuple[re.Pattern, re.Pattern]:
    """Every character that is a digit or normalises to digits (about a thousand), and those that
    stand for more than one (⑫, ⒛), built once."""
    chars, several = set(_KANJI_DIGITS) | set(_ROUND_ZEROS), set()
    for code in range(0x20000):  # digits are all in the first two planes
        if 0xD800 <= code < 0xE000:  # surrogates
            continue
        ch = chr(code)
        # Only characters with a decomposition normalise to something else.
        digits = sum(c.isdigit() for c in unicodedata.normalize("NFKC", ch)) if unicodedata.decomposition(ch) else 0
        if digits or unicodedata.digit(ch, None) is not None:
            chars.add(ch)
        if digits > 1:
            several.add(ch)

    def one_of(group: set[str]) -> re.Pattern:
        return re.compile("[" + "".join(re.escape(ch) for ch in sorted(group)) + "]")

    return one_of(chars), one_of(several)


def _too_few_digits(text: str) -> bool:
    """Most text has fewer than 12 digits of any kind: nothing to look at more closely."""
    digit_like, several = _digit_like()
    return len(digit_like.findall(text)) < _MYNUMBER_LENGTH and not several.search(text)


def _found(text: str) -> list[Found]:
    if _too_few_digits(text):
        return []
    normalised = _normalise_with_origin(text)
    found = []
    for run in _runs(normalised.text):
        for first in range(len(run)):
            length, last = 0, first
            while last < len(run) and length < _MYNUMBER_LENGTH and not run[last].structured:
                length += run[last].end - run[last].start
                last += 1
            if length != _MYNUMBER_LENGTH:
                continue
            start, end = run[first].start, run[last - 1].end
            digits = re.sub(r"[^0-9]", "", normalised.text[start:end])
            if is_valid_mynumber(digits):
                found.append(Found(digits, *normalised.span_in_original(start, end, text)))
    return found


def find_mynumbers(text: str) -> list[str]:
    """Every 12-digit number in ``text`` that passes the 個人番号 check digit, however it is written
    (see the module's docstring), wherever it stands among other numbers."""
    digits = []
    for found in _found(text or ""):
        if found.digits not in digits:
            digits.append(found.digits)
    return digits


def contains_mynumber(text: str | None) -> bool:
    return bool(text) and bool(_found(text))


def remove_mynumbers(text: str, replacement: str = "") -> str:
    """``text`` with every 個人番号 in it (and its separators) replaced, again until none is left:
    digits on either side of a removed one may make another (123456 [removed] 789018)."""
    while contains_mynumber(text):
        text = _replace_found(text, replacement)
    return text


def _replace_found(text: str, replacement: str) -> str:
    spans = sorted((f.start, f.end) for f in _found(text))
    out, position = [], 0
    for start, end in spans:
        if start < position:  # overlapping windows of one long run of digits
            start = position
        out.append(text[position:start])
        if start < end:
            out.append(replacement)
        position = max(position, end)
    out.append(text[position:])
    return "".join(out)


def fields_with_mynumbers(fields: dict, names: Iterable[str] | None = None) -> list[str]:
    """The names of the text fields (of ``names``, or all) that hold a 個人番号."""
    return [name for name, value in fields.items()
            if (names is None or name in names) and isinstance(value, str) and contains_mynumber(value)]


class MyNumberRefused(ValueError):
    """A value holding a 個人番号 was about to be stored. The message names the field, never the value."""

    def __init__(self, field: str):
        super().__init__(f"{field} holds what looks like a 個人番号 (My Number); it is never stored")
        self.field = field


def refuse_mynumbers(fields: dict, names: Iterable[str] | None = None) -> None:
    """Raise MyNumberRefused for the first text field (of ``names``, or all) holding a 個人番号."""
    refused = fields_with_mynumbers(fields, names)
    if refused:
        raise MyNumberRefused(refused[0])


def mask_mynumbers(value):
    """Strings (in dicts and lists too) with every 個人番号 replaced by MYNUMBER_MASK."""
    if isinstance(value, str):
        return remove_mynumbers(value, MYNUMBER_MASK)
    if isinstance(value, dict):
        return {key: mask_mynumbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_mynumbers(item) for item in value]
    return value


def find_phone_numbers(text: str) -> list[str]:
    normalised = re.sub(r"[ー−‐‑–—]", "-", _normalise(text))
    return [m.group() for m in _PHONE.finditer(normalised)
            if 10 <= len(re.sub(r"[^0-9]", "", m.group().replace("+81", "0"))) <= 11]


def find_email_addresses(text: str) -> list[str]:
    return _EMAIL.findall(_normalise(text))
