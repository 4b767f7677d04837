"""The 個人番号 guard and the phone / e-mail warnings."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.staff.personal_data import (
    contains_mynumber,
    find_email_addresses,
    find_mynumbers,
    find_phone_numbers,
    is_valid_mynumber,
    mask_mynumbers,
    mynumber_check_digit,
    remove_mynumbers,
)

eleven_digits = st.text(alphabet="0123456789", min_size=11, max_size=11)


def test_known_example():
    # The check digit of 12345678901 is 8 (worked example of the ordinance's formula).
    assert mynumber_check_digit("12345678901") == 8
    assert is_valid_mynumber("123456789018")
    assert not is_valid_mynumber("123456789017")


@given(eleven_digits)
def test_exactly_one_check_digit_is_valid(first):
    valid = [d for d in "0123456789" if is_valid_mynumber(first + d)]
    assert valid == [str(mynumber_check_digit(first))]


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@given(eleven_digits, st.sampled_from(["", " ", "-", "－", "ー", "　"]), st.booleans())
def test_found_however_it_is_typed(first, separator, full_width):
    number = first + str(mynumber_check_digit(first))
    typed = separator.join([number[:4], number[4:8], number[8:]])
    if full_width:
        typed = typed.translate(FULL_WIDTH)
    assert find_mynumbers(f"メモ: {typed} です") == [number]


@given(eleven_digits)
def test_a_wrong_check_digit_is_not_refused(first):
    wrong = (mynumber_check_digit(first) + 1) % 10
    assert find_mynumbers(f"受付番号 {first}{wrong}") == []


def test_longer_and_shorter_digit_runs_are_not_numbers():
    assert find_mynumbers("1234567890180") == []  # 13 digits
    assert find_mynumbers("12345678901") == []


@pytest.mark.parametrize("text", ["090-1234-5678", "03-1234-5678", "０３-1234-5678", "0312345678",
                                  "+81 90 1234 5678", "090ー1234ー5678"])
def test_phone_numbers(text):
    assert find_phone_numbers(f"連絡先 {text}")


@pytest.mark.parametrize("text", ["2026-11-27", "10分", "郵便番号 123-4567", "12345"])
def test_not_phone_numbers(text):
    assert find_phone_numbers(text) == []


def test_email_addresses():
    assert find_email_addresses("連絡は taro.yamada@example.jp まで") == ["taro.yamada@example.jp"]
    assert find_email_addresses("ＡＢＣ＠ｅｘａｍｐｌｅ．ｃｏｍ") == ["ABC@example.com"]
    assert find_email_addresses("LINEで連絡") == []


@pytest.mark.parametrize("text", [
    "個人番号 123456789018 2回目の来所", "1234.5678.9018", "… 1234 5678 9018 3", "2025-04-01 123456789018",
    "123456789018 03-1234-5678", "1234/5678/9018", "1234・5678・9018", "1234\u200b5678\u200b9018",
    "١٢٣٤٥٦٧٨٩٠١٨", "१२३४५६७८९०१८", "（1234）5678-9018"])
def test_a_mynumber_among_other_text_or_written_unusually_is_found(text):
    assert find_mynumbers(text) == ["123456789018"]


def test_dates_and_times_are_not_taken_for_a_mynumber():
    import datetime as dt

    refused = []
    day = dt.date(2025, 1, 1)
    while day.year == 2025:
        for time in ("0900", "1400", "1615"):
            note = f"次回 {day.isoformat()} {time} 来所予定"
            if find_mynumbers(note):
                refused.append(note)
        day += dt.timedelta(days=1)
    assert refused == []


# --- any digit form, any grouping, any separator ---------------------------------------------------------

DIGIT_FORMS = {
    "ascii": "0123456789",
    "full-width": "０１２３４５６７８９",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯",
    "thai": "๐๑๒๓๔๕๖๗๘๙",
    "mathematical": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
    "kanji": "〇一二三四五六七八九",
    "kanji-zero": "零一二三四五六七八九",
}
# What may follow each digit: variation selectors, a keycap, combining marks, invisible characters.
DIGIT_MARKS = ["", "\ufe0f", "\ufe0e", "\ufe0f\u20e3", "\u20e3", "\u0301", "\u0308", "\u3099", "\u200b", "\u200c",
               "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2800", "\u3164", "\u115f", "\u1160"]
SEPARATORS = [" ", "  ", "     ", " \t ", "\n\n\n\n", "-", "－", "ー", "‐", "—",
              "−", "_", ",", "，", "、", ", ", ".", "．", "・", "/", " / ", "*",
              ":", "：", "|", "｜", "~", "#", "+", "'", "(", ")", "　", "\n",
              "\t", "\r\n", " - ", "\u2800", "\u3164", "\u115f", "\u200b",
              "\u2800\u2800"]
CONTEXTS = [("", ""), ("個人番号 ", " を確認"), ("メモ: ", ""), ("番号は", "です。"), ("Số của tôi là ", "."),
            ("2回目の来所。番号 ", " 確認済み")]


@st.composite
def typed_mynumbers(draw):
    """A valid 個人番号, and how someone might type it: each digit in any form with any mark after it,
    cut into groups anywhere, one separator between the groups."""
    first = draw(eleven_digits)
    number = first + str(mynumber_check_digit(first))
    forms = draw(st.lists(st.sampled_from(sorted(DIGIT_FORMS)), min_size=12, max_size=12))
    marks = draw(st.lists(st.sampled_from(DIGIT_MARKS), min_size=12, max_size=12))
    cuts = draw(st.sets(st.integers(1, 11)))
    separator = draw(st.sampled_from(SEPARATORS))
    typed = ""
    for position, (digit, form, mark) in enumerate(zip(number, forms, marks, strict=True)):
        if position in cuts:
            typed += separator
        typed += DIGIT_FORMS[form][int(digit)] + mark
    before, after = draw(st.sampled_from(CONTEXTS))
    return number, before, typed, after


@settings(max_examples=500)
@given(typed_mynumbers())
def test_a_valid_mynumber_is_found_in_any_digit_form_and_separator_pattern(case):
    number, before, typed, after = case
    text = before + typed + after
    assert find_mynumbers(text) == [number]
    assert contains_mynumber(text)
    assert remove_mynumbers(text) == before + after  # all of it, marks included, and nothing else


@pytest.mark.parametrize("typed", [
    "123-456-789-018", "123456-789018", "12345678 9018", "1 2 3 4 5 6 7 8 9 0 1 8", "1,2,3,4,5,6,7,8,9,0,1,8",
    "1️2️3️4️5️6️7️8️9️0️1️8️", "1́2́3́4́5́6́7́8́9́0́1́8́", "1⠀2⠀3⠀4⠀5⠀6⠀7⠀8⠀9⠀0⠀1⠀8", "1ㅤ2ㅤ3ㅤ4ㅤ5ㅤ6ㅤ7ㅤ8ㅤ9ㅤ0ㅤ1ㅤ8",
    "1*2*3*4*5*6*7*8*9*0*1*8", "1:2:3:4:5:6:7:8:9:0:1:8", "1|2|3|4|5|6|7|8|9|0|1|8", "一二三四五六七八九〇一八",
    "一二三四五六七八九○一八", "1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣9️⃣0️⃣1️⃣8️⃣",
    # separators that change between the groups
    "1234-5678 9018", "1234 5678-9018", "12 34-56/78 90:18", "1234, 5678・9018", "1234-5678\n9018",
    "123,456,789,018",  # no 円 or ¥: not an amount
])
def test_the_forms_in_the_issue_are_found(typed):
    assert find_mynumbers(f"メモ {typed} 確認") == ["123456789018"]


def test_removing_keeps_the_rest_of_the_text():
    assert remove_mynumbers("番号は 1234-5678-9018 です、住民票") == "番号は  です、住民票"
    assert remove_mynumbers("a 123456 123456789018 789018 b") == "a  b"  # what was left made another
    assert remove_mynumbers("住民票 2026-12-03") == "住民票 2026-12-03"


def test_masking_reaches_into_records():
    masked = mask_mynumbers({"note": "番号 1234 5678 9018", "topics": ["1234-5678-9018"], "minutes": 10})
    assert masked == {"note": "番号 ************", "topics": ["************"], "minutes": 10}


@given(eleven_digits, st.sampled_from(SEPARATORS))
def test_a_wrong_check_digit_is_not_refused_however_it_is_written(first, separator):
    wrong = (mynumber_check_digit(first) + 1) % 10
    number = f"{first}{wrong}"
    assert find_mynumbers(separator.join([number[:4], number[4:8], number[8:]])) == []


# --- no false alarms: dates, times, phone numbers, postcodes, amounts, counts ----------------------------

ERAS = [("令和", 2018), ("平成", 1988), ("昭和", 1925)]
FULL_WIDTH_ALL = str.maketrans("0123456789-:/,.", "０１２３４５６７８９－：／，．")


def _date(rng: random.Random) -> str:
    day = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 100))
    y, m, d = day.year, day.month, day.day
    hour, minute = rng.randrange(0, 24), rng.randrange(0, 60)
    era, start = rng.choice([e for e in ERAS if e[1] < y])
    date = rng.choice([
        f"{y}-{m:02}-{d:02}", f"{y}/{m:02}/{d:02}", f"{y}.{m:02}.{d:02}", f"{y}-{m}-{d}", f"{y}/{m}/{d}",
        f"{y}年{m}月{d}日", f"{y}年{m:02}月{d:02}日", f"{era}{y - start}年{m}月{d}日", f"{d:02}/{m:02}/{y}",
        f"{m:02}/{d:02}/{y}", f"{d}.{m}.{y}", f"{m}月{d}日"])
    time = rng.choice(["", f" {hour:02}:{minute:02}", f" {hour}:{minute:02}", f" {hour:02}:{minute:02}:{minute:02}",
                       f" {hour}時{minute}分", f" {hour:02}{minute:02}", f"（{hour:02}:{minute:02}〜{hour:02}:30）",
                       f" {hour:02}:{minute:02}-{(hour + 1) % 24:02}:{minute:02}"])
    if time.startswith(f" {hour:02}{minute:02}") and "年" in date:
        time = f" {hour:02}:{minute:02}"  # 4 digits after a 日 are not a time anyone writes
    text = date + time
    if rng.random() < 0.15:  # a range of two days
        other = day + dt.timedelta(days=rng.randrange(1, 40))
        text += rng.choice(["〜", "～", " ~ ", "から", " - "]) + other.strftime(
            rng.choice(["%Y-%m-%d", "%Y/%m/%d", "%m/%d"]))
    return text


def _phone(rng: random.Random) -> str:
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    area = rng.choice([1, 2, 3, 4])
    landline = ["0" + str(rng.randrange(1, 10)) + digits(area - 1), digits(5 - area), digits(4)]
    mobile = [rng.choice(["070", "080", "090", "050"]), digits(4), digits(4)]
    parts = rng.choice([landline, mobile])
    separator = rng.choice(["-", " ", ".", "ー", "－", "−"])
    national = parts[0][1:]
    return rng.choice([
        separator.join(parts), "".join(parts), f"({parts[0]}) {parts[1]}-{parts[2]}",
        f"{parts[0]}({parts[1]}){parts[2]}", f"+81 {national} {parts[1]} {parts[2]}",
        f"+81-{national}-{parts[1]}-{parts[2]}", f"+81{national}{parts[1]}{parts[2]}",
        f"+81 (0){national}-{parts[1]}-{parts[2]}", f"{separator.join(parts)} 内線{digits(3)}"])


def _postcode(rng: random.Random) -> str:
    code = f"{rng.randrange(0, 1000):03}-{rng.randrange(0, 10000):04}"
    return rng.choice([f"〒{code}", f"〒 {code}", code, f"〒{code.replace('-', '')}", f"郵便番号 {code}"])


def _amount(rng: random.Random) -> str:
    value = rng.randrange(1, 10 ** rng.randrange(1, 14))
    grouped = f"{value:,}"
    return rng.choice([f"{grouped}円", f"¥{grouped}", f"￥{grouped}", f"{grouped} 円", f"¥ {grouped}", f"{value}円",
                       f"¥{value}", f"{value // 10000:,}万円", f"${grouped}.{rng.randrange(100):02}", f"{grouped}ドル"])


def _count(rng: random.Random) -> str:
    return rng.choice([f"相談 {rng.randrange(1, 100000):,}件", f"{rng.randrange(1, 10)}回目",
                       f"{rng.randrange(60, 100)}歳", f"{rng.randrange(1, 200)}分", f"{rng.randrange(1, 50)}人",
                       f"{rng.randrange(1, 100)}%", f"{rng.randrange(1, 400)}日"])


def generated_notes(count: int, seed: int):
    rng = random.Random(seed)
    makers = [_date, _phone, _postcode, _amount, _count]
    for _ in range(count):
        parts = [rng.choice(makers)(rng) for _ in range(rng.randrange(1, 5))]
        note = rng.choice(["、", " ", "。", " / ", "\n", ", "]).join(parts)
        if rng.random() < 0.2:
            note = note.translate(FULL_WIDTH_ALL)
        yield note


@pytest.mark.parametrize("maker", [_date, _phone, _postcode, _amount, _count])
def test_ten_thousand_of_each_kind_raise_no_alarm(maker):
    rng = random.Random(f"no-alarm-{maker.__name__}")
    alarms = [text for text in (maker(rng) for _ in range(10_000)) if find_mynumbers(text)]
    assert alarms == []


def test_ten_thousand_notes_mixing_them_raise_no_alarm():
    alarms = [note for note in generated_notes(10_000, seed=20261203) if find_mynumbers(note)]
    assert alarms == []


@settings(max_examples=300)
@given(st.randoms(use_true_random=False))
def test_generated_notes_raise_no_alarm_whatever_the_seed(rng):
    note = " ".join(rng.choice([_date, _phone, _postcode, _amount, _count])(rng) for _ in range(3))
    assert find_mynumbers(note) == []
