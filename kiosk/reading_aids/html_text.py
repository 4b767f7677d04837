"""Rewriting the text of finished HTML: furigana over Japanese, and ``lang="ja"`` around the
Japanese that translations quote (「行政サービス」, (住民票の写し)) so that it is drawn with
Japanese glyphs and read by a Japanese voice.

Works on our own pages and htmx fragments with a small tokenizer (tags, comments, text) and a
stack of open elements that tracks the nearest ``lang``. Attribute values, <title>, <option>,
<textarea>, scripts and elements marked ``data-no-furigana`` are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(
    r"<!--.*?-->|<!(?:[^>])*>|<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>|([^<]+)|<",
    re.S)
_LANG = re.compile(r"""\slang\s*=\s*["']?([A-Za-z@-]*)""")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_SKIP = {"script", "style", "textarea", "title", "option", "ruby", "rt", "rp", "svg", "math", "template",
         "noscript", "select", "code", "pre", "kbd"}


def rewrite_text(page: str, root_lang: str, rewrite: Callable[[str, str], str]) -> str:
    """Apply ``rewrite(escaped_text, lang)`` to every text node outside skipped elements.
    ``root_lang`` is the language of text outside any ``lang`` (htmx fragments have none)."""
    out: list[str] = []
    stack: list[tuple[str, str, bool]] = [("", root_lang, False)]  # (tag, lang, skip)
    for match in _TOKEN.finditer(page):
        closing, tag, attributes, text = match.group(1), match.group(2), match.group(3), match.group(4)
        if text is not None:
            _, lang, skip = stack[-1]
            out.append(text if skip or not text.strip() else rewrite(text, lang))
            continue
        out.append(match.group(0))
        if tag is None:
            continue
        tag = tag.lower()
        if closing:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth][0] == tag:
                    del stack[depth:]
                    break
        elif tag not in _VOID and not attributes.rstrip().endswith("/"):
            _, lang, skip = stack[-1]
            declared = _LANG.search(attributes)
            if declared:
                lang = declared.group(1).lower()
            skip = skip or tag in _SKIP or "data-no-furigana" in attributes
            stack.append((tag, lang, skip))
    return "".join(out)


_KANA = "\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f"
_HAN = "\u3005\u3006\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A run of Japanese: kana and kanji with the punctuation that belongs to them.
_JAPANESE_RUN = re.compile(f"[「『（]?[{_KANA}{_HAN}ー・、。]*[{_KANA}{_HAN}][{_KANA}{_HAN}ー・、。]*[」』）]?")
# In Chinese, Han characters are Chinese too: only a bracketed quotation with kana is Japanese.
_QUOTED_WITH_KANA = re.compile(f"(?<=[「『（(])[^「」『』（）()]*[{_KANA}][^「」『』（）()]*(?=[」』）)])")


def mark_japanese(page: str, page_lang: str) -> str:
    """Wrap the Japanese quoted inside another language's text in ``<span lang="ja">``."""

    def mark(text: str, lang: str) -> str:
        primary = lang.split("-")[0]
        if primary in ("ja", ""):
            return text
        pattern = _QUOTED_WITH_KANA if primary == "zh" else _JAPANESE_RUN
        return pattern.sub(lambda m: f'<span lang="ja">{m.group(0)}</span>', text)

    return rewrite_text(page, page_lang, mark)


__all__ = ["mark_japanese", "rewrite_text"]
