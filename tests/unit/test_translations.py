"""Every user-facing string goes through Babel, and the shipped catalogs are complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.catalog import load_catalog
from kiosk.catalog.translate import content_strings, procedure_strings
from kiosk.i18n.locales import CONTENT_COVERAGE, CORE_PROCEDURES, LOCALES
from tests.conftest import ROOT

TRANSLATIONS = ROOT / "translations"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Locales whose interface translation must be complete. ja is the source language.
COMPLETE_LOCALES = [loc.code for loc in LOCALES if loc.code != "ja"]


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


def untranslated(locale: str, msgids) -> list[str]:
    messages = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog(locale) if m.id}
    missing = []
    for msgid in msgids:
        message = messages.get(msgid)
        strings = message.string if message and isinstance(message.string, tuple) else (
            [message.string] if message else [])
        if not message or not all(strings) or message.fuzzy:
            missing.append(msgid)
    return missing


@pytest.fixture(scope="module")
def content():
    return load_catalog(ROOT / "content")


def content_ids(content) -> set[str]:
    texts = set()
    for group in (content.procedures, content.categories, content.needs):
        for model in group.values():
            texts.update(text for _, text in content_strings(model))
    return texts


@pytest.mark.parametrize("locale", COMPLETE_LOCALES)
def test_every_interface_string_is_translated(locale, tmp_path, content):
    interface = extracted_ids(tmp_path) - content_ids(content)
    missing = untranslated(locale, sorted(interface))
    assert missing == [], f"{locale}: {len(missing)} untranslated, e.g. {missing[:5]}"


@pytest.mark.parametrize("locale", sorted(CONTENT_COVERAGE))
def test_required_procedures_are_translated(locale, content):
    """All 35 procedures in en, zh_Hans, ko and vi; the ten core ones (and every category and
    need, which the start screen and checklists show) everywhere else."""
    required = CONTENT_COVERAGE[locale] or tuple(content.procedures)
    texts = [text for pid in required for text in procedure_strings(content, pid)]
    for group in (content.categories, content.needs):
        texts += [text for model in group.values() for _, text in content_strings(model)]
    missing = untranslated(locale, dict.fromkeys(texts))
    assert missing == [], f"{locale}: {len(missing)} content strings untranslated, e.g. {missing[:3]}"


def test_coverage_names_the_core_procedures_and_every_locale(content):
    assert set(CORE_PROCEDURES) <= set(content.procedures) and len(CORE_PROCEDURES) == 10
    assert set(CONTENT_COVERAGE) == {loc.code for loc in LOCALES} - {"ja"}
    assert [code for code, scope in CONTENT_COVERAGE.items() if scope is None] == ["en", "zh_Hans", "ko", "vi"]


def test_content_strings_are_in_the_catalog_template(content):
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        pot = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(handle) if m.id}
    missing = content_ids(content) - set(pot)
    assert not missing, f"run `make messages`: {sorted(missing)[:5]}"
    # Translators see where a string comes from.
    assert any(c.startswith("content/procedures/residence-certificate.yaml: channels[0].title")
               for c in pot["コンビニのマルチコピー機でとる"].auto_comments)


def test_the_completeness_check_can_fail(content):
    assert untranslated("en", ["この文はどこにもない"]) == ["この文はどこにもない"]


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
