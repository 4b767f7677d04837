"""The 個人番号 guard and the phone / e-mail warnings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.staff.personal_data import (
    find_email_addresses,
    find_mynumbers,
    find_phone_numbers,
    is_valid_mynumber,
    mynumber_check_digit,
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
