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

from .loader import Catalog, ContentError, _load_list, _validate, format_loc, read_yaml
from .schema import Category, Need, Procedure, Strict


def content_strings(model: Strict, path: tuple = ()) -> Iterator[tuple[str, str]]:
    """``(key path, text)`` for every translatable string in ``model``, in file order."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in model.translatable:
            if value:
                yield format_loc(path + (name,)), value
        elif isinstance(value, Strict):
            yield from content_strings(value, path + (name,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Strict):
                    yield from content_strings(item, path + (name, index))


def _models_in(path: Path) -> list[tuple[tuple, Strict]]:
    if path.name in ("categories.yaml", "needs.yaml"):
        model, key = (Category, "categories") if path.name == "categories.yaml" else (Need, "needs")
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
        from ..labels import JAPANESE_ONLY

        return Markup('<span lang="ja">{}</span> <span class="k-ja-only">{}</span>').format(
            str(self), str(JAPANESE_ONLY))


def _localize(model: Strict, translate: Callable[[str], ContentText]) -> Strict:
    update = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in model.translatable:
            if value:
                update[name] = translate(value)
        elif isinstance(value, Strict):
            update[name] = _localize(value, translate)
        elif isinstance(value, list) and value and isinstance(value[0], Strict):
            update[name] = [_localize(item, translate) for item in value]
    return model.model_copy(update=update)


def localize_catalog(catalog: Catalog, gettext: Callable[[str], str], *, mark_fallback: bool) -> Catalog:
    """A copy of ``catalog`` in another language. ``mark_fallback`` is false for やさしい日本語,
    whose fallback (ordinary Japanese) is still Japanese to its reader."""

    def translate(text: str) -> ContentText:
        translated = gettext(text)
        missing = not translated or translated == text
        return ContentText(text if missing else translated, japanese_only=missing and mark_fallback)

    def each(models: dict) -> dict:
        return {key: _localize(model, translate) for key, model in models.items()}

    return dataclasses.replace(catalog, procedures=each(catalog.procedures),
                               categories=each(catalog.categories), needs=each(catalog.needs))


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


__all__ = ["ContentText", "content_strings", "extract_content", "localize_catalog", "procedure_strings"]
