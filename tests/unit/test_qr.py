"""The one QR helper: sized in millimetres (paper) or pixels (screens), named for screen readers,
and read back by zbar once WeasyPrint and poppler have drawn it."""

from __future__ import annotations

import re
import subprocess

import pytest
from bs4 import BeautifulSoup

from kiosk.qr import qr_svg

LINK = "https://ward.example.jp/enroll/3q2-Hk_9vXb0aYtZ1cL8mN4pQ7rS6uW5"


def decoded(svg: str, tmp_path, dpi: int = 200) -> set[str]:
    from weasyprint import HTML

    pdf = tmp_path / "qr.pdf"
    HTML(string=f"<!doctype html><html><body style='margin: 10mm'>{svg}</body></html>").write_pdf(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(tmp_path / "qr")], check=True)
    found = set()
    for image in sorted(tmp_path.glob("qr*.png")):
        result = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True)
        found |= {line for line in result.stdout.splitlines() if line}
    return found


@pytest.mark.parametrize("size", [{"module_mm": 0.5}, {"module_px": 4}])
def test_both_sizes_decode(size, tmp_path):
    assert decoded(str(qr_svg(LINK, "QR", **size)), tmp_path) == {LINK}


def test_the_size_is_the_module_count_times_the_module():
    svg = BeautifulSoup(str(qr_svg(LINK, "QR", module_px=4)), "html.parser").svg
    modules = int(svg["viewbox"].split()[2])  # the viewBox counts modules, quiet zone included
    assert svg["width"] == svg["height"] == f"{modules * 4}px"
    mm = BeautifulSoup(str(qr_svg(LINK, "QR", module_mm=0.8)), "html.parser").svg
    assert mm["width"] == f"{modules * 0.8:.2f}mm"


def test_one_size_attribute_each_a_name_and_no_fixed_id():
    svg = str(qr_svg(LINK, 'Enrollment "link" <QR> & more', module_mm=1.0))
    opening = svg.split(">", 1)[0]
    assert opening.count(" width=") == 1 and opening.count(" height=") == 1
    assert 'role="img"' in opening
    assert 'aria-label="Enrollment &quot;link&quot; &lt;QR&gt; &amp; more"' in opening
    assert not re.search(r'\bid="', svg)  # two codes on one page would repeat it


@pytest.mark.parametrize("size", [{}, {"module_mm": 1.0, "module_px": 4}])
def test_exactly_one_size_is_given(size):
    with pytest.raises(ValueError, match="module_mm.*module_px"):
        qr_svg(LINK, "QR", **size)
