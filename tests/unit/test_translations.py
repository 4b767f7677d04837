"""Every user-facing string goes through Babel, and the shipped catalogs are complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.i18n import LOCALE_CODES
from tests.conftest import ROOT

TRANSLATIONS = ROOT / "translations"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Locales whose interface translation must be complete. ja is the source language.
COMPLETE_LOCALES = [code for code in LOCALE_CODES if code != "ja"]


def catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def extracted_ids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "fresh.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", "pyproject.toml", "--ignore-dirs=.* node_modules build",
                    "-k", "lazy_gettext", "-k", "_l", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_catalog_template_is_up_to_date(tmp_path):
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        committed = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    missing = extracted_ids(tmp_path) - committed
    assert not missing, f"run `make messages`: {sorted(missing)[:10]}"


@pytest.mark.parametrize("locale", COMPLETE_LOCALES)
def test_every_interface_string_is_translated(locale, tmp_path):
    messages = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog(locale) if m.id}
    untranslated = []
    for msgid in extracted_ids(tmp_path):
        message = messages.get(msgid)
        strings = message.string if message and isinstance(message.string, tuple) else (
            [message.string] if message else [])
        if not message or not all(strings) or message.fuzzy:
            untranslated.append(msgid)
    assert untranslated == [], f"{locale}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"


@pytest.mark.parametrize("locale", COMPLETE_LOCALES)
def test_translations_keep_placeholders(locale):
    for message in catalog(locale):
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            assert set(re.findall(r"%\(\w+\)s", source)) == set(re.findall(r"%\(\w+\)s", target)), source


def _strip_translated(text: str) -> str:
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # comments
    text = re.sub(r"\{%\s*trans.*?endtrans\s*%\}", "", text, flags=re.S)
    return re.sub(r"(?:_|gettext|ngettext)\(\s*(\"[^\"]*\"|'[^']*')(\s*,\s*(\"[^\"]*\"|'[^']*'))?", "", text)


def test_templates_have_no_japanese_outside_gettext():
    offenders = []
    for template in (ROOT / "kiosk" / "templates").rglob("*.html"):
        for number, line in enumerate(_strip_translated(template.read_text(encoding="utf-8")).splitlines(), 1):
            if JAPANESE.search(line):
                offenders.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()[:60]}")
    assert offenders == []


def test_the_template_check_can_fail():
    assert JAPANESE.search(_strip_translated('<p>{{ _("はい") }}</p><p>いいえ</p>'))
    assert not JAPANESE.search(_strip_translated('<p>{{ _("はい") }}</p>{# メモ #}'))
