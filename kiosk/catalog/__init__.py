"""The procedure catalog: loaded once, cached on the app, replaced whole on reload.

A reload is asked for by ``kiosk content reload`` (from any process: it bumps a generation
number in the database that the server checks every few seconds), by SIGHUP to ``kiosk serve``,
or by calling :func:`reload_catalog`. A reload that finds problems keeps the old content.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import click
from flask import Flask, current_app, has_request_context

from kiosk.assistant.search import SearchIndex, build_index
from kiosk.catalog.loader import Catalog, ContentError, load_catalog
from kiosk.catalog.translate import localize_catalog
from kiosk.db import connect, get_db, get_setting, set_setting

__all__ = ["Catalog", "ContentError", "base_catalog", "get_catalog", "get_search_index", "get_translated_index",
           "init_app", "load_catalog", "localized_catalog", "reload_catalog"]

log = logging.getLogger(__name__)
GENERATION_SETTING = "content_generation"
LEDGER_GENERATION_SETTING = "ledger_generation"
_UNCHECKED = object()


class CatalogHolder:
    def __init__(self, catalog: Catalog | None, error: ContentError | None = None):
        self.catalog = catalog
        self.error = error
        self.index: SearchIndex | None = None
        self.localized: dict[str, Catalog] = {}  # locale code → the catalog in that language
        self.translated_indexes: dict[str, tuple[object, object]] = {}  # locale → (loaded_at, index)
        self.generations: dict[str, object] = {GENERATION_SETTING: _UNCHECKED,
                                               LEDGER_GENERATION_SETTING: _UNCHECKED}
        self.checked_at = 0.0
        self.lock = threading.Lock()


def _holder(app: Flask | None = None) -> CatalogHolder:
    return (app or current_app).extensions["kiosk_catalog"]


def base_catalog() -> Catalog:
    """The content as written (Japanese): what search, validation and statistics work on."""
    holder = _holder()
    if holder.catalog is None:
        raise holder.error or ContentError([])
    return holder.catalog


def localized_catalog(locale_code: str) -> Catalog:
    """The content in ``locale_code``, built once per content load and locale."""
    from kiosk.i18n.locales import DEFAULT_LOCALE, EASY_JAPANESE, translations_for

    base = base_catalog()
    if locale_code == DEFAULT_LOCALE:
        return base
    holder = _holder()
    catalog = holder.localized.get(locale_code)
    if catalog is None or catalog.loaded_at != base.loaded_at:
        catalog = localize_catalog(base, translations_for(locale_code), easy_japanese=locale_code == EASY_JAPANESE)
        holder.localized[locale_code] = catalog
    return catalog


def get_translated_index(locale_code: str):
    """The search over the content in ``locale_code`` (see assistant/translated_search.py)."""
    from kiosk.assistant.translated_search import TranslatedIndex

    catalog = localized_catalog(locale_code)
    holder = _holder()
    built = holder.translated_indexes.get(locale_code)
    if built is None or built[0] != catalog.loaded_at:
        built = (catalog.loaded_at, TranslatedIndex(catalog.procedures.values(), catalog.life_events.values(),
                                                    catalog.other_authorities.values(),
                                                    _search_words(base_catalog(), locale_code)))
        holder.translated_indexes[locale_code] = built
    return built[1]


def _search_words(catalog: Catalog, locale_code: str) -> dict[str, list[str]]:
    """``kind:id`` → the words residents use in ``locale_code`` (the catalogs' search-words)."""
    from kiosk.catalog.translate import search_words
    from kiosk.i18n.locales import translations_for

    translations = translations_for(locale_code)
    groups = (("procedure", catalog.procedures), ("event", catalog.life_events),
              ("elsewhere", catalog.other_authorities))
    return {f"{kind}:{item.id}": search_words(translations, item.title)
            for kind, items in groups for item in items.values()}


def get_catalog() -> Catalog:
    """The content in the current request's language (as written outside a request)."""
    if not has_request_context():
        return base_catalog()
    from kiosk.i18n.locales import current_locale

    return localized_catalog(current_locale().code)


def _build_index(app: Flask, catalog: Catalog) -> SearchIndex:
    """The procedures, life events and other authorities in memory; the ledger searched in the
    database (kiosk/catalog/ledger_index.py), so that neither start-up nor memory grows with it."""
    from kiosk.catalog.ledger_index import LedgerSearch, ensure_current

    ensure_current(app.config["DATABASE"])  # a restored or upgraded database: once
    return build_index(catalog.procedures.values(), events=catalog.life_events.values(),
                       authorities=catalog.other_authorities.values(), ledger=LedgerSearch(app.config["DATABASE"]))


def get_search_index() -> SearchIndex:
    """The search over procedures and ledger entries, built once per content or ledger change."""
    holder = _holder()
    if holder.index is None:
        with holder.lock:
            if holder.index is None:
                holder.index = _build_index(current_app._get_current_object(), base_catalog())
    return holder.index


def _use_readings(catalog: Catalog) -> None:
    """Furigana take the readings the content gives for titles over the dictionary's guess."""
    from kiosk.reading_aids.furigana import use_known_readings

    readings = {p.title: p.reading for p in catalog.procedures.values()}
    readings.update({c.title: c.reading for c in catalog.categories.values()})
    use_known_readings(readings)


def reload_catalog(app: Flask) -> Catalog:
    """Load the content again; on problems keep serving the old content and re-raise."""
    holder = _holder(app)
    catalog = load_catalog(app.config["CONTENT_DIR"])
    index = _build_index(app, catalog)
    with holder.lock:
        holder.catalog, holder.error, holder.index = catalog, None, index
    _use_readings(catalog)
    log.info("content reloaded: %s", catalog.fingerprint)
    return catalog


def _check_generations(app: Flask) -> None:
    """Called before requests: pick up a content reload or a ledger import done by another
    process (``kiosk content reload``, ``kiosk ledger import``)."""
    holder = _holder(app)
    now = time.monotonic()
    if now - holder.checked_at < app.config["CONTENT_RELOAD_CHECK_SECONDS"]:
        return
    holder.checked_at = now
    changed = []
    for name in (GENERATION_SETTING, LEDGER_GENERATION_SETTING):
        value = get_setting(get_db(), name)
        if value != holder.generations[name]:
            # The first look only records: the app loaded everything at start-up.
            if holder.generations[name] is not _UNCHECKED:
                changed.append(name)
            holder.generations[name] = value
    if GENERATION_SETTING in changed or (changed and holder.catalog is None):
        try:
            reload_catalog(app)
        except ContentError as exc:
            log.error("content reload refused, still serving the previous content:\n%s", exc)
    elif changed:
        index = _build_index(app, holder.catalog)
        with holder.lock:
            holder.index = index
        log.info("search index rebuilt after a ledger import")


def init_app(app: Flask, *, strict: bool = True) -> None:
    """Load the content. With ``strict`` (serving) invalid content stops the app from starting;
    the CLI loads leniently so that ``kiosk content check`` can report the problems."""
    try:
        holder = CatalogHolder(load_catalog(app.config["CONTENT_DIR"]))
    except ContentError as exc:
        if strict:
            raise
        holder = CatalogHolder(None, exc)
    if strict:
        # At start-up, not on the first request; what the index was built from is remembered
        # so that a ledger import or content reload after this moment is picked up.
        db = connect(app.config["DATABASE"])
        try:
            holder.generations = {name: get_setting(db, name) for name in holder.generations}
        finally:
            db.conn.close()
        holder.index = _build_index(app, holder.catalog)
        _use_readings(holder.catalog)
    app.extensions["kiosk_catalog"] = holder
    app.before_request(lambda: _check_generations(app))
    app.cli.add_command(content_cli)


@click.group("content", help="Procedure content: check and reload.")
def content_cli() -> None:
    pass


@content_cli.command("check", help="Validate every content file; exit 1 listing each problem.")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def check_command(directory: str | None) -> None:
    directory = directory or current_app.config["CONTENT_DIR"]
    try:
        catalog = load_catalog(directory)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s) found.", err=True)
        raise SystemExit(1) from None
    click.echo(f"OK: {len(catalog.procedures)} procedures, {len(catalog.categories)} categories, "
               f"{len(catalog.needs)} needs in {directory}")


