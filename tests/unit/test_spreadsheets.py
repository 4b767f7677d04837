"""The one CSV streamer for Excel: a BOM (or CP932), CRLF, pieces, and no cell run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from kiosk.spreadsheets import ROWS_PER_PIECE, excel_safe, stream_csv


@pytest.mark.parametrize(("cell", "kept"), [
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+81", "'+81"), ("-1", "'-1"), ("@SUM", "'@SUM"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), (-1, -1), (None, None),
])
def test_excel_safe(cell, kept):
    assert excel_safe(cell) == kept


def test_utf8_has_a_bom_crlf_and_guarded_cells():
    body = b"".join(stream_csv([(1, "=cmd()", None, "北出張所")], ("id", "note", "empty", "site"), "utf-8"))
    assert body == "\ufeffid,note,empty,site\r\n1,'=cmd(),,北出張所\r\n".encode()


def test_cp932_has_no_bom_and_replaces_what_it_lacks():
    body = b"".join(stream_csv([("北", "🙂")], ("a", "b"), "cp932"))
    assert body == "a,b\r\n北,?\r\n".encode("cp932")


def test_rows_are_streamed_in_pieces():
    rows = ((n, f"row {n}") for n in range(ROWS_PER_PIECE * 2 + 1))
    pieces = list(stream_csv(rows, ("n", "text"), "utf-8"))
    assert len(pieces) == 3
    table = list(csv.reader(io.StringIO(b"".join(pieces).decode("utf-8-sig"))))
    assert len(table) == ROWS_PER_PIECE * 2 + 2 and table[-1] == [str(ROWS_PER_PIECE * 2), f"row {ROWS_PER_PIECE * 2}"]


def test_the_audit_csv_is_byte_for_byte_what_its_own_writer_made():
    """The audit log used its own csv.writer loop before; the shared streamer writes the same bytes."""
    header = ("id", "at", "username", "action", "entity", "entity_id", "before", "after")
    rows = [(1, "2026-01-01T00:00:00+00:00", "=admin", "create", "site", "1", None, '{"name": "北, \\"x\\""}'),
            (2, "2026-01-02T00:00:00+00:00", None, "export", "audit_log", None, None, None)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    writer.writerows([[excel_safe(cell) for cell in row] for row in rows])
    assert b"".join(stream_csv(rows, header, "utf-8")) == buffer.getvalue().encode("utf-8")
