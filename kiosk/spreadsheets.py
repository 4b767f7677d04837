"""Files staff open in Excel: CSV that Japanese Excel reads correctly (UTF-8 with a BOM, or CP932;
CRLF line ends), streamed in pieces, and a guard that keeps any cell from running as a formula.
Used by the statistics exports and the audit-log download.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

# Pieces of this many rows are yielded: few enough writes, flat memory.
ROWS_PER_PIECE = 2000


def excel_safe(cell):
    """Text that Excel would run as a formula (=, +, -, @, tab, CR first) is kept as text."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def stream_csv(rows: Iterable[Iterable], header: Iterable[str], encoding: str) -> Iterator[bytes]:
    """CSV for Japanese Excel: UTF-8 with BOM (or CP932), CRLF, streamed in pieces. Characters
    CP932 lacks become "?" rather than failing the download halfway."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if encoding == "utf-8":
        buffer.write("\ufeff")  # without it Excel reads UTF-8 as CP932
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([excel_safe(cell) for cell in row])
        count += 1
        if count % ROWS_PER_PIECE == 0:
            yield buffer.getvalue().encode(encoding, errors="replace")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode(encoding, errors="replace")
