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

MAX_CHARACTERS = 800
_synthesis_lock = threading.Lock()  # Open JTalk's engine is one global object (per process)
_digest_locks: dict[str, threading.Lock] = {}
_digest_locks_guard = threading.Lock()
_DIGEST = re.compile(r"[0-9a-f]{40}")


class SpeechBusy(Exception):
    """The worker pool is full (sheets and other texts); the caller should retry."""


def speech_digest(text: str, secret: str | bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, b"speech\0" + text.encode(), hashlib.sha256).hexdigest()[:40]


def valid_digest(digest: str) -> bool:
    return bool(_DIGEST.fullmatch(digest))


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


def cached_or_synthesized(cache_dir: str | os.PathLike, digest: str, text: str | None,
                          max_cache_bytes: int = 0) -> tuple[Path, bool]:
    """The audio file for ``digest``, synthesised from ``text`` if it is not cached yet.
    Returns (path, was_cached). Requests for the same text wait for one synthesis; the synthesis
    runs in the worker pool (kiosk/workers.py), and SpeechBusy is raised when that is full rather
    than tie up every server thread. Written atomically: a half-written file is never served."""
    from kiosk.workers import WorkersBusy, run_in_worker

    path = cache_path(cache_dir, digest)
    if path.exists():
        return path, True
    if text is None:
        raise FileNotFoundError(digest)
    with _digest_locks_guard:
        lock = _digest_locks.setdefault(digest, threading.Lock())
    with lock:
        if path.exists():  # another request made it while this one waited
            return path, True
        try:
            audio = run_in_worker(synthesize_wav, text)
        except WorkersBusy:
            raise SpeechBusy() from None
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as tmp:
            tmp.write(audio)
        os.replace(tmp.name, path)
    with _digest_locks_guard:
        _digest_locks.pop(digest, None)
    if max_cache_bytes:
        trim_cache(cache_dir, max_cache_bytes, keep=path)
    return path, False


def trim_cache(cache_dir: str | os.PathLike, max_bytes: int, keep: Path | None = None) -> int:
    """Delete the least recently written audio files until the cache fits in ``max_bytes``.
    Returns how many were deleted."""
    files = sorted(Path(cache_dir).glob("*/*.wav"), key=lambda f: f.stat().st_mtime)
    total = sum(f.stat().st_size for f in files)
    deleted = 0
    for old in files:
        if total <= max_bytes:
            break
        if old == keep:
            continue
        size = old.stat().st_size
        old.unlink(missing_ok=True)
        total -= size
        deleted += 1
    return deleted


# --- what a bubble says -----------------------------------------------------------------------

# Hidden labels, icons, the 「日本語のみ」 tag, and the resident's own answers (k-unspoken): the
# answers say something about the resident, so they stay out of URLs and the audio cache.
_UNSPOKEN = re.compile(
    r"<(span|p|div)\b[^>]*(?:class=\"[^\"]*\b(?:k-ja-only|k-visually-hidden|k-unspoken)\b[^\"]*\""
    r"|aria-hidden=\"true\")[^>]*>.*?</\1>",
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
    text = Markup(html).striptags()
    if len(text) <= MAX_CHARACTERS:
        return text
    # Too long to read in one go: stop at the last sentence that fits, not mid-word.
    cut = text[:MAX_CHARACTERS]
    end = max(cut.rfind(mark) for mark in "。.!?！？")
    return cut[:end + 1] if end > MAX_CHARACTERS // 2 else cut


def audio_url_for(text: str) -> str:
    from flask import url_for

    digest = speech_digest(text, current_app.config["SECRET_KEY"])
    return url_for("kiosk.speech_audio", digest=digest, text=text)


__all__ = ["SpeechBusy", "audio_url_for", "cached_or_synthesized", "speech_digest", "speech_text", "synthesize_wav",
           "trim_cache"]
