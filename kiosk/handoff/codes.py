"""Follow-up codes for handoff sheets: 40 random bits in Crockford's base32 (no I, L, O, U),
plus a Luhn mod 32 check character, shown grouped (K7Q-D3M-XAP).

Typed codes are forgiving: full-width characters, spaces, hyphens and lower case are normalised,
and the letters Crockford reads as digits (O → 0, I and L → 1) are read as such. The check
character catches every single mistyped character and most swapped neighbours before any lookup.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
ALIASES = {"O": "0", "I": "1", "L": "1"}
DATA_LENGTH = 8  # 8 × 5 bits = 40 bits
CODE_LENGTH = DATA_LENGTH + 1
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―ー−_.]")


def check_character(data: str) -> str:
    """Luhn mod N over base32 (N = 32)."""
    factor, total = 2, 0
    for ch in reversed(data):
        addend = factor * VALUES[ch]
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def new_code() -> str:
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
    return data + check_character(data)


def normalise(typed: str) -> str | None:
    """The canonical code for what was typed or scanned, or None when it cannot be one."""
    text = unicodedata.normalize("NFKC", typed or "").upper()
    text = _SEPARATORS.sub("", text)
    text = "".join(ALIASES.get(ch, ch) for ch in text)
    if len(text) != CODE_LENGTH or any(ch not in VALUES for ch in text):
        return None
    if check_character(text[:-1]) != text[-1]:
        return None
    return text


def display(code: str) -> str:
    return "-".join(code[i:i + 3] for i in range(0, len(code), 3))
