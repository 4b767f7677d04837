"""Writes tests/fixtures/mynumber_cases.json: texts with and without a 個人番号, and what the server's
guard (kiosk.staff.personal_data) finds in each and leaves after removing it. The same file is run
through the browser's port (kiosk/static/js/personal-data.js) in tests/browser/test_offline_tablets.py
and through the server's in tests/unit/test_mynumber_cases.py, so the two cannot drift apart.

    .venv/bin/python -m tests.mynumber_cases   # after changing the guard
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from kiosk.staff.personal_data import find_mynumbers, mynumber_check_digit, remove_mynumbers
from tests.unit.test_identifiers import CONTEXTS, DIGIT_FORMS, DIGIT_MARKS, SEPARATORS, generated_notes

CASES = Path(__file__).parent / "fixtures" / "mynumber_cases.json"

WRITTEN = [
    "個人番号 123456789018 2回目の来所", "1234.5678.9018", "… 1234 5678 9018 3", "2025-04-01 123456789018",
    "123456789018 03-1234-5678", "1234/5678/9018", "1234・5678・9018", "1234\u200b5678\u200b9018",
    "١٢٣٤٥٦٧٨٩٠١٨", "१२३४५६७८९०१८", "（1234）5678-9018", "123-456-789-018", "123456-789018", "12345678 9018",
    "1 2 3 4 5 6 7 8 9 0 1 8", "1,2,3,4,5,6,7,8,9,0,1,8", "一二三四五六七八九〇一八", "一二三四五六七八九○一八",
    "1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣8️⃣9️⃣0️⃣1️⃣8️⃣", "1234-5678 9018", "12 34-56/78 90:18", "1234, 5678・9018",
    "1234-5678\n9018", "123,456,789,018", "番号は 1234-5678-9018 です、住民票", "a 123456 123456789018 789018 b",
    "住民票 2026-12-03", "2026-12-03-1030", "2026-12-03 10:30", "1234567890180", "12345678901", "123456789017",
    "¥123,456,789,018", "123,456,789,018円", "090-1234-5678 03-1234-5678", "〒160-0022 1234", "",
    "次回 2025-06-01 1400 来所予定", "1234 5678 9018 1234 5678 9018",
]


def _typed(rng: random.Random) -> str:
    first = "".join(rng.choice("0123456789") for _ in range(11))
    number = first + str(mynumber_check_digit(first))
    if rng.random() < 0.2:  # a wrong check digit: not a 個人番号
        number = number[:11] + str((int(number[11]) + 1) % 10)
    cuts = set(rng.sample(range(1, 12), rng.randrange(0, 4)))
    separator = rng.choice(SEPARATORS)
    typed = ""
    for position, digit in enumerate(number):
        if position in cuts:
            typed += separator
        typed += DIGIT_FORMS[rng.choice(sorted(DIGIT_FORMS))][int(digit)] + rng.choice(DIGIT_MARKS)
    before, after = rng.choice(CONTEXTS)
    return before + typed + after


def cases() -> list[dict]:
    rng = random.Random(20261203)
    texts = WRITTEN + [_typed(rng) for _ in range(300)] + list(generated_notes(300, seed=1414))
    return [{"text": text, "found": find_mynumbers(text), "removed": remove_mynumbers(text)} for text in texts]


if __name__ == "__main__":
    CASES.write_text(json.dumps(cases(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {CASES}")
