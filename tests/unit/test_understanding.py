"""The one search: language detection, script folding, life events, other authorities, and the
decision between starting something and offering candidates."""

from __future__ import annotations

import pytest

from kiosk.assistant.language import detect_language
from kiosk.assistant.scripts import romaji_to_kana, simplified_to_japanese
from kiosk.assistant.search import Match, build_index
from kiosk.assistant.understanding import decide, understand_with
from kiosk.catalog.loader import ContentError, load_catalog
from tests.conftest import CONTENT


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONTENT)


@pytest.fixture(scope="module")
def index(catalog):
    return build_index(catalog.procedures.values(), events=catalog.life_events.values(),
                       authorities=catalog.other_authorities.values())


@pytest.fixture(scope="module")
def events(catalog):
    return {e.id: tuple(e.procedures) for e in catalog.life_events.values()}


@pytest.mark.parametrize(("text", "screen", "language"), [
    ("주민표를 발급받고 싶어요", "ja", "ko"),
    ("मेरो बुबा बित्नुभयो", "ja", "ne"),
    ("课税证明", "ja", "zh_Hans"),  # 课 and 证 are never Japanese
    ("住民票", "zh_Hans", "zh_Hans"),  # Han alone keeps a Chinese screen
    ("住民票", "en", "ja"),
    ("じゅうみんひょう", "ja@easy", "ja@easy"),  # やさしい日本語 is Japanese: no offer to switch
    ("meu filho nasceu, como registrar", "ja", "pt_BR"),
    ("namatay ang asawa ko", "ja", "tl"),
    ("giấy khai sinh", "ja", "vi"),
    ("juuminhyou no utsushi", "ja", "ja"),  # romaji on the Japanese screen stays Japanese
    ("sofa", "ko", "ko"),  # too short to tell: the screen's language
    ("atestado de residência", "pt_BR", "pt_BR"),  # ê is Portuguese too, not only Vietnamese
])
def test_the_language_typed_whatever_the_screen(text, screen, language):
    assert detect_language(text, screen) == language


def test_script_folding():
    assert simplified_to_japanese("课税证明") == "課税証明"
    assert simplified_to_japanese("户籍誊本") == "戸籍謄本"
    assert romaji_to_kana("juuminhyou") == "じゅうみんひょう"
    assert romaji_to_kana("I got a new puppy") is None  # English is not romaji
    assert romaji_to_kana("住民票") is None


@pytest.mark.parametrize(("text", "screen", "action", "answer"), [
    ("父が亡くなった", "ja", "event", "death-in-family"),
    ("会社を辞めた", "ja", "event", "leaving-job"),
    ("パスポートを申請したい", "ja", "elsewhere", "passport"),
    ("课税证明", "ja", "procedure", "tax-certificate"),  # simplified Chinese meets 課税証明
    ("juuminhyou", "ja", "procedure", "residence-certificate"),
])
def test_situations_scripts_and_other_authorities(index, events, text, screen, action, answer):
    understanding = understand_with(index, None, text, screen, events=events)
    assert (understanding.action, understanding.best.id) == (action, answer)


def test_an_authority_never_starts_a_guide_and_is_never_a_candidate(index, events):
    understanding = understand_with(index, None, "パスポートを申請したい", "ja", events=events)
    assert not understanding.confident or understanding.action == "elsewhere"
    assert all(m.kind != "elsewhere" for m in understanding.candidates if understanding.action == "candidates")


def test_nothing_matches_small_talk(index, events):
    understanding = understand_with(index, None, "今日の天気", "ja", events=events)
    assert understanding.action in ("nothing", "candidates") and not understanding.confident


def test_a_life_event_and_its_own_procedure_do_not_compete():
    events = {"death-in-family": ("death-registration", "health-insurance-leave")}
    close = [Match("death-in-family", "", "event", 1.0), Match("death-registration", "", "procedure", 0.95)]
    assert decide(close, events) == "event"
    assert decide(close, {}) == "candidates"  # unrelated, they are too close to choose


def test_another_authority_needs_a_clear_lead():
    close = [Match("pension-payments", "", "elsewhere", 0.8), Match("pension-exemption", "", "procedure", 0.75)]
    assert decide(close) == "candidates"
    clear = [Match("passport", "", "elsewhere", 1.2), Match("family-register-certificate", "", "procedure", 0.5)]
    assert decide(clear) == "elsewhere"


def test_a_life_event_naming_an_unknown_procedure_is_reported_with_its_key_path(content_copy):
    path = content_copy / "life_events.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("      - dog-registration\n",
                                                             "      - cat-registration\n", 1), encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_catalog(content_copy)
    [problem] = raised.value.problems
    assert problem.file.endswith("life_events.yaml")
    assert problem.path == "life_events[1].procedures[5]"  # arriving's sixth procedure
    assert "cat-registration" in problem.message


def test_life_events_and_other_authorities_are_optional(content_copy):
    (content_copy / "life_events.yaml").unlink()
    (content_copy / "other_authorities.yaml").unlink()
    catalog = load_catalog(content_copy)
    assert catalog.life_events == {} and catalog.other_authorities == {}
