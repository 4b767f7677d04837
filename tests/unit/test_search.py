"""Understanding free text: normalisation and ranking on a query set these tests own."""

from __future__ import annotations

import io

import pytest

from kiosk.assistant.search import MAX_CANDIDATES, build_index, candidates
from kiosk.assistant.text import bigrams, fold, is_kana, shared_analyzer, to_hiragana, to_katakana
from kiosk.catalog.ledger import import_ledger
from kiosk.catalog.loader import load_catalog
from kiosk.db import connect
from kiosk.demo.load import synthetic_ledger_rows, write_ledger_csv
from kiosk.migrations import migrate
from tests.conftest import CONTENT, SAMPLE_LEDGER


@pytest.fixture(scope="module")
def index():
    """The 35 procedures with the sample ledger and 2,000 synthetic ledger rows, as in a ward."""
    catalog = load_catalog(CONTENT)
    db = connect(":memory:")
    migrate(db)
    import_ledger(db, SAMPLE_LEDGER.read_bytes(), catalog.procedures)
    out = io.StringIO(newline="")
    write_ledger_csv(synthetic_ledger_rows(2000, seed=3), out)
    import_ledger(db, out.getvalue().encode())
    entries = list(db.query("select key, name, department, procedure_id from ledger_entries"))
    return build_index(catalog.procedures.values(), entries)


def test_fold_and_kana_helpers():
    assert fold("ｼﾞｭｳﾐﾝﾋｮｳ") == "ジュウミンヒョウ"
    assert fold("ＡＢＣ　１２３") == "abc 123"
    assert to_katakana("じゅうみんひょう") == "ジュウミンヒョウ"
    assert to_hiragana("ジュウミンヒョウ") == "じゅうみんひょう"
    assert is_kana("そだいごみ") and is_kana("ソダイ ゴミ") and not is_kana("粗大ごみ")
    assert bigrams("ゴミー") == {"ゴミ"}


def test_readings_unify_kanji_kana_and_half_width():
    analyzer = shared_analyzer()
    spellings = ("住民票", "じゅうみんひょう", "ジュウミンヒョウ", "ｼﾞｭｳﾐﾝﾋｮｳ")
    readings = {analyzer.analyze(text).reading for text in spellings}
    assert readings == {"ジュウミンヒョウ"}
    assert analyzer.analyze("住民表").reading == "ジュウミンヒョウ"  # the misspelling reads the same


def test_normalised_forms_unify_kana_spellings():
    analyzer = shared_analyzer()
    assert "ゴミ" in analyzer.analyze("ごみ").lemmas and "ゴミ" in analyzer.analyze("ゴミ").lemmas
    assert "ゴミ" in analyzer.analyze("粗大ごみ", parts=True).lemmas  # compound parts in documents


# (kind of input, query, the procedure expected first) — each must be a confident answer.
CONFIDENT = [
    ("kanji", "住民票", "residence-certificate"),
    ("kanji", "印鑑証明", "seal-certificate"),
    ("kanji", "戸籍謄本", "family-register-certificate"),
    ("kanji", "児童手当", "child-allowance"),
    ("hiragana", "じゅうみんひょう", "residence-certificate"),
    ("hiragana", "そだいごみ", "bulky-waste"),
    ("hiragana", "てんにゅう", "moving-in"),
    ("hiragana", "いぬ", "dog-registration"),
    ("katakana", "ジュウミンヒョウ", "residence-certificate"),
    ("katakana", "マイナ保険証", "mynumber-health-insurance"),
    ("half-width", "ｼﾞｭｳﾐﾝﾋｮｳ", "residence-certificate"),
    ("half-width", "ｿﾀﾞｲｺﾞﾐ", "bulky-waste"),
    ("misspelling", "住民表", "residence-certificate"),
    ("misspelling", "印監証明", "seal-certificate"),
    ("variant", "児童手当て", "child-allowance"),
    ("variant", "粗大ゴミ", "bulky-waste"),
    ("colloquial", "引っ越してきました", "moving-in"),
    ("colloquial", "ソファを捨てたい", "bulky-waste"),
    ("colloquial", "マイナンバーカードの暗証番号を忘れた", "mynumber-card-pin-reset"),
    ("colloquial", "住民票がほしい", "residence-certificate"),
    ("colloquial", "結婚します", "marriage-registration"),
    ("english", "residence certificate", "residence-certificate"),
    ("english", "bulky waste", "bulky-waste"),
    ("english", "child allowance", "child-allowance"),
    ("english", "moving in", "moving-in"),
]


@pytest.mark.parametrize("kind,query,expected", CONFIDENT, ids=[f"{k}:{q}" for k, q, _ in CONFIDENT])
def test_confident_answers(index, kind, query, expected):
    result = index.search(query)
    assert result.best is not None and result.best.id == expected, (kind, result.matches[:3])
    assert result.confident, (kind, result.matches[:3])


# Ambiguous: the right procedures are offered, but the assistant does not pick one for the resident.
AMBIGUOUS = [
    ("引っ越します", {"moving-in", "moving-out", "moving-within"}),
    ("子どもが生まれました", {"birth-registration", "child-allowance"}),
    ("国民健康保険", {"health-insurance-join", "health-insurance-leave"}),
]


@pytest.mark.parametrize("query,expected", AMBIGUOUS)
def test_ambiguous_queries_offer_candidates_without_choosing(index, query, expected):
    result = index.search(query)
    assert not result.confident
    offered = {m.id for m in candidates(result)}
    assert expected <= offered and len(offered) <= MAX_CANDIDATES


@pytest.mark.parametrize("query", ["今日の天気", "ラーメン", "weather today", "カラオケ", "バスの時刻表"])
def test_out_of_scope_is_never_a_confident_answer(index, query):
    result = index.search(query)
    assert not result.confident, result.matches[:3]
    assert len(candidates(result)) <= MAX_CANDIDATES


def test_a_rare_misspelling_puts_the_right_candidate_first(index):
    result = index.search("住民標")
    assert result.best.id == "residence-certificate"


def test_ledger_only_procedures_are_found(index):
    result = index.search("道路占用")
    assert result.matches and all(m.kind == "ledger" for m in result.matches[:3])
    assert all("道路占用" in m.title for m in result.matches[:3])


def test_json_shape(index):
    data = index.search("住民票").as_json()
    assert set(data) == {"query", "confident", "matches"}
    assert data["matches"][0] == {"id": "residence-certificate", "title": "住民票の写しの交付",
                                  "score": data["matches"][0]["score"]}
    scores = [m["score"] for m in data["matches"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query,expected", [("まいなんばーかーど。", "mynumber-card-application"),
                                            ("いんかんしょうめい？", "seal-certificate"),
                                            ("「住民票」がほしいです！", "residence-certificate")])
def test_punctuation_does_not_change_the_answer(index, query, expected):
    result = index.search(query)
    assert result.confident and result.best.id == expected
