"""Furigana: ruby readings over the kanji of every Japanese text on a kiosk page.

Readings come from SudachiPy (the same dictionary as the search) and are aligned to the kanji so
that okurigana is not repeated: 写し → <ruby>写<rt>うつ</rt></ruby>し. The rewriting works on the
finished HTML, so interface strings, content and fallback Japanese in another language's page
(``lang="ja"``) are all covered without each template knowing. Each distinct text is analysed
once per process (an LRU cache): kiosk pages repeat the same strings all day.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from markupsafe import escape
from sudachipy import SplitMode

from kiosk.assistant.text import shared_analyzer, to_hiragana
from kiosk.reading_aids.html_text import rewrite_text

_KANJI = "\u3005\u3006\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAS_KANJI = re.compile(f"[{_KANJI}]")
_RUNS = re.compile(f"[{_KANJI}]+|[^{_KANJI}]+")
_DIGITS = re.compile(r"[0-9０-９]+")
# Days of the month whose reading is not 〜にち (Sudachi reads 29日 as にこのか).
_DAY_READINGS = {1: "ついたち", 2: "ふつか", 3: "みっか", 4: "よっか", 5: "いつか", 6: "むいか", 7: "なのか",
                 8: "ようか", 9: "ここのか", 10: "とおか", 14: "じゅうよっか", 20: "はつか", 24: "にじゅうよっか"}
# Sudachi reads 何 as なん everywhere; before these particles it is なに.
_NANI_BEFORE = ("を", "が", "も", "か", "に", "で", "と")

Segment = tuple[str, str | None]  # (base text, reading or None for no ruby)


def _split(surface: str, reading: str) -> list[Segment] | None:
    reading = to_hiragana(reading)
    runs = _RUNS.findall(surface)
    pattern = "".join("(.+?)" if HAS_KANJI.match(run) else f"({re.escape(to_hiragana(run))})" for run in runs)
    match = re.fullmatch(pattern, reading)
    if not match:
        return None
    return [(run, part if HAS_KANJI.match(run) else None) for run, part in zip(runs, match.groups(), strict=True)]


def align(surface: str, reading: str) -> list[Segment]:
    """Split one word's reading over its kanji runs; kana in the word anchor the split.
    Falls back to one ruby over the whole word when the kana do not match the reading."""
    return _split(surface, reading) or [(surface, to_hiragana(reading))]


# Readings the content gives (a procedure's or a category's ``reading``): for those exact texts
# they beat the dictionary's guess. Set when the content is loaded.
_known_readings: dict[str, str] = {}


def use_known_readings(readings: dict[str, str]) -> None:
    global _known_readings
    _known_readings = dict(readings)
    segments.cache_clear()


@lru_cache(maxsize=50_000)
def segments(text: str) -> tuple[Segment, ...]:
    """``text`` as (base, reading) pieces; pieces without kanji have no reading."""
    if not HAS_KANJI.search(text):
        return ((text, None),)
    known = _known_readings.get(text.strip())
    if known:
        split = _split(text.strip(), known)
        if split:
            lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
            return tuple(([(lead, None)] if lead else []) + split + ([(trail, None)] if trail else []))
    words = shared_analyzer().surfaces_and_readings(text, SplitMode.C)
    if "".join(surface for surface, _ in words) != text:  # never lose a character
        return ((text, None),)
    out: list[Segment] = []
    for index, (surface, reading) in enumerate(words):
        following = words[index + 1][0] if index + 1 < len(words) else ""
        previous = words[index - 1][0] if index else ""
        if not HAS_KANJI.search(surface):
            out.append((surface, None))
        elif surface == "日" and _DIGITS.fullmatch(previous):
            day = int(previous.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
            if day in _DAY_READINGS:  # ruby over the whole 2日 (ふつか): the digit is part of the word
                base, _ = out.pop()
                out.append((base + surface, _DAY_READINGS[day]))
            else:
                out.append((surface, "にち"))
        elif surface == "何" and following.startswith(_NANI_BEFORE):
            out.append((surface, "なに"))
        elif HAS_KANJI.search(reading) or not reading:  # unknown word: no reading is better than a wrong one
            out.append((surface, None))
        else:
            out.extend(align(surface, reading))
    return tuple(out)


def reading_of(text: str) -> str:
    """The whole text in hiragana (kana and other characters kept as they are)."""
    return "".join(reading if reading is not None else base for base, reading in segments(text))


def ruby(text: str) -> str:
    """HTML-escaped ``text`` with <ruby> over its kanji."""
    out = []
    for base, reading in segments(text):
        if reading is None:
            out.append(str(escape(base)))
        else:
            out.append(f"<ruby>{escape(base)}<rp>(</rp><rt>{escape(reading)}</rt><rp>)</rp></ruby>")
    return "".join(out)


def add_furigana(page: str, *, japanese: bool) -> str:
    """Add ruby to the Japanese text nodes of an HTML page or htmx fragment: text whose nearest
    ``lang`` is ``ja``, or, outside any ``lang``, when the page's language is (``japanese``)."""

    def rubify(text: str, lang: str) -> str:
        return _rubify(text) if lang.split("-")[0] == "ja" and HAS_KANJI.search(text) else text

    return rewrite_text(page, "ja" if japanese else "", rubify)


def _rubify(escaped_text: str) -> str:
    # One span per text node: in a flex container (buttons, chips, links) each <ruby> would
    # otherwise be its own flex item, and the gap would split words (「職員 を 呼 ぶ」).
    return f'<span class="k-ruby-text">{ruby(html.unescape(escaped_text))}</span>'


__all__ = ["add_furigana", "align", "reading_of", "ruby", "segments", "use_known_readings"]
