"""Heavy work off the request threads: PDF layout (WeasyPrint) and speech synthesis (Open JTalk)
run in a small pool of worker processes, so that they neither hold the server's interpreter lock
nor take every CPU from the chat.

- WORKER_PROCESSES processes (0: run in the request thread, one job at a time), started on first use with
  the "spawn" method on every system (safe beside the server's threads, and what Windows has), at a
  lower CPU priority than the server so that a resident's tap wins over a sheet being laid out.
- At most WORKER_QUEUE_LIMIT jobs accepted at once (running and waiting); one more raises
  WorkersBusy, which the app answers with a 503 "busy, try again" page instead of tying up a
  server thread for seconds.
- Jobs are plain functions of plain values (HTML → PDF bytes, text → WAV bytes): the request thread
  renders the template and does the database work; the worker only computes.

One pool per process and size, shared by every app built in it (tests build hundreds).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request

from kiosk.web.urls import local_path

Result = TypeVar("Result")

WORKER_NICENESS = 10  # how much lower than the server the workers run (Unix)
RETRY_AFTER_SECONDS = 3


class WorkersBusy(Exception):
    """Every worker slot is taken: the caller should answer "busy, try again"."""


def _lower_priority() -> None:
    if hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICENESS)
        except OSError:  # not allowed here: run at normal priority
            pass


class WorkerPool:
    """A bounded process pool. ``run(function, *args)`` returns the function's result, computed in
    a worker process (or in this thread when ``processes`` is 0); raises WorkersBusy when
    ``queue_limit`` jobs are already accepted."""

    def __init__(self, processes: int, queue_limit: int) -> None:
        self.processes = processes
        self.queue_limit = queue_limit
        self._slots = threading.BoundedSemaphore(queue_limit)
        self._accepted = 0
        self._lock = threading.Lock()
        # Without processes, one job at a time: WeasyPrint's Pango and GLib corrupt their state when
        # several threads lay out at once ("GLib-CRITICAL … g_queue_push_head_link", seen in the bench).
        self._inline = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    @property
    def accepted(self) -> int:
        """Jobs running or waiting now."""
        return self._accepted

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.processes, mp_context=multiprocessing.get_context("spawn"), initializer=_lower_priority)
            return self._executor

    def _replace_broken(self, broken: ProcessPoolExecutor) -> None:
        # A worker killed from outside (out of memory, an operator) breaks the whole executor:
        # start a fresh one for the next job rather than failing every job from now on.
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def run(self, function: Callable[..., Result], *args) -> Result:
        if not self._slots.acquire(blocking=False):
            raise WorkersBusy()
        with self._lock:
            self._accepted += 1
        try:
            if not self.processes:
                with self._inline:
                    return function(*args)
            for attempt in (1, 2):
                executor = self._pool()
                try:
                    return executor.submit(function, *args).result()
                except BrokenProcessPool:
                    self._replace_broken(executor)
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        finally:
            with self._lock:
                self._accepted -= 1
            self._slots.release()

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_pools: dict[tuple[int, int], WorkerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(processes: int, queue_limit: int) -> WorkerPool:
    with _pools_lock:
        pool = _pools.get((processes, queue_limit))
        if pool is None:
            pool = _pools[(processes, queue_limit)] = WorkerPool(processes, queue_limit)
            atexit.register(pool.shutdown)
        return pool


def worker_pool(app: Flask | None = None) -> WorkerPool:
    return (app or current_app).extensions["kiosk_workers"]


def run_in_worker(function: Callable[..., Result], *args) -> Result:
    """``function(*args)`` in the current app's worker pool. Raises WorkersBusy."""
    return worker_pool().run(function, *args)


def init_app(app: Flask) -> None:
    app.extensions["kiosk_workers"] = shared_pool(app.config["WORKER_PROCESSES"], app.config["WORKER_QUEUE_LIMIT"])

    @app.errorhandler(WorkersBusy)
    def busy(error: WorkersBusy):
        # The endpoint, not the path: a sheet's path holds its handoff code, which stays out of the log.
        app.logger.warning("workers busy: %s %s refused, all %d worker slots taken", request.method, request.endpoint,
                           worker_pool(app).queue_limit)
        # The same address again for a page or a PDF; after a form, the page the form was on.
        if request.method == "GET":
            retry = request.full_path.rstrip("?")
        else:
            retry = local_path(urlsplit(request.referrer or "").path, "")
        return (render_template("busy.html", retry_url=retry), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})
