"""Benchmark: importing the seal-review ledger, now that the import also fills the assistant's
search tables (kiosk/catalog/ledger_index.py). For each size, on a fresh migrated database each
time, a synthetic ledger (`kiosk demo ledger`'s rows) imported three ways in the same run:

- raw SQL: the already-parsed rows put in `ledger_entries` with one executemany (the floor);
- without the search index: `import_ledger` with the index step left out (the import as it was
  before the index moved into the database);
- now: `import_ledger` as it is;

then the same file again with 100 changed rows (what a reviewer's monthly upload looks like).
``--previous PATH`` also times `import_ledger` of another checkout (e.g. `git archive HEAD`
unpacked into /tmp/base) in a child process, to check the in-process baseline against it.

    .venv/bin/python bench/ledger_import.py [--rows 5000 --rows 20000] [--repeat 3] [--previous /tmp/base]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREVIOUS = r"""
import sys, tempfile, time
from kiosk.catalog.ledger import import_ledger
from kiosk.assistant.text import shared_analyzer
from kiosk.db import connect
from kiosk.migrations import migrate
data = open(sys.argv[1], "rb").read()
shared_analyzer()
db = connect(tempfile.mkdtemp() + "/previous.db"); migrate(db)
t = time.perf_counter(); import_ledger(db, data, None); print(time.perf_counter() - t)
"""


def fresh_db():
    from kiosk.db import connect
    from kiosk.migrations import migrate

    db = connect(os.path.join(tempfile.mkdtemp(prefix="kiosk-import-"), "bench.db"))
    migrate(db)
    return db


def raw_sql(data: bytes) -> float:
    from kiosk.catalog.ledger import ImportReport, decode, read_rows

    rows = list(read_rows(decode(data)[0], None, ImportReport()))
    db = fresh_db()
    columns = [*rows[0], "imported_at", "updated_at"]
    started = time.perf_counter()
    with db.conn:
        db.conn.executemany(f"insert into ledger_entries ({', '.join(columns)}) values "
                            f"({', '.join('?' * len(columns))})", [[*r.values(), "t", "t"] for r in rows])
    return time.perf_counter() - started


def import_seconds(data: bytes, with_index: bool, db=None) -> float:
    from kiosk.catalog import ledger_index
    from kiosk.catalog.ledger import import_ledger

    db = db or fresh_db()
    real = ledger_index.index_rows
    if not with_index:
        ledger_index.index_rows = lambda *args, **kwargs: 0
    try:
        started = time.perf_counter()
        import_ledger(db, data, None)
        return time.perf_counter() - started
    finally:
        ledger_index.index_rows = real


def csv_bytes(rows: list[dict]) -> bytes:
    from kiosk.demo.load import write_ledger_csv

    out = io.StringIO(newline="")
    write_ledger_csv(rows, out)
    return out.getvalue().encode()


def one_size(size: int, repeat: int, previous: str | None) -> None:
    from kiosk.demo.load import synthetic_ledger_rows

    rows = synthetic_ledger_rows(size)
    data = csv_bytes(rows)
    changed = [dict(r) for r in rows]
    for row in changed[:100]:
        row["備考"] = "様式改正済み（再確認）"
    changed_data = csv_bytes(changed)
    raw = statistics.median(raw_sql(data) for _ in range(repeat))
    before = statistics.median(import_seconds(data, with_index=False) for _ in range(repeat))
    now = statistics.median(import_seconds(data, with_index=True) for _ in range(repeat))
    again = []
    for _ in range(repeat):
        db = fresh_db()
        import_seconds(data, with_index=True, db=db)
        again.append(import_seconds(changed_data, with_index=True, db=db))
    print(f"{size:,} rows: raw SQL insert {raw:.2f} s; import without the search index {before:.2f} s; "
          f"import now {now:.2f} s ({now / before:.2f}x); "
          f"the same file with 100 changed rows {statistics.median(again):.2f} s")
    if previous:
        with tempfile.NamedTemporaryFile(suffix=".csv") as file:
            file.write(data)
            file.flush()
            env = {**os.environ, "PYTHONPATH": previous}
            times = [float(subprocess.run([sys.executable, "-c", PREVIOUS, file.name], env=env, cwd=previous,
                                          capture_output=True, text=True, check=True).stdout.split()[-1])
                     for _ in range(repeat)]
        print(f"  import_ledger of {previous}: {statistics.median(times):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--previous", help="another checkout whose import_ledger to time too")
    args = parser.parse_args()
    from kiosk.assistant.text import shared_analyzer

    shared_analyzer()  # the dictionary's load is not the import's
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for size in args.rows or [5000, 20000]:
        one_size(size, args.repeat, args.previous)


if __name__ == "__main__":
    main()
