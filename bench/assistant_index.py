"""Benchmark: the assistant's index at ledger scale. For each size: the import (which now also
indexes the rows for the search), then in new processes `create_app()`, the serving process's RSS,
the one search (`understand`) over 100 typed queries, and `kiosk ask` with those 100 queries as a
whole command. The same-run baseline is the previous design, every ledger row analysed into an
in-memory index (`build_index(..., ledger_entries)`), measured in its own process.

    .venv/bin/python bench/assistant_index.py [--rows 5000 --rows 200000] [--baseline-max 50000]
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import temporary_instance

QUERIES = [q for q in """住民票 じゅうみんひょう 十民表 印鑑証明 父が亡くなった 会社を辞めた 粗大ごみ 犬を飼い始めた
転入届 引っ越してきた 課税証明書 课税证明 주민표 출생신고 passport juuminhyou 保育園に入れたい マイナンバーカード
暗証番号を忘れた 道路占用許可""".split()]
QUERIES = (QUERIES * 5)[:100]

MEASURE = r"""
import json, resource, statistics, sys, time
t0 = time.perf_counter()
from kiosk import create_app
app = create_app()
started = time.perf_counter() - t0
from kiosk.assistant.understanding import understand
queries = json.loads(sys.argv[1])
with app.app_context():
    understand("住民票", "ja")
    times = []
    for q in queries:
        t = time.perf_counter(); understand(q, "ja"); times.append((time.perf_counter() - t) * 1000)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"create_app": started, "median_ms": statistics.median(times), "p95_ms": sorted(times)[94],
                  "max_ms": max(times), "rss_mb": rss}))
"""

BASELINE = r"""
import json, resource, statistics, sys, time
from kiosk import create_app
app = create_app()
from kiosk.assistant.search import build_index
from kiosk.catalog import base_catalog
from kiosk.db import connect
with app.app_context():
    catalog = base_catalog()
    db = connect(app.config["DATABASE"])
    entries = list(db.query("select key, name, department, procedure_id from ledger_entries"))
    t = time.perf_counter()
    index = build_index(catalog.procedures.values(), entries, events=catalog.life_events.values(),
                        authorities=catalog.other_authorities.values())
    built = time.perf_counter() - t
    times = []
    for q in json.loads(sys.argv[1]):
        t = time.perf_counter(); index.search(q); times.append((time.perf_counter() - t) * 1000)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"build_s": built, "median_ms": statistics.median(times), "max_ms": max(times), "rss_mb": rss}))
"""


def run_python(code: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", code, json.dumps(QUERIES, ensure_ascii=False)], env=env,
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def one_size(rows: int, baseline_max: int) -> None:
    from kiosk import create_app
    from kiosk.catalog import base_catalog
    from kiosk.catalog.ledger import import_ledger
    from kiosk.db import connect
    from kiosk.demo.load import synthetic_ledger_rows, write_ledger_csv
    from kiosk.migrations import migrate

    _, env = temporary_instance("kiosk-index-")
    app = create_app()
    with app.app_context():
        ids = list(base_catalog().procedures)
    db = connect(env["KIOSK_DATABASE"])
    migrate(db)
    out = io.StringIO(newline="")
    write_ledger_csv(synthetic_ledger_rows(rows, procedure_ids=ids), out)
    started = time.perf_counter()
    import_ledger(db, out.getvalue().encode(), ids)
    imported = time.perf_counter() - started
    db.conn.close()
    now = run_python(MEASURE, env)
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "kiosk"), "ask", "--json"], input="\n".join(QUERIES), env=env,
                   capture_output=True, text=True, check=True, cwd=ROOT)
    ask = time.perf_counter() - started
    print(f"{rows:,} ledger rows: import (with the search index) {imported:.1f} s; create_app() "
          f"{now['create_app']:.2f} s; RSS {now['rss_mb']:.0f} MB; understand() median {now['median_ms']:.1f} ms, "
          f"p95 {now['p95_ms']:.1f} ms, max {now['max_ms']:.1f} ms; `kiosk ask` 100 queries {ask:.1f} s")
    if rows <= baseline_max:
        before = run_python(BASELINE, env)
        print(f"  baseline, in-memory index of every row: built in {before['build_s']:.2f} s, RSS "
              f"{before['rss_mb']:.0f} MB, search() median {before['median_ms']:.1f} ms, max {before['max_ms']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--baseline-max", type=int, default=50_000, help="largest size measured in-memory too")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    for rows in args.rows or [5000, 200_000]:
        one_size(rows, args.baseline_max)


if __name__ == "__main__":
    main()
