"""The query sets that measure the assistant (tests/queries/, scored by bench/assistant_quality.py)
parse, are as large as the issue asks, and name only procedures, life events and other authorities
that exist: an unknown id could never be answered right and would drag a score down silently.
No score threshold here: the benchmark reports the figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.catalog.loader import load_catalog
from kiosk.i18n.locales import LOCALE_CODES
from tests.queries.sets import (
    EVENT,
    LANGUAGE_SETS,
    MINIMUM_SIZE,
    NEIGHBOUR,
    OUT_OF_SCOPE,
    OUT_OF_SCOPE_SET,
    QuerySetError,
    answer_kind,
    load_sets,
    read_set,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="module")
def sets():
    return load_sets(screens=LOCALE_CODES)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


def test_every_language_and_the_out_of_scope_set_is_there(sets):
    assert set(sets) == {*LANGUAGE_SETS, OUT_OF_SCOPE_SET}


@pytest.mark.parametrize("name", [*LANGUAGE_SETS, OUT_OF_SCOPE_SET])
def test_each_set_has_its_minimum_size(sets, name):
    assert len(sets[name]) >= MINIMUM_SIZE[name], f"{name}.tsv has {len(sets[name])} queries"


@pytest.fixture(scope="module")
def holdout():
    """Queries kept from the engine's authors while they tuned (tests/queries/holdout/): the
    check of how much the thresholds fit the main sets."""
    return load_sets(Path(__file__).resolve().parents[1] / "queries" / "holdout", screens=LOCALE_CODES)


def test_the_held_out_sets_parse_and_cover_every_language(holdout):
    assert set(holdout) == {*LANGUAGE_SETS, OUT_OF_SCOPE_SET} and all(holdout.values())


@pytest.mark.parametrize("which", ["sets", "holdout"])
def test_every_expected_answer_exists_in_the_content(request, which, catalog):
    sets = request.getfixturevalue(which)
    known = {"procedure": set(catalog.procedures), "event": set(catalog.life_events),
             "neighbour": set(catalog.other_authorities)}
    unknown = []
    for query in (q for group in sets.values() for q in group):
        for answer in query.acceptable:
            kind = answer_kind(answer)
            name = answer.removeprefix(EVENT).removeprefix(NEIGHBOUR)
            if kind != "out-of-scope" and name not in known[kind]:
                unknown.append(f"{query.where}: {answer}")
    assert not unknown, "answers the content does not have:\n" + "\n".join(unknown)


def test_the_language_sets_expect_the_wards_own_answers(sets):
    """Out-of-scope and other authorities' questions live in out_of_scope.tsv, and only there."""
    misplaced = [q.where for name in LANGUAGE_SETS for q in sets[name] if q.outside]
    assert not misplaced
    assert all(q.outside for q in sets[OUT_OF_SCOPE_SET])
    assert any(q.expected == OUT_OF_SCOPE for q in sets[OUT_OF_SCOPE_SET])
    assert {q.expected for q in sets[OUT_OF_SCOPE_SET] if q.kind == "neighbour"} >= {
        f"{NEIGHBOUR}passport", f"{NEIGHBOUR}driving-licence", f"{NEIGHBOUR}pension-payments"}


def test_every_procedure_is_asked_for_in_every_language(sets, catalog):
    missing = [f"{name}: {pid}" for name in LANGUAGE_SETS for pid in catalog.procedures
               if not any(pid in q.acceptable for q in sets[name])]
    assert not missing


def test_some_queries_are_typed_on_another_screen(sets):
    """Residents type their own language on the Japanese screen; the sets measure that too."""
    for name in LANGUAGE_SETS:
        if name != "ja":
            assert any(q.screen == "ja" for q in sets[name]), name
    assert any(q.screen == "ja@easy" for q in sets["ja"])


@pytest.mark.parametrize("content, message", [
    ("query\texpected\n", "line 1: the header must be"),
    ("query\texpected\talso\tscreen\ttag\n住民票\tresidence-certificate\n", "line 2: 2 tab-separated cells"),
    ("query\texpected\talso\tscreen\ttag\n\tresidence-certificate\t\t\t\n", "line 2: the query and the expected"),
    ("query\texpected\talso\tscreen\ttag\n住民票\tresidence-certificate\t\tklingon\t\n", "line 2: unknown screen"),
    ("# a comment\nquery\texpected\talso\tscreen\ttag\n住民票\tresidence-certificate\t\t\t\n"
     "住民票\tresidence-certificate\t\t\t\n", "line 4: the same query on the same screen as line 3"),
    ("# only a comment\n", "no header line"),
])
def test_a_bad_line_is_named_by_file_and_line(tmp_path, content, message):
    path = tmp_path / "ja.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(QuerySetError, match=message) as raised:
        read_set(path, LOCALE_CODES)
    assert str(raised.value).startswith("ja.tsv")


def test_the_out_of_scope_set_names_every_screen(tmp_path):
    path = tmp_path / f"{OUT_OF_SCOPE_SET}.tsv"
    path.write_text("query\texpected\talso\tscreen\ttag\n今日の天気\tout-of-scope\t\t\t\n", encoding="utf-8")
    with pytest.raises(QuerySetError, match="screen column is required"):
        read_set(path, LOCALE_CODES)


def test_a_line_reads_into_its_fields(tmp_path):
    path = tmp_path / "ko.tsv"
    path.write_text("# comment\nquery\texpected\talso\tscreen\ttag\n\n"
                    "아버지가 돌아가셨어요\tevent:death-in-family\tdeath-registration\tja\tforeign\n"
                    "주민표\tresidence-certificate\t\t\tname\n", encoding="utf-8")
    on_japanese, own = read_set(path, LOCALE_CODES)
    assert (on_japanese.line, on_japanese.screen, on_japanese.kind) == (4, "ja", "event")
    assert on_japanese.acceptable == ("event:death-in-family", "death-registration")
    assert on_japanese.where == f"{path}:4"
    assert (own.screen, own.acceptable, own.tag, own.outside) == ("ko", ("residence-certificate",), "name", False)
