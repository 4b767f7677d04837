"""kiosk.handoff.printing against a real private cupsd (tests/cups_server.py): a real PDF queue writing to a file.

These need Debian's CUPS (see tests.cups_server.DEBIAN_PACKAGES; `make test` installs it) and fail, not
skip, when it is missing.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kiosk.handoff.printing import print_pdf
from tests.cups_server import DEBIAN_PACKAGES, GENERIC_PDF_PPD, CupsError, PrivateCups, cups_available


def _require_cups() -> None:
    if not cups_available():
        pytest.fail(f"cupsd/lpadmin not found: the printing tests need the Debian packages {DEBIAN_PACKAGES} "
                    f"(`make test` installs them; or: apt-get install {DEBIAN_PACKAGES})", pytrace=False)


@pytest.fixture(scope="module")
def cups():
    _require_cups()
    with PrivateCups() as server:
        yield server


@pytest.fixture(scope="module")
def pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>テスト</p>").write_pdf()


def test_prints_a_pdf_to_the_queue_file(cups, pdf, tmp_path):
    output = tmp_path / "printed.pdf"
    cups.add_pdf_queue("pdfq", output)

    result = print_pdf(pdf, "pdfq", env=cups.env)

    assert result.ok, result
    assert result.reason == "printed"
    assert result.job and result.job.startswith("pdfq-")
    printed = cups.wait_for_output(output)
    assert printed.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext not found: install the Debian package poppler-utils"
    text = subprocess.run([pdftotext, str(output), "-"], capture_output=True, check=True, timeout=30).stdout
    assert "テスト" in text.decode()


@pytest.mark.parametrize("queue", [None, ""])
def test_no_queue_configured_is_no_printer(cups, pdf, queue):
    result = print_pdf(pdf, queue, env=cups.env)

    assert not result.ok
    assert result.reason == "no-printer"


def test_unknown_queue_is_rejected(cups, pdf):
    result = print_pdf(pdf, "no-such-queue", env=cups.env)

    assert not result.ok
    assert result.reason == "rejected", result
    assert "does not exist" in result.detail


def test_disabled_queue_is_stopped(cups, pdf, tmp_path):
    cups.add_pdf_queue("pausedq", tmp_path / "paused.pdf")
    cups.disable("pausedq")

    result = print_pdf(pdf, "pausedq", env=cups.env)

    assert not result.ok
    assert result.reason == "stopped", result
    assert result.job and result.job.startswith("pausedq-")
    assert (tmp_path / "paused.pdf").read_bytes() == b""  # the queue's file exists beforehand: nothing written


def test_stopped_server_is_no_cups(pdf, tmp_path):
    _require_cups()
    with PrivateCups() as server:
        server.add_pdf_queue("pdfq", tmp_path / "never.pdf")
        server.stop()

        result = print_pdf(pdf, "pdfq", env=server.env)

    assert not result.ok
    assert result.reason == "no-cups", result
    assert (tmp_path / "never.pdf").read_bytes() == b""


def test_a_refused_queue_says_why_from_the_error_log(cups, pdf, tmp_path):
    """When the scheduler cannot write a file: queue, the harness quotes CUPS's own error_log line
    instead of timing out, so the next change in Debian's CUPS is diagnosed at once."""
    output = tmp_path / "missing-folder" / "out.pdf"
    cups._admin(["lpadmin", "-p", "brokenq", "-E", "-v", f"file://{output}",
                 "-m", GENERIC_PDF_PPD])

    assert print_pdf(pdf, "brokenq", env=cups.env).job

    with pytest.raises(CupsError) as refused:
        cups.wait_for_output(output, seconds=20)
    assert "could not open the output file" in str(refused.value)