@content_cli.command("translations", help="How much of the content each language has; with --lang, which "
                                          "strings of which procedures are still only in Japanese.")
@click.option("--lang", "locale_code", default=None, help="List the untranslated strings of one locale.")
def translations_command(locale_code: str | None) -> None:
    from kiosk.catalog.translate import procedure_strings, translation_of
    from kiosk.i18n.locales import CONTENT_COVERAGE, EASY_JAPANESE, LOCALES, translations_for

    catalog = base_catalog()
    codes = [loc.code for loc in LOCALES if loc.code != "ja"]
    if locale_code is not None and locale_code not in codes:
        raise click.BadParameter(f"one of {', '.join(codes)}", param_hint="--lang")
    incomplete_required = False
    for code in [locale_code] if locale_code else codes:
        translations = translations_for(code)
        required = CONTENT_COVERAGE.get(code) or tuple(catalog.procedures)
        done = 0
        missing_by_procedure = {}
        for pid in catalog.procedures:
            texts = procedure_strings(catalog, pid)
            missing = [text for text in texts
                       if translation_of(translations, text, same_text_counts=code == EASY_JAPANESE) is None]
            done += not missing
            if missing:
                missing_by_procedure[pid] = missing
        gaps = [pid for pid in required if pid in missing_by_procedure]
        incomplete_required |= bool(gaps)
        click.echo(f"{code}: {done}/{len(catalog.procedures)} procedures fully translated; "
                   f"required: {len(required) - len(gaps)}/{len(required)}")
        if locale_code:
            for pid, missing in missing_by_procedure.items():
                click.echo(f"  {pid}{' (required)' if pid in required else ''}: {len(missing)} untranslated")
                for text in missing:
                    click.echo(f"    {text}")
    raise SystemExit(1 if incomplete_required else 0)


@content_cli.command("reload", help="Check the content, then tell running servers to reload it.")
def reload_command() -> None:
    try:
        catalog = load_catalog(current_app.config["CONTENT_DIR"])
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo("Not reloaded: the running server keeps the previous content.", err=True)
        raise SystemExit(1) from None
    set_setting(connect(current_app.config["DATABASE"]), GENERATION_SETTING, uuid.uuid4().hex)
    click.echo(f"Reload requested: {len(catalog.procedures)} procedures. "
               f"Running servers pick it up within {current_app.config['CONTENT_RELOAD_CHECK_SECONDS']:g} s.")
