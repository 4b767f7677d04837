"""The shared 個人番号 cases hold for the server's guard (the browser's port runs the same file in
tests/browser/test_offline_tablets.py)."""

from __future__ import annotations

import json

from kiosk.staff.personal_data import find_mynumbers, remove_mynumbers
from tests.mynumber_cases import CASES


def test_the_shared_cases_are_what_the_server_finds_and_removes():
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    assert len(cases) > 500 and sum(1 for case in cases if case["found"]) > 200  # both kinds, many forms
    wrong = [case["text"] for case in cases
             if find_mynumbers(case["text"]) != case["found"] or remove_mynumbers(case["text"]) != case["removed"]]
    assert wrong == [], f"regenerate with `python -m tests.mynumber_cases` and port the change: {wrong[:5]}"
