"""The glossary in docs/ is what the catalogs use: a synonym creeping in fails here."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT

CHECKED_TERMS = ("マイナンバーカード", "マイナポータル")


def glossary() -> dict[str, dict[str, str]]:
    lines = [line for line in (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8").splitlines()
             if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    table = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        # The term itself, without the explanation some cells add in parentheses.
        table[cells[0]] = {loc: re.split(r"\s*[（(]", cell)[0] for loc, cell in zip(header[1:], cells[1:], strict=True)}
    return table


def test_glossary_covers_every_locale_and_the_core_terms():
    table = glossary()
    assert set(CHECKED_TERMS) <= set(table)
    assert set(table["マイナンバーカード"]) == {"en", "zh_Hans", "ko", "vi", "ne", "tl", "pt_BR", "ja@easy"}
    assert table["マイナンバーカード"]["en"] == "My Number Card" and table["マイナポータル"]["en"] == "Mynaportal"


@pytest.mark.parametrize("locale", ["en", "zh_Hans", "ko", "vi", "ne", "tl", "pt_BR"])
def test_translations_use_the_glossary_terms(locale):
    table = glossary()
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=locale)
    drifted = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        if message.context == "search-words":
            # Not a translation but the words residents type, official term or not: the title
            # itself, translated with the glossary's term, is searched beside them.
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        target = message.string if isinstance(message.string, str) else message.string[0]
        for term in CHECKED_TERMS:
            if term in source and table[term][locale].casefold() not in target.casefold():
                drifted.append(f"{source[:30]} → {target[:60]}")
    assert drifted == [], f"{locale} strays from docs/glossary.md: {drifted[:3]}"
