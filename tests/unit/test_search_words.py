"""The words residents use, per language, come through the catalogs like the rest of the content."""

from __future__ import annotations

import pytest

from kiosk.catalog.loader import load_catalog
from kiosk.catalog.translate import search_words
from kiosk.i18n.locales import LOCALES, translations_for
from tests.conftest import CONTENT, ROOT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


@pytest.mark.parametrize("locale", [loc.code for loc in LOCALES if loc.code != "ja"])
def test_every_item_has_words_in_every_shipped_language(catalog, locale):
    translations = translations_for(locale, str(ROOT / "translations"))
    items = [*catalog.procedures.values(), *catalog.life_events.values(), *catalog.other_authorities.values()]
    missing = [item.id for item in items if not search_words(translations, item.title)]
    assert missing == [], f"{locale}: no search words for {missing[:5]}"


def test_words_are_split_on_the_separator(catalog):
    words = search_words(translations_for("ko", str(ROOT / "translations")), "住民票の写しの交付")
    assert "주민표" in words and all(w == w.strip() and w for w in words)
