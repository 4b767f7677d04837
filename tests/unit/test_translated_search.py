"""The search over translated content: folding and features."""

from __future__ import annotations

from kiosk.assistant.translated_search import features, fold


def test_folding_removes_case_width_and_latin_accents_only():
    assert fold("Giấy Chứng NHẬN") == "giay chung nhan"
    assert fold("Certidão") == "certidao"
    assert fold("ＡＢＣ") == "abc"
    assert fold("전입신고") == "전입신고"
    assert fold("फोहोर") == "फोहोर"  # Devanagari vowel signs are combining marks, not accents


def test_han_and_hangul_runs_give_character_pairs_other_scripts_words():
    assert features("大件垃圾") == {"大件", "件垃", "垃圾"}
    assert {"주민", "민표", "표를"} <= features("주민표를")
    assert features("bulky waste for the sofa") == {"bulky", "waste", "sofa"}
    assert "फोहोर" in features("ठूलो फोहोर")
