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


LOCALES: tuple[ShippedLocale, ...] = (
    ShippedLocale("ja", "ja", "日本語"),
    ShippedLocale("en", "en", "English"),
)
LOCALE_CODES = tuple(loc.code for loc in LOCALES)


def select_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LOCALE_CODES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in LOCALE_CODES:
        return session["lang"]
    return request.accept_languages.best_match(LOCALE_CODES) or DEFAULT_LOCALE


def current_locale() -> ShippedLocale:
    code = str(get_locale() or DEFAULT_LOCALE)
    return next((loc for loc in LOCALES if loc.code == code), LOCALES[0])


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

    @app.context_processor
    def locale_context() -> dict:
        loc = current_locale()
        return {"current_locale": loc, "locales": LOCALES, "text_dir": text_direction(loc.code)}
