"""Babel in one place: the shipped locales, locale selection, and the catalogs' location.

Locale order: an explicit ``?lang=`` choice (remembered in the session) → the session →
the browser's Accept-Language → the default (ja). Kiosk browsers should be set to Japanese.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale
from flask import Flask, request, session
from flask_babel import Babel, get_locale

DEFAULT_LOCALE = "ja"


@dataclass(frozen=True)
class ShippedLocale:
    code: str  # Babel's name, as in translations/<code>/
    tag: str  # BCP 47 tag for lang and hreflang attributes
    native_name: str  # the language named in itself; never translated
    speech_tag: str  # the voice language asked of the browser's speech synthesis
    complete: bool = True  # every interface string translated (tests/unit/test_translations.py)

    @property
    def japanese(self) -> bool:
        """Japanese text: furigana applies and speech is synthesised on the server."""
        return self.tag == "ja"


# やさしい日本語 is Japanese with Babel's modifier ("ja@easy"): Japanese dates and numbers, its
# own catalog, and gettext falls back to the ja catalog for anything it does not rewrite.
EASY_JAPANESE = "ja@easy"
LOCALES: tuple[ShippedLocale, ...] = (
    ShippedLocale("ja", "ja", "日本語", "ja-JP"),
    ShippedLocale(EASY_JAPANESE, "ja", "やさしい にほんご", "ja-JP"),
    ShippedLocale("en", "en", "English", "en-US"),
    ShippedLocale("zh_Hans", "zh-Hans", "简体中文", "zh-CN"),
    ShippedLocale("ko", "ko", "한국어", "ko-KR"),
    ShippedLocale("vi", "vi", "Tiếng Việt", "vi-VN"),
    ShippedLocale("ne", "ne", "नेपाली", "ne-NP"),
    ShippedLocale("tl", "tl", "Tagalog", "fil-PH"),
    ShippedLocale("pt_BR", "pt-BR", "Português (Brasil)", "pt-BR"),
)
LOCALE_CODES = tuple(loc.code for loc in LOCALES)
# Beside 「ことば」 on every kiosk screen, like the native names: a resident who reads neither the
# current language nor Japanese still finds the language menu. Deliberately never translated.
LANGUAGE_SIGNPOST = "Language"
# Accept-Language is matched on BCP 47 tags; やさしい日本語 is only ever chosen on purpose.
_BY_TAG = {loc.tag: loc.code for loc in LOCALES if loc.code != EASY_JAPANESE}

# Procedures translated into every locale (the others are complete in en, zh_Hans, ko and vi).
CORE_PROCEDURES = (
    "residence-certificate", "moving-in", "moving-out", "mynumber-card-application",
    "mynumber-card-pin-reset", "health-insurance-join", "child-allowance", "nursery-enrollment",
    "bulky-waste", "tax-certificate",
)
# Locale → the procedures whose content must be fully translated there (None: all of them).
CONTENT_COVERAGE: dict[str, tuple[str, ...] | None] = {
    "en": None, "zh_Hans": None, "ko": None, "vi": None,
    "ne": CORE_PROCEDURES, "tl": CORE_PROCEDURES, "pt_BR": CORE_PROCEDURES, EASY_JAPANESE: CORE_PROCEDURES,
}


def select_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LOCALE_CODES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in LOCALE_CODES:
        return session["lang"]
    best = request.accept_languages.best_match(tuple(_BY_TAG))
    return _BY_TAG.get(best, DEFAULT_LOCALE)


def shipped_locale(code: str) -> ShippedLocale:
    return next((loc for loc in LOCALES if loc.code == code), LOCALES[0])


def current_locale() -> ShippedLocale:
    return shipped_locale(str(get_locale() or DEFAULT_LOCALE))


def text_direction(code: str) -> str:
    return Locale.parse(code).text_direction


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=select_locale,
        default_locale=app.config["DEFAULT_LOCALE"],
        # Absolute: a relative directory would resolve inside the package.
        default_translation_directories=app.config["TRANSLATIONS_DIR"],
    )

    app.jinja_env.globals["page_locale"] = current_locale  # for macros imported without context

    @app.context_processor
    def locale_context() -> dict:
        loc = current_locale()
        return {"current_locale": loc, "locales": LOCALES, "text_dir": text_direction(loc.code),
                "language_signpost": LANGUAGE_SIGNPOST}
