"""Search in the resident's own language, over the translated content.

The main search (search.py) understands Japanese and the English keywords content staff write.
A resident chatting in Vietnamese, Korean or Chinese types in that language: this index matches
their words against the procedures' translated titles, channel titles and summaries. It only
ever offers candidates (or the one procedure whose translated title was typed exactly); the
resident picks, so a loose match never starts a guide on its own.

Text is folded for matching: case, width and accents (giấy = giay, certidão = certidao), so
residents typing without their keyboard's diacritics still match. Words are the features in
space-separated scripts; in runs of Han or Hangul, character pairs are (Chinese has no spaces,
and Korean attaches particles: 주민표를 still shares 주민 and 민표 with 주민표).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.assistant.search import MAX_CANDIDATES, Match

TITLE, CHANNEL, SUMMARY = 1.0, 0.5, 0.3
CANDIDATE_SCORE = 0.34
_PAIRED = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+")
_WORD = re.compile(r"[\w\u0900-\u097f]+")  # \w alone splits Devanagari words at their vowel signs
# Words that say nothing about which procedure is meant, in the languages with spaces.
_STOP = {
    "a", "an", "the", "to", "of", "for", "in", "on", "my", "i", "and", "or", "how", "do", "want", "need",  # en
    "de", "da", "o", "e", "para", "um", "uma", "como", "eu", "quero", "meu", "minha",  # pt
    "ang", "ng", "sa", "mga", "na", "ko", "ako", "paano", "gusto",  # tl
    "cua", "va", "toi", "muon", "lam", "nao", "cho", "la", "co",  # vi, folded
    "को", "र", "मा", "म", "छ", "गर्न", "कसरी",  # ne
}


_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")


def _strip_accents(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Case and width folded; accents dropped from Latin letters only (Devanagari's vowel signs
    are combining marks too, and they are letters, not accents)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _LATIN.sub(lambda m: _strip_accents(m.group(0)), folded)


def features(text: str) -> set[str]:
    folded = fold(text)
    found: set[str] = set()
    for run in _PAIRED.findall(folded):
        if len(run) == 1:
            found.add(run)
        else:
            found.update(run[i:i + 2] for i in range(len(run) - 1))
    rest = _PAIRED.sub(" ", folded)
    found.update(word for word in _WORD.findall(rest) if word not in _STOP and not word.isdigit())
    return found


@dataclass
class _Doc:
    id: str
    title: str
    weights: dict[str, float]  # feature → the weight of the strongest field it appears in
    exact: str


class TranslatedIndex:
    def __init__(self, procedures: Iterable):
        self.docs: list[_Doc] = []
        frequency: dict[str, int] = defaultdict(int)
        for proc in procedures:
            weights: dict[str, float] = {}
            fields = [(TITLE, proc.title), (SUMMARY, proc.summary)]
            fields += [(CHANNEL, channel.title) for channel in proc.channels]
            for weight, text in fields:
                if getattr(text, "japanese_only", False):
                    continue  # untranslated: the main search already has the Japanese
                for feature in features(text):
                    weights[feature] = max(weights.get(feature, 0.0), weight)
            for feature in weights:
                frequency[feature] += 1
            self.docs.append(_Doc(proc.id, str(proc.title), weights, fold(" ".join(str(proc.title).split()))))
        total = max(len(self.docs), 1)
        self.idf = {f: math.log(1 + total / n) for f, n in frequency.items()}

    def search(self, query: str) -> list[Match]:
        wanted = {f for f in features(query) if f in self.idf}
        if not wanted:
            return []
        mass = sum(self.idf[f] for f in wanted)
        typed = fold(" ".join(query.split()))
        scored = []
        for doc in self.docs:
            if doc.exact == typed:
                scored.append(Match(doc.id, doc.title, "procedure", 2.0))
                continue
            score = sum(self.idf[f] * doc.weights[f] for f in wanted if f in doc.weights) / mass
            if score >= CANDIDATE_SCORE:
                scored.append(Match(doc.id, doc.title, "procedure", score))
        scored.sort(key=lambda m: -m.score)
        return scored[:MAX_CANDIDATES]


__all__ = ["TranslatedIndex", "features", "fold"]
