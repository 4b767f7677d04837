"""Content through the same Babel workflow as the interface.

``make messages`` runs :func:`extract_content` over ``content/`` (see ``[[tool.babel.mappings]]``
in pyproject.toml), so procedure titles, questions, steps, needs and notes land in
``translations/messages.pot`` beside the interface strings, each with its file and key path as a
translator comment. At run time :func:`localize_catalog` swaps every translatable field for its
translation; a field without one keeps the Japanese, wrapped so that pages mark it 「日本語のみ」
with ``lang="ja"``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

from markupsafe import Markup, escape

from kiosk.catalog.loader import Catalog, ContentError, _load_list, _validate, format_loc, read_yaml
from kiosk.catalog.schema import Category, LifeEvent, Need, OtherAuthority, Procedure, Strict

# The words residents use for a procedure, life event or other authority in each language are
# one catalog entry per item: msgctxt "search-words", msgid its Japanese title, msgstr the words
# separated by "|" (synonyms, colloquial phrasings, romanisations). Keyed by the title, not by
# the keyword list, so that adding a Japanese keyword does not make every language's words stale.
SEARCH_WORDS_CONTEXT = "search-words"
SEARCH_WORDS_SEPARATOR = "|"
_LISTS = {"categories.yaml": (Category, "categories"), "needs.yaml": (Need, "needs"),
          "life_events.yaml": (LifeEvent, "life_events"),
          "other_authorities.yaml": (OtherAuthority, "other_authorities")}


def map_content(model: Strict, change: Callable[[tuple, str], str], path: tuple = ()) -> Strict:
    """A copy of ``model`` with ``change(key path, text)`` applied to every translatable string,
    visited in file order."""
    update = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in model.translatable:
            if value:
                update[name] = change(path + (name,), value)
        elif isinstance(value, Strict):
            update[name] = map_content(value, change, path + (name,))
        elif isinstance(value, list) and value and isinstance(value[0], Strict):
            update[name] = [map_content(item, change, path + (name, index)) for index, item in enumerate(value)]
    return model.model_copy(update=update)


def content_strings(model: Strict, path: tuple = ()) -> list[tuple[str, str]]:
    """``(key path, text)`` for every translatable string in ``model``, in file order."""
    found: list[tuple[str, str]] = []

    def collect(key_path: tuple, text: str) -> str:
        found.append((format_loc(key_path), text))
        return text

    map_content(model, collect, path)
    return found


def _models_in(path: Path) -> list[tuple[tuple, Strict]]:
    if path.name in _LISTS:
        model, key = _LISTS[path.name]
        items, problems = _load_list(path, model, key)
        if problems:
            raise ContentError(problems)
        return [((key, index), item) for index, item in enumerate(items.values())]
    data, problems = read_yaml(path)
    if not problems:
        proc, problems = _validate(Procedure, data, str(path))
    if problems:
        raise ContentError(problems)
    return [((), proc)]


def extract_content(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extraction method for content YAML files. Invalid content stops the extraction
    with the same ``file: key.path: message`` report as ``kiosk content check``."""
    path = Path(fileobj.name)
    display = path.as_posix().split("content/", 1)[-1]
    for base, model in _models_in(path):
        for key_path, text in content_strings(model, base):
            yield 0, None, text, [f"content/{display}: {key_path}"]
        if hasattr(model, "keywords"):
            where = format_loc(base + ("keywords",)) if base else "keywords"
            yield 0, "pgettext", (SEARCH_WORDS_CONTEXT, model.title), [
                f"content/{display}: {where}: words residents use, separated by {SEARCH_WORDS_SEPARATOR} "
                f"(Japanese: {' | '.join(model.keywords)})"]


def search_words(translations, title: str) -> list[str]:
    """The words a language's translators gave for the item titled ``title`` (none: [])."""
    words = translations.pgettext(SEARCH_WORDS_CONTEXT, title)
    if words == title:
        return []
    return [w.strip() for w in words.split(SEARCH_WORDS_SEPARATOR) if w.strip()]


class ContentText(str):
    """A content string as shown to one reader: the translation, or the Japanese original
    when there is none (``japanese_only``). In a template it renders with ``lang="ja"`` and a
    visible 「日本語のみ」 tag; anywhere else it is the plain string."""

    __slots__ = ("japanese_only",)

    def __new__(cls, text: str, japanese_only: bool = False):
        self = super().__new__(cls, text)
        self.japanese_only = japanese_only
        return self

    def __html__(self) -> Markup:
        if not self.japanese_only:
            return escape(str(self))
        from kiosk.i18n.labels import JAPANESE_ONLY

        return Markup('<span lang="ja">{}</span> <span class="k-ja-only">{}</span>').format(
            str(self), str(JAPANESE_ONLY))


def translation_of(translations, text: str, *, same_text_counts: bool) -> str | None:
    """The translation of ``text`` in ``translations`` (a babel.support.Translations), or None.
    A translation equal to the Japanese counts only where ``same_text_counts``: やさしい日本語 may
    keep a sentence that is already easy; elsewhere it means nobody translated it."""
    translated = translations.gettext(text)
    if translated != text:
        return translated
    return text if same_text_counts and translations._catalog.get(text) else None


def localize_catalog(catalog: Catalog, translations, *, easy_japanese: bool) -> Catalog:
    """A copy of ``catalog`` in another language. For やさしい日本語 the fallback (ordinary
    Japanese) is still Japanese to its reader, so it is not marked 「日本語のみ」."""

    def translate(_key_path: tuple, text: str) -> ContentText:
        translated = translation_of(translations, text, same_text_counts=easy_japanese)
        return ContentText(translated or text, japanese_only=translated is None and not easy_japanese)

    def each(models: dict) -> dict:
        return {key: map_content(model, translate) for key, model in models.items()}

    return dataclasses.replace(catalog, procedures=each(catalog.procedures),
                               categories=each(catalog.categories), needs=each(catalog.needs),
                               life_events=each(catalog.life_events),
                               other_authorities=each(catalog.other_authorities))


def procedure_strings(catalog: Catalog, procedure_id: str) -> list[str]:
    """Every string a resident sees for one procedure, its needs included (for the
    translation-completeness test and ``kiosk content translations``)."""
    proc = catalog.procedures[procedure_id]
    texts = [text for _, text in content_strings(proc)]
    for channel in proc.channels:
        texts += [text for need_id in channel.needs if need_id in catalog.needs
                  for _, text in content_strings(catalog.needs[need_id])]
    category = catalog.categories.get(proc.category)
    if category:
        texts += [text for _, text in content_strings(category)]
    return list(dict.fromkeys(texts))


__all__ = ["SEARCH_WORDS_CONTEXT", "ContentText", "content_strings", "extract_content", "localize_catalog",
           "map_content", "procedure_strings", "search_words", "translation_of"]
