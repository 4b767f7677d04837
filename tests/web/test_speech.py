"""「読み上げ」: Japanese synthesised on the server by Open JTalk, cached; other languages hand
the text to the browser's voice."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from tests.fixtures import soup


def speak_buttons(kiosk, url="/chat"):
    return soup(kiosk.get(url)).select("button.k-speak")


def test_japanese_bubbles_and_steps_have_server_audio(kiosk):
    kiosk.start("ja")
    [greeting] = speak_buttons(kiosk)
    assert greeting["data-speak-src"].startswith("/speech/") and greeting.get("hidden") is None
    steps = speak_buttons(kiosk, "/guide/residence-certificate/convenience-store/1")
    assert len(steps) == 1 and "data-speak-src" in steps[0].attrs


def test_speech_returns_audio_and_serves_the_cached_file_the_second_time(kiosk):
    kiosk.start("ja")
    url = speak_buttons(kiosk, "/guide/residence-certificate/convenience-store/1")[0]["data-speak-src"]
    first = kiosk.get(url)
    first_audio = first.get_data()
    first.close()  # send_file's handle
    assert first.status_code == 200 and first.mimetype == "audio/wav"
    assert first.headers["X-Speech-Cache"] == "miss"
    with wave.open(io.BytesIO(first_audio)) as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
        seconds = audio.getnframes() / audio.getframerate()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")
    assert 2 < seconds < 60  # a step title and body read aloud
    assert np.sqrt(np.mean(samples.astype(float) ** 2)) > 300  # speech, not silence
    cached = list(Path(kiosk.app.config["SPEECH_CACHE_DIR"]).rglob("*.wav"))
    assert len(cached) == 1
    modified = cached[0].stat().st_mtime_ns
    second = kiosk.get(url)
    second_audio = second.get_data()
    second.close()
    assert second.status_code == 200 and second.headers["X-Speech-Cache"] == "hit"
    assert second_audio == first_audio
    assert cached[0].stat().st_mtime_ns == modified and len(list(cached[0].parent.parent.rglob("*.wav"))) == 1


def test_only_text_the_app_rendered_is_spoken(kiosk):
    kiosk.start("ja")
    url = speak_buttons(kiosk)[0]["data-speak-src"]
    path, query = url.split("?", 1)
    assert kiosk.get(f"{path}?text=%E3%81%82").status_code == 404  # another text with this digest
    assert kiosk.get("/speech/" + "0" * 40 + ".wav?text=%E3%81%82").status_code == 404
    assert kiosk.get("/speech/not-a-digest.wav").status_code == 404
    assert kiosk.get(path).status_code == 404  # not cached yet, and no text to make it from
    assert not list(Path(kiosk.app.config["SPEECH_CACHE_DIR"]).rglob("*.wav"))


def test_spoken_text_leaves_out_hidden_labels(kiosk):
    from urllib.parse import parse_qs, urlsplit

    kiosk.start("ja")
    url = speak_buttons(kiosk)[0]["data-speak-src"]
    text = parse_qs(urlsplit(url).query)["text"][0]
    assert text.startswith("こんにちは。") and "案内:" not in text


def test_other_languages_use_the_browser_voice(kiosk):
    kiosk.start("ko")
    [button] = speak_buttons(kiosk)
    assert button["data-speak-lang"] == "ko-KR" and button.has_attr("hidden")  # shown by kiosk.js if a voice exists
    assert "data-speak-src" not in button.attrs and button["data-speak-text"]


def test_untranslated_japanese_is_not_given_to_another_voice(client):
    from kiosk.reading_aids.speech import speech_text

    html = '<p>Fee</p><p><span lang="ja">1通200円</span> <span class="k-ja-only">Japanese only</span></p>'
    assert speech_text(html, keep_japanese=False) == "Fee"
    assert speech_text(html, keep_japanese=True) == "Fee 1通200円"


def test_the_residents_answers_are_not_read_aloud(kiosk):
    from urllib.parse import parse_qs, urlsplit

    kiosk.start("ja")
    kiosk.post("/chat/category", {"category": "certificates", "turn": 0})
    kiosk.post("/chat/procedure", {"procedure": "residence-certificate", "turn": 1})
    for turn in (2, 3, 4, 5):  # card, card valid, certificate valid, PIN
        kiosk.post("/chat/answer", {"answer": "yes", "turn": turn})
    kiosk.post("/chat/readiness", {"answer": "yes", "turn": 6})  # 15 or over
    page = soup(kiosk.get("/chat"))
    latest = page.select(".k-bubble--assistant")[-1]
    assert latest.select_one(".k-bubble__basis")  # the answers are shown…
    text = parse_qs(urlsplit(latest.select_one(".k-speak")["data-speak-src"]).query)["text"][0]
    assert "おすすめは" in text and "あなたの答え" not in text  # …but not read, cached or put in a URL


def test_long_text_stops_at_a_sentence():
    from kiosk.reading_aids.speech import MAX_CHARACTERS, speech_text

    html = "<p>" + "あいうえおかきくけこ。" * 200 + "</p>"
    text = speech_text(html)
    assert len(text) <= MAX_CHARACTERS and text.endswith("。")


def test_concurrent_requests_for_one_text_synthesise_once(kiosk):
    from concurrent.futures import ThreadPoolExecutor

    kiosk.start("ja")
    url = speak_buttons(kiosk, "/guide/moving-in/counter-card/1")[0]["data-speak-src"]

    def fetch(_):
        response = kiosk.app.test_client().get(url)  # another kiosk: the audio needs no session
        response.close()
        return response.headers["X-Speech-Cache"]

    with ThreadPoolExecutor(4) as pool:
        results = sorted(pool.map(fetch, range(4)))
    assert results == ["hit", "hit", "hit", "miss"]


def test_a_full_worker_pool_answers_busy_and_the_text_is_read_once_a_slot_is_free(kiosk):
    from tests.web.test_workers_busy import every_worker_slot_taken

    kiosk.start("ja")
    url = speak_buttons(kiosk)[0]["data-speak-src"]
    with every_worker_slot_taken(kiosk.app):  # sheets being laid out, other texts being read
        response = kiosk.get(url)
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    response = kiosk.get(url)
    response.close()
    assert response.status_code == 200 and response.headers["X-Speech-Cache"] == "miss"


def test_the_cache_is_kept_under_its_size_limit(tmp_path):
    import os
    import time

    from kiosk.reading_aids.speech import cache_path, trim_cache

    paths = []
    for number in range(5):
        path = cache_path(tmp_path, f"{number:02d}" + "a" * 38)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (time.time() + number, time.time() + number))
        paths.append(path)
    assert trim_cache(tmp_path, 2500, keep=paths[0]) == 3
    assert [p.exists() for p in paths] == [True, False, False, False, True]
