"""Which of the shipped languages a resident typed in, whatever the screen shows.

The script decides where it can: hangul is Korean, Devanagari is Nepali (the one Devanagari
language we ship; lingua has no Nepali model), kana is Japanese. Han characters alone are
Japanese unless one of them exists only in simplified Chinese. Latin text is handed to lingua
(lingua-language-detector, offline models), restricted to the shipped languages written in Latin
letters. A text too short to tell (one word, a few letters) keeps the screen's language.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from kiosk.assistant.scripts import has_simplified_only, romaji_to_kana

_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_KANA = re.compile(r"[\u3041-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
# Vietnamese letters no other shipped language uses: enough on their own, even in one word.
# (â, ê and ô are Portuguese too: not in this list.)
_VIETNAMESE = re.compile(r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
# Fewer Latin letters than this and lingua's guess is a coin toss: the screen's language stays.
MIN_LATIN_LETTERS = 8
MIN_CONFIDENCE = 0.5
# Another language than the screen's must be this sure: a Portuguese sentence read as Tagalog,
# or romanised Nepali read as English, would offer the wrong language to a resident who reads
# the screen already.
OTHER_LATIN_CONFIDENCE = 0.9
# Text that reads as romaji on a Japanese screen is Japanese unless lingua is nearly sure.
ROMAJI_CONFIDENCE = 0.995

_LINGUA_TO_LOCALE = {"ENGLISH": "en", "VIETNAMESE": "vi", "TAGALOG": "tl", "PORTUGUESE": "pt_BR"}
LATIN_LOCALES = tuple(_LINGUA_TO_LOCALE.values())
# Residents type these languages in Latin letters too (Nepali romanised, Vietnamese without its
# marks): a Latin text is also searched in their words, a little below the detected language's.
LATIN_TYPED_LOCALES = (*LATIN_LOCALES, "ne")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _LINGUA_TO_LOCALE]
    # Low-accuracy mode (trigram models only): 25 MB instead of 115 MB and loaded in well under a
    # second; on the query sets it tells the four Latin-script languages apart as well.
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _base(locale_code: str) -> str:
    return "ja" if locale_code.startswith("ja") else locale_code


def detect_language(text: str, screen_locale: str) -> str:
    """The locale code of the language ``text`` is written in; the screen's when unsure.
    やさしい日本語 and 日本語 count as the same language (the screen's is kept)."""
    if _HANGUL.search(text):
        return "ko"
    if _DEVANAGARI.search(text):
        return "ne"
    if _KANA.search(text):
        return screen_locale if _base(screen_locale) == "ja" else "ja"
    if _HAN.search(text):
        if has_simplified_only(text) or screen_locale == "zh_Hans":
            return "zh_Hans"
        return screen_locale if _base(screen_locale) == "ja" else "ja"
    if _VIETNAMESE.search(text):
        return "vi"
    if len(_LATIN_LETTER.findall(text)) < MIN_LATIN_LETTERS:
        return screen_locale
    with _lock:  # lingua's detector is shared by waitress's threads
        values = _detector().compute_language_confidence_values(text)
    best = values[0] if values else None
    if best is None or best.value < MIN_CONFIDENCE:
        return screen_locale
    if _base(screen_locale) == "ja" and best.value < ROMAJI_CONFIDENCE and romaji_to_kana(text):
        return screen_locale
    if best.value < OTHER_LATIN_CONFIDENCE:
        return screen_locale
    return _LINGUA_TO_LOCALE[best.language.name]


def preload() -> None:
    """Load lingua's models (about a second) before the first resident waits for them."""
    detect_language("preloading the language models", "ja")
