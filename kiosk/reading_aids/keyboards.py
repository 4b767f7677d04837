"""The on-screen keyboards' layouts. Keys are characters to type, not text to translate, so
they live here rather than in templates (where every Japanese string goes through Babel)."""

from __future__ import annotations

# The 50音 grid, one string per column; a space is an empty cell.
KANA_COLUMNS = ("あいうえお", "かきくけこ", "さしすせそ", "たちつてと", "なにぬねの",
                "はひふへほ", "まみむめも", "や ゆ よ", "らりるれろ", "わをん  ")
DAKUTEN = "゛"
HANDAKUTEN = "゜"
LONG_VOWEL = "ー"
LATIN_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
