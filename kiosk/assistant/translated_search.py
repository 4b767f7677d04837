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

from kiosk.assistant.search import Match

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


# Character pairs of Korean verb endings and particles, and of Chinese function words, that every
# question has ("I want to …", "what should I do", "need"): they say nothing about which procedure.
_STOP_PAIRS = {
    "싶어", "어요", "해요", "하고", "고싶", "합니", "니다", "필요", "해야", "하나", "나요", "어떻", "떻게", "게해",
    "되나", "해서", "에서", "으로", "는데", "은데", "있어", "어서", "하는", "주세", "세요", "하려", "려면", "받고",
    "했어", "됐어", "이에", "예요", "에요", "까요", "할까", "돼요", "해주", "있나", "싶은", "인데", "거든",
    "하면", "되요", "됩니", "습니", "입니", "있습", "없어", "나와", "할때", "을때", "졌을", "해졌", "었을",
    "았을",
    "我想", "想要", "怎么", "怎样", "需要", "办理", "如何", "可以", "什么", "一下", "我要", "我的", "请问", "哪里",
    "在哪", "应该", "时候", "的时", "要办", "想办", "了怎", "么办",
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
            found.update(pair for pair in (run[i:i + 2] for i in range(len(run) - 1)) if pair not in _STOP_PAIRS)
    rest = _PAIRED.sub(" ", folded)
    found.update(word for word in _WORD.findall(rest) if word not in _STOP and not word.isdigit() and len(word) > 1)
    return found


# A word longer than this also counts by its first letters (registrar, registration, registro).
PREFIX_LENGTH = 5
PREFIX_WEIGHT = 0.5
ONE_WORD_FACTOR = 0.6  # resident and residence share a prefix, not a meaning
WORDS = 1.0  # the search words translators give (translations/*.po, msgctxt "search-words")


def query_features(text: str) -> set[str]:
    """``features`` and, for long words, their prefixes (a light stemmer for every language)."""
    found = features(text)
    return found | {"~" + f[:PREFIX_LENGTH] for f in found if len(f) > PREFIX_LENGTH and not _PAIRED.match(f)}


@dataclass
class _Doc:
    id: str
    title: str
    kind: str  # "procedure" | "event" | "elsewhere"
    weights: dict[str, float]  # feature → the weight of the strongest field it appears in
    exact: set[str]  # folded title and search words
    phrases: list[str]  # folded search words, for "the query contains one"


def _phrase(text: str) -> str:
    return " " + " ".join(_WORD.findall(fold(text))) + " "


class TranslatedIndex:
    """The content of one language: titles, summaries, channel titles and the translators'
    search words of procedures, life events and other authorities."""

    def __init__(self, procedures: Iterable, events: Iterable = (), authorities: Iterable = (),
                 words: dict[str, list[str]] | None = None):
        words = words or {}
        self.docs: list[_Doc] = []
        frequency: dict[str, int] = defaultdict(int)
        items = [(p, "procedure") for p in procedures] + [(e, "event") for e in events]
        items += [(a, "elsewhere") for a in authorities]
        for item, kind in items:
            fields = [(TITLE, item.title)]
            fields += [(SUMMARY, text) for text in (getattr(item, "summary", None), getattr(item, "description", None),
                                                   getattr(item, "authority", None)) if text]
            fields += [(CHANNEL, channel.title) for channel in getattr(item, "channels", ())]
            own_words = words.get(f"{kind}:{item.id}", [])
            fields += [(WORDS, word) for word in own_words]
            weights: dict[str, float] = {}
            for weight, text in fields:
                if getattr(text, "japanese_only", False):
                    continue  # untranslated: the main search already has the Japanese
                for feature in query_features(text):
                    value = weight * (PREFIX_WEIGHT if feature.startswith("~") else 1.0)
                    weights[feature] = max(weights.get(feature, 0.0), value)
            for feature in weights:
                frequency[feature] += 1
            exact = {_phrase(w) for w in own_words}
            if not getattr(item.title, "japanese_only", False):
                exact.add(_phrase(str(item.title)))
            self.docs.append(_Doc(item.id, str(item.title), kind, weights, exact,
                                  sorted({_phrase(w) for w in own_words}, key=len, reverse=True)))
        total = max(len(self.docs), 1)
        self.idf = {f: math.log(1 + total / n) for f, n in frequency.items()}

    def search(self, query: str, limit: int = 10) -> list[Match]:
        """Scored like the main search (0 to about 1.5): the IDF-weighted share of the query's
        features found, plus a bonus when the query is, or contains, one of the search words."""
        wanted = {f for f in query_features(query) if f in self.idf}
        if not wanted:
            return []
        mass = sum(self.idf[f] for f in wanted)
        typed = _phrase(query)
        scored = []
        for doc in self.docs:
            score = sum(self.idf[f] * doc.weights[f] for f in wanted if f in doc.weights) / mass
            if len(wanted) == 1:
                score *= ONE_WORD_FACTOR  # one shared word ("hello" in Hello Work) is thin evidence
            if typed in doc.exact:
                score += 0.5
            else:
                contained = next((p for p in doc.phrases if len(p) > 4 and p in typed), None)
                if contained:
                    score += 0.35 * min(1.0, len(contained.strip()) / max(len(typed.strip()), 1)) + 0.1
            if score >= CANDIDATE_SCORE / 2:
                scored.append(Match(doc.id, doc.title, doc.kind, score))
        scored.sort(key=lambda m: (-m.score, m.id))
        return scored[:limit]


__all__ = ["TranslatedIndex", "features", "fold", "query_features"]
