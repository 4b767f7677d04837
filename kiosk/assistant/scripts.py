"""Folding between scripts, where the difference is a matter of characters, not of language.

- Simplified Chinese to Japanese kanji with OpenCC (s2t, then t2jp): 课税证明 → 課税証明.
- Romaji to kana with jaconv: juuminhyou → じゅうみんひょう (the reading search does the rest).
Width (全角/半角) is folded by NFKC in text.fold.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

_ROMAJI_WORD = re.compile(r"^[a-z]+$")
_MACRONS = str.maketrans({"ā": "aa", "ī": "ii", "ū": "uu", "ē": "ee", "ō": "ou", "â": "aa", "ô": "ou", "û": "uu"})
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _converters():
    import opencc

    return opencc.OpenCC("s2t"), opencc.OpenCC("t2jp")


def simplified_to_japanese(text: str) -> str:
    """Simplified Chinese characters as Japanese writes them (shinjitai)."""
    to_traditional, to_japanese = _converters()
    with _lock:
        return to_japanese.convert(to_traditional.convert(text))


def has_simplified_only(text: str) -> bool:
    """Whether ``text`` has a character Japanese never writes (证, 课, 们): s2t changes it and
    t2jp does not bring it back."""
    return simplified_to_japanese(text) != text and _converters()[0].convert(text) != text


def romaji_to_kana(text: str) -> str | None:
    """Hiragana for text that reads entirely as Hepburn or Kunrei romaji, else None."""
    import jaconv

    # kon'in and kon-in are こんいん; shibō is しぼう (Hepburn's macrons are long vowels).
    text = text.casefold().replace("n'", "nn").replace("n-", "nn").replace("-", "").replace("'", "")
    text = text.translate(_MACRONS)
    words = text.split()
    if not words or not all(_ROMAJI_WORD.match(w) for w in words):
        return None
    kana = "".join(jaconv.alphabet2kana(w) for w in words)
    # jaconv turns a letter it cannot read into っ: English words come out as っ before a vowel,
    # a doubled っ or a final っ, which no Japanese word has.
    return None if re.search(r"[a-z]|っ[あいうえおっんー]|っ$|^っ", kana) else kana
