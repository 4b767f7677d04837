"""The worker pool: heavy jobs run in other processes, at most WORKER_QUEUE_LIMIT at once, and a
worker that dies is replaced."""

from __future__ import annotations

import os
import threading
import time

import pytest

from kiosk.pdf import pdf_from_html
from kiosk.workers import WorkerPool, WorkersBusy


def _pid_and_niceness() -> tuple[int, int]:
    return os.getpid(), os.nice(0)


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _die() -> None:
    os._exit(3)  # as an out-of-memory kill would: no exception, the process is gone


@pytest.fixture(scope="module")
def pool():
    pool = WorkerPool(processes=2, queue_limit=3)
    yield pool
    pool.shutdown()


def test_jobs_run_in_other_processes_at_a_lower_priority(pool):
    pid, niceness = pool.run(_pid_and_niceness)
    assert pid != os.getpid()
    assert niceness >= min(os.nice(0) + 10, 19)


def test_a_sheet_is_laid_out_in_a_worker(pool):
    pdf = pool.run(pdf_from_html, "<!doctype html><html lang=ja><body><p>住民票の写し</p></body></html>")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_one_job_over_the_limit_is_refused_at_once_and_the_pool_serves_again_after(pool):
    results: list[float] = []
    runners = [threading.Thread(target=lambda: results.append(pool.run(_sleep, 0.5))) for _ in range(3)]
    for runner in runners:
        runner.start()
    deadline = time.monotonic() + 5
    while pool.accepted < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(WorkersBusy):
        pool.run(_sleep, 0)
    assert time.monotonic() - started < 0.1  # refused, not queued
    for runner in runners:
        runner.join()
    assert results == [0.5, 0.5, 0.5] and pool.accepted == 0
    assert pool.run(_sleep, 0) == 0


def test_a_worker_that_dies_is_replaced(pool):
    from concurrent.futures.process import BrokenProcessPool

    with pytest.raises(BrokenProcessPool):
        pool.run(_die)  # dies again in the fresh executor, so the second attempt fails too
    assert pool.run(_sleep, 0) == 0


def test_no_processes_runs_in_the_calling_thread_with_the_same_limit():
    pool = WorkerPool(processes=0, queue_limit=1)
    assert pool.run(os.getpid) == os.getpid()
    release = threading.Event()
    holder = threading.Thread(target=pool.run, args=(release.wait, 5))
    holder.start()
    try:
        deadline = time.monotonic() + 5
        while pool.accepted < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(WorkersBusy):
            pool.run(os.getpid)
    finally:
        release.set()
        holder.join()
