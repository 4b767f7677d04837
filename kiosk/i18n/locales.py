"""Babel in one place: the shipped locales, locale selection, and the catalogs' location.

Locale order: an explicit ``?lang=`` choice (remembered in the session) → the session →
the browser's Accept-Language → the default (ja). Kiosk browsers should be set to Japanese.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from babel import Locale, support
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, Domain, force_locale, get_locale

DEFAULT_LOCALE = "ja"


@dataclass(frozen=True)
class ShippedLocale:
    code: str  # Babel's name, as in translations/<code>/
    tag: str  # BCP 47 tag for lang and hreflang attributes
    native_name: str  # the language named in itself; never translated
    speech_tag: str  # the voice language asked of the browser's speech synthesis

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
# Accept-Language is matched on BCP 47 tags, then on the primary language (zh-CN → 简体中文,
# pt-PT → Português (Brasil), fil-PH → Tagalog); やさしい日本語 is only ever chosen on purpose.
_BY_TAG = {loc.tag.lower(): loc.code for loc in LOCALES if loc.code != EASY_JAPANESE}
_BY_PRIMARY = {tag.split("-")[0]: code for tag, code in _BY_TAG.items()} | {"fil": "tl"}

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


def _choose_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LOCALE_CODES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in LOCALE_CODES:
        return session["lang"]
    for value, _quality in request.accept_languages:  # best first
        tag = value.lower().replace("_", "-")
        code = _BY_TAG.get(tag) or _BY_PRIMARY.get(tag.split("-")[0])
        if code:
            return code
    return DEFAULT_LOCALE


def select_locale() -> str:
    """Flask-Babel's locale selector. The shipped code is kept on ``g``: Babel turns "tl" into
    Filipino ("fil_PH"), which is right for dates and numbers but names no catalog folder."""
    g.locale_code = _choose_locale()
    return g.locale_code


def shipped_locale(code: str) -> ShippedLocale:
    return next((loc for loc in LOCALES if loc.code == code), LOCALES[0])


def current_locale() -> ShippedLocale:
    if not has_request_context():
        return shipped_locale(DEFAULT_LOCALE)
    if "locale_code" not in g:
        get_locale()  # runs select_locale once per request
    return shipped_locale(g.get("locale_code", DEFAULT_LOCALE))


@contextmanager
def using_locale(code: str) -> Iterator[None]:
    """Render in another shipped locale for a moment (a handoff sheet in the resident's language)."""
    previous = g.get("locale_code")
    g.locale_code = code
    try:
        with force_locale(code):
            yield
    finally:
        if previous is None:
            g.pop("locale_code", None)
        else:
            g.locale_code = previous


def translations_for(code: str, directory: str | None = None) -> support.Translations:
    """The compiled catalog of a shipped locale, found by its code rather than Babel's name for
    it ("tl" would become "fil_PH"; "ja@easy" keeps its modifier, and gettext falls back to ja)."""
    return support.Translations.load(directory or current_app.config["TRANSLATIONS_DIR"], [code])


class CatalogsByLocaleCode(Domain):
    """Flask-Babel's translations for the interface, loaded with :func:`translations_for`."""

    def get_translations(self):
        if not has_request_context():
            return super().get_translations()
        code = current_locale().code
        cache = self.get_translations_cache(None)
        key = (code, self.domain[0])
        if key not in cache:
            translations = support.Translations()
            for dirname in self.translation_directories:
                catalog = translations_for(code, dirname)
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            cache[key] = translations
        return cache[key]


def text_direction(code: str) -> str:
    return Locale.parse(code).text_direction


def init_app(app: Flask) -> None:
    babel = Babel(
        app,
        locale_selector=select_locale,
        default_locale=app.config["DEFAULT_LOCALE"],
        # Absolute: a relative directory would resolve inside the package.
        default_translation_directories=app.config["TRANSLATIONS_DIR"],
    )
    babel.__dict__["domain_instance"] = CatalogsByLocaleCode()  # replaces Flask-Babel's cached default

    app.jinja_env.globals["page_locale"] = current_locale  # for macros imported without context

    @app.context_processor
    def locale_context() -> dict:
        loc = current_locale()
        return {"current_locale": loc, "locales": LOCALES, "text_dir": text_direction(loc.code),
                "language_signpost": LANGUAGE_SIGNPOST}
