"""Furigana: Sudachi readings aligned to the kanji, and the HTML rewriting around them."""

from __future__ import annotations

import pytest

from kiosk.reading_aids.furigana import add_furigana, align, reading_of, ruby, segments


@pytest.mark.parametrize(("text", "reading"), [
    ("住民票", "じゅうみんひょう"), ("写し", "うつし"), ("届け出", "とどけで"), ("転入届", "てんにゅうとどけ"),
    ("住民票の写し", "じゅうみんひょうのうつし"), ("暗証番号", "あんしょうばんごう"),
])
def test_readings(text, reading):
    assert reading_of(text) == reading


def test_okurigana_is_not_repeated():
    assert segments("写し") == (("写", "うつ"), ("し", None))
    assert segments("届け出") == (("届", "とど"), ("け", None), ("出", "で"))
    assert ruby("写し") == "<ruby>写<rp>(</rp><rt>うつ</rt><rp>)</rp></ruby>し"
    # A word of kanji only gets one reading over the whole word.
    assert segments("住民票") == (("住民票", "じゅうみんひょう"),)
    assert segments("転入届") == (("転入届", "てんにゅうとどけ"),)


def test_alignment_falls_back_to_the_whole_word():
    assert align("受け取る", "ウケトル") == [("受", "う"), ("け", None), ("取", "と"), ("る", None)]
    # Kana that do not match the reading: one ruby over the word rather than a wrong split.
    assert align("受け取る", "ジュリ") == [("受け取る", "じゅり")]


def test_days_and_nani_are_read_as_people_say_them():
    assert reading_of("12月29日と1月3日") == "12がつ29にちと1がつみっか"
    assert segments("1月3日")[-1] == ("3日", "みっか")
    assert reading_of("何をしますか") == "なにをしますか"


def test_text_without_kanji_is_left_alone():
    assert segments("マイナンバーカードを") == (("マイナンバーカードを", None),)
    assert ruby("a < b") == "a &lt; b"


def test_readings_are_computed_once():
    segments.cache_clear()
    segments("区役所の窓口")
    segments("区役所の窓口")
    info = segments.cache_info()
    assert info.misses == 1 and info.hits == 1


def test_pages_get_ruby_only_in_japanese_text_nodes():
    page = ('<html lang="en"><head><title>住民票</title></head><body>'
            '<p title="住民票">Certificate</p><p lang="ja">住民票 &amp; 写し</p>'
            '<textarea>住民票</textarea><select><option>住民票</option></select>'
            '<span lang="zh-Hans">住民票副本</span><button data-no-furigana>住民票</button></body></html>')
    out = add_furigana(page, japanese=False)
    assert '<title>住民票</title>' in out and 'title="住民票"' in out
    assert ('<p lang="ja"><span class="k-ruby-text">'
            '<ruby>住民票<rp>(</rp><rt>じゅうみんひょう</rt><rp>)</rp></ruby> &amp; '
            '<ruby>写<rp>(</rp><rt>うつ</rt><rp>)</rp></ruby>し</span></p>') in out
    assert '<textarea>住民票</textarea>' in out and '<option>住民票</option>' in out
    assert '<span lang="zh-Hans">住民票副本</span>' in out  # Chinese, not Japanese
    assert '<button data-no-furigana>住民票</button>' in out


def test_fragments_take_the_page_language():
    assert "<ruby>" in add_furigana("<p>写し</p>", japanese=True)
    assert "<ruby>" not in add_furigana("<p>写し</p>", japanese=False)


def test_content_readings_win_for_titles():
    from kiosk.reading_aids import furigana
    from kiosk.reading_aids.furigana import use_known_readings

    previous = furigana._known_readings  # set by whichever app loaded the content last
    try:
        use_known_readings({})
        assert segments("事業者の方")[-1] == ("方", "ほう")  # the dictionary's guess
        use_known_readings({"事業者の方": "じぎょうしゃのかた",
                            "住民票の写しの交付": "じゅうみんひょうのうつしのこうふ"})
        assert segments("事業者の方")[-1] == ("方", "かた")  # the category's reading in categories.yaml
        assert segments("  住民票の写しの交付 ")[1] == ("住民票", "じゅうみんひょう")  # whitespace kept around it
        use_known_readings({"写し": "ちがうよみ"})  # a reading that does not fit the kana: the dictionary instead
        assert segments("写し") == (("写", "うつ"), ("し", None))
    finally:
        use_known_readings(previous)
