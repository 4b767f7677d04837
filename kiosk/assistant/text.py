"""Japanese text handling for search: width folding, kana folding, SudachiPy tokens.

SQLite 3.40's FTS5 trigram tokenizer finds nothing for two-character Japanese terms, so the
search tokenises with SudachiPy and matches on lemmas and on katakana readings (so that
じゅうみんひょう, ジュウミンヒョウ, ｼﾞｭｳﾐﾝﾋｮｳ and the misspelling 住民表 all reach 住民票).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from sudachipy import Dictionary, SplitMode

# Parts of speech that carry meaning for search; particles, auxiliaries and symbols do not.
CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞", "連体詞", "感動詞"}
# Words that appear in almost every question and say nothing about which procedure is meant.
STOP_LEMMAS = {
    "する", "ある", "いる", "なる", "できる", "れる", "られる", "ない", "ます", "です", "こと", "もの",
    "ため", "よう", "これ", "それ", "どう", "どこ", "なに", "何", "いつ", "方", "ほう", "たい", "ほしい",
    "欲しい", "教える", "知る", "思う", "言う", "いう", "お", "ご", "御", "さん", "様", "ください",
    "下さい", "手続き", "手続", "方法", "やり方", "したい", "わかる", "分かる", "的", "等", "など",
    "今日", "今", "私", "僕", "ちょっと", "について", "くれる", "もらう", "いただく",
}
LATIN_WORD = re.compile(r"[a-z0-9]+")
LATIN_STOP = {"a", "an", "the", "to", "of", "for", "in", "on", "my", "i", "want", "how", "do", "is",
              "and", "or", "need", "get", "can", "me", "please", "what", "where", "with"}

_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
_KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
_TO_KATAKANA = str.maketrans(_HIRAGANA, _KATAKANA)
_TO_HIRAGANA = str.maketrans(_KATAKANA, _HIRAGANA)
_KANA_ONLY = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー・\s]+$")
_PUNCTUATION = re.compile(r"[^\w\sー]+")  # 。、？！「」… and symbols; letters, digits, kana, kanji stay


def fold(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII, half-width kana to full-width),
    lower-case, and whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def to_katakana(text: str) -> str:
    return text.translate(_TO_KATAKANA)


def to_hiragana(text: str) -> str:
    return text.translate(_TO_HIRAGANA)


def is_kana(text: str) -> bool:
    return bool(_KANA_ONLY.match(text))


@dataclass(frozen=True)
class Analysis:
    """What the search needs of a piece of text."""

    lemmas: frozenset[str]  # normalised forms of content words, and Latin words
    reading: str  # katakana reading of the content words, concatenated
    folded: str  # fold(text)


class Analyzer:
    """One SudachiPy dictionary per process; the tokenizer is used under a lock (it is not
    safe to share between waitress's threads)."""

    def __init__(self) -> None:
        self._dictionary = Dictionary(dict="core")
        self._tokenizer = self._dictionary.tokenizer(SplitMode.C)
        self._lock = threading.Lock()

    def _morphemes(self, text: str, mode: SplitMode) -> list[tuple[str, str, str, str, str]]:
        with self._lock:
            return [(m.part_of_speech()[0], m.normalized_form(), m.dictionary_form(), m.reading_form(),
                     m.surface()) for m in self._tokenizer.tokenize(text, mode)]

    def surfaces_and_readings(self, text: str, mode: SplitMode = SplitMode.C) -> list[tuple[str, str]]:
        """Each word as written and its katakana reading (for furigana)."""
        return [(surface, reading) for _, _, _, reading, surface in self._morphemes(text, mode)]

    def analyze(self, text: str, parts: bool = False) -> Analysis:
        """``parts``: also index the parts of compound words (for documents, not queries)."""
        folded = " ".join(_PUNCTUATION.sub(" ", fold(text)).split())
        # Kana-only input is read as katakana: Sudachi splits hiragana strings into odd pieces
        # (じゅうみんひょう → じゅう/みん/ひょう) but keeps a katakana run whole.
        source = to_katakana(folded) if is_kana(folded) else folded
        lemmas: set[str] = set()
        reading: list[str] = []
        latin = " ".join(LATIN_WORD.findall(folded))
        for word in latin.split():
            if word not in LATIN_STOP:
                lemmas.add(_stem(word))
        # Whole words (mode C) give the reading; in documents their parts (mode A) also count as
        # lemmas, so that ゴミ finds 粗大ごみ and 住民 finds 住民票 (but 住民票 not 住民税).
        for mode in (SplitMode.C, SplitMode.A) if parts else (SplitMode.C,):
            for pos, normalized, dictionary_form, reading_form, surface in self._morphemes(source, mode):
                if pos not in CONTENT_POS or LATIN_WORD.fullmatch(surface):
                    continue
                if normalized in STOP_LEMMAS or dictionary_form in STOP_LEMMAS:
                    continue
                lemmas.add(normalized)
                lemmas.add(to_katakana(dictionary_form) if is_kana(dictionary_form) else dictionary_form)
                if mode == SplitMode.C:
                    reading.append(to_katakana(reading_form))
        return Analysis(frozenset(lemmas), "".join(reading), folded)


def _stem(word: str) -> str:
    """English plural folding, enough for keyword matching (certificates → certificate)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def bigrams(reading: str) -> frozenset[str]:
    reading = reading.replace("ー", "")  # long-vowel marks are often typed or left out
    if len(reading) < 2:
        return frozenset({reading}) if reading else frozenset()
    return frozenset(reading[i:i + 2] for i in range(len(reading) - 1))


@lru_cache(maxsize=1)
def shared_analyzer() -> Analyzer:
    """The dictionary takes about 100 ms to load: load it once per process."""
    return Analyzer()
