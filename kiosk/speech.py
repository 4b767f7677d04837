"""Read-aloud for Japanese text: Open JTalk (pyopenjtalk-plus, offline with its bundled
dictionary) on the server, cached as WAV files.

Only text the app itself rendered can be synthesised: the template puts the text and its HMAC
(keyed with SECRET_KEY) in the audio URL, so a stranger cannot make the server speak, or fill
its disk with, text of their choosing. The digest names the cached file. Resident input is
never read aloud, so nothing personal reaches the cache.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import re
import tempfile
import threading
import wave
from pathlib import Path

from flask import current_app
from markupsafe import Markup

MAX_CHARACTERS = 1000
_synthesis_lock = threading.Lock()  # Open JTalk's engine is one global object
_DIGEST = re.compile(r"^[0-9a-f]{40}$")


def speech_digest(text: str, secret: str | bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, b"speech\0" + text.encode(), hashlib.sha256).hexdigest()[:40]


def valid_digest(digest: str) -> bool:
    return bool(_DIGEST.match(digest))


def synthesize_wav(text: str) -> bytes:
    """16-bit mono WAV of ``text`` read by Open JTalk."""
    import numpy as np
    import pyopenjtalk  # imported on first use: it loads a dictionary

    with _synthesis_lock:
        samples, rate = pyopenjtalk.tts(text)
    pcm = np.clip(samples, -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def cache_path(cache_dir: str | os.PathLike, digest: str) -> Path:
    return Path(cache_dir) / digest[:2] / f"{digest}.wav"


def cached_or_synthesized(cache_dir: str | os.PathLike, digest: str, text: str | None) -> tuple[Path, bool]:
    """The audio file for ``digest``, synthesised from ``text`` if it is not cached yet.
    Returns (path, was_cached). Written atomically: a half-written file is never served."""
    path = cache_path(cache_dir, digest)
    if path.exists():
        return path, True
    if text is None:
        raise FileNotFoundError(digest)
    audio = synthesize_wav(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as tmp:
        tmp.write(audio)
    os.replace(tmp.name, path)
    return path, False


# --- what a bubble says -----------------------------------------------------------------------

_UNSPOKEN = re.compile(
    r"<(span|p)\b[^>]*(?:class=\"[^\"]*\b(?:k-ja-only|k-visually-hidden)\b[^\"]*\"|aria-hidden=\"true\")[^>]*>.*?</\1>",
    re.S)
_JAPANESE_SPAN = re.compile(r"<span lang=\"ja\">.*?</span>", re.S)
_BLOCK_END = re.compile(r"</(?:p|li|h\d|dt|dd|div)>|<br\s*/?>")


def speech_text(markup: str, *, keep_japanese: bool = True) -> str:
    """The words of a rendered bubble or step as they should be read: without hidden labels,
    icons and the 「日本語のみ」 tag. ``keep_japanese=False`` also drops Japanese passages
    (content shown untranslated) that another language's voice could not read."""
    html = _UNSPOKEN.sub(" ", str(markup))
    if not keep_japanese:
        html = _JAPANESE_SPAN.sub(" ", html)
    html = _BLOCK_END.sub(" ", html)  # a pause between paragraphs, not run-together words
    return Markup(html).striptags()[:MAX_CHARACTERS]


def audio_url_for(text: str) -> str:
    from flask import url_for

    digest = speech_digest(text, current_app.config["SECRET_KEY"])
    return url_for("kiosk.speech_audio", digest=digest, text=text)


__all__ = ["audio_url_for", "cached_or_synthesized", "speech_digest", "speech_text", "synthesize_wav"]
