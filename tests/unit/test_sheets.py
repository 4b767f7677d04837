"""The handoff sheet as a real PDF: WeasyPrint output rasterised with poppler and read with zbar,
fonts checked with pdffonts, text with pdftotext."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from kiosk import create_app
from kiosk.catalog import get_catalog
from kiosk.db import connect
from kiosk.handoff import records as handoffs
from kiosk.handoff.sheet import render_handoff_pdf
from kiosk.i18n.formats import japanese_date
from tests.conftest import make_config

BASE = "https://ward.example.jp"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One A4 and one 80 mm sheet (Japanese), and A4 sheets in English, Korean and Nepali."""
    tmp = tmp_path_factory.mktemp("sheets")
    app = create_app(make_config(tmp))
    db = connect(app.config["DATABASE"])
    out = {}
    with app.test_request_context():
        catalog = get_catalog()
        proc = catalog.procedures["residence-certificate"]
        for name, layout, locale in (("a4", "a4", "ja"), ("80mm", "80mm", "ja"), ("en", "a4", "en"),
                                     ("ko", "a4", "ko"), ("ne", "a4", "ne")):
            record = handoffs.create_handoff(db, procedure_id=proc.id, channel_id="convenience-store",
                                             session_ref="s", readiness=[], site_id=None, device_id=None,
                                             locale=locale, days=90)
            pdf = render_handoff_pdf(handoff=record, procedure=proc, channel=proc.channel("convenience-store"),
                                     needs=catalog.needs, layout=layout, public_base_url=BASE)
            path = tmp / f"{name}.pdf"
            path.write_bytes(pdf)
            out[name] = (path, record)
    db.conn.close()
    return out


def decode_qr(pdf, dpi: int, tmp_path) -> set[str]:
    prefix = tmp_path / f"page{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    found = set()
    for image in sorted(tmp_path.glob(f"page{dpi}*.png")):
        result = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True)
        found |= {line for line in result.stdout.splitlines() if line}
    return found


def test_a4_qr_codes_decode_at_300_dpi(rendered, tmp_path):
    path, record = rendered["a4"]
    assert decode_qr(path, 300, tmp_path) == {"https://www.lg-waps.go.jp/", f"{BASE}/h/{record['code']}"}


def test_80mm_qr_codes_decode_at_203_dpi(rendered, tmp_path):
    path, record = rendered["80mm"]
    assert decode_qr(path, 203, tmp_path) == {"https://www.lg-waps.go.jp/", f"{BASE}/h/{record['code']}"}


def test_80mm_page_is_80mm_wide(rendered):
    info = subprocess.run(["pdfinfo", str(rendered["80mm"][0])], capture_output=True, text=True).stdout
    width_pt = float(info.split("Page size:")[1].split("x")[0])
    assert abs(width_pt / 72 * 25.4 - 80) < 0.5


@pytest.mark.parametrize("name", ["a4", "80mm", "en"])
def test_font_is_embedded(rendered, name):
    fonts = subprocess.run(["pdffonts", str(rendered[name][0])], capture_output=True, text=True).stdout
    lines = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert lines and all("BIZ-UDGothic" in line for line in lines), fonts
    assert all(line.split()[-5] == "yes" for line in lines), fonts  # the "emb" column


def test_japanese_text_comes_back(rendered):
    path, record = rendered["a4"]
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    for expected in ("住民票の写しの交付", "押印は不要です", "マイナンバーカード", "利用者証明用電子証明書の暗証番号",
                     record["display_code"], "令和", "個人情報は書かれていません"):
        assert expected in " ".join(text.split()).replace(" ", "") or expected in text, expected


def test_english_sheet_keeps_the_japanese_title_for_staff(rendered):
    text = subprocess.run(["pdftotext", str(rendered["en"][0]), "-"], capture_output=True, text=True).stdout
    assert "For staff:" in text or "職員" in text
    assert "住民票の写しの交付" in text
    assert "No seal is needed" in text


def pdf_fonts(path) -> list[str]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines()[2:] if line.strip()]


@pytest.mark.parametrize(("name", "expected_text", "font"), [
    ("ko", "주민표 사본", "Noto-Sans-CJK-KR"),  # Hangul is not in BIZ UDGothic: Noto Sans CJK draws it
    ("ne", "निवासी प्रमाणपत्र", "Devanagari"),  # pdftotext splits some shaped conjuncts: a plain word
])
def test_sheets_in_other_scripts_print_their_text(rendered, name, expected_text, font):
    path, record = rendered[name]
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    assert expected_text in text
    assert record["display_code"] in text
    assert "住民票の写しの交付" in text  # the Japanese title for staff
    fonts = pdf_fonts(path)
    assert any(font in line for line in fonts), fonts
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded


def test_korean_sheet_dates_are_korean(rendered):
    path, record = rendered["ko"]
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    created = dt.datetime.fromisoformat(record["created_at"]).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    assert f"{created.year}년 {created.month}월 {created.day}일" in text


def test_japanese_era_dates():
    assert japanese_date(dt.date(2026, 11, 27)) == "令和8年11月27日"
    assert japanese_date(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert japanese_date(dt.date(2019, 4, 30)) == "平成31年4月30日"
