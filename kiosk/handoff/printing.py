"""Sending a PDF to a CUPS queue with `lp`, and telling the resident plainly what happened.

The handoff is saved before anything is printed, so a failed print loses nothing: the kiosk then
shows the QR code on screen and offers to call staff. CUPS_SERVER in the environment points `lp`
at another server (tests start a private cupsd).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

LP_TIMEOUT_SECONDS = 10
# After `lp` accepts a job, how long to watch it for a stop (paper out, printer gone).
WATCH_SECONDS = 3.0
HEALTH_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    reason: str  # "printed" | "no-printer" | "no-cups" | "rejected" | "stopped" | "timeout" | "busy" (workers)
    job: str | None = None
    detail: str = ""


def _run(args: list[str], data: bytes | None = None, env: dict | None = None,
         timeout: float = LP_TIMEOUT_SECONDS) -> subprocess.CompletedProcess:
    # The CUPS tools translate their output (リクエスト ID は …): read it in the C locale.
    env = {**(os.environ if env is None else env), "LC_ALL": "C", "LANG": "C"}
    return subprocess.run(args, input=data, capture_output=True, timeout=timeout, env=env)


def print_pdf(pdf: bytes, queue: str | None, env: dict | None = None, watch_seconds: float = WATCH_SECONDS,
              title: str = "handoff") -> PrintResult:
    """Print ``pdf`` on ``queue``. Never raises: the result says what went wrong (and the log, when it
    did not print)."""
    result = _send(pdf, queue, env, watch_seconds, title)
    if not result.ok:
        log.warning("print failed on queue %s: %s%s", queue or "(none configured)", result.reason,
                    f" ({result.detail})" if result.detail else "")
    return result


def _send(pdf: bytes, queue: str | None, env: dict | None, watch_seconds: float, title: str) -> PrintResult:
    if not queue:
        return PrintResult(False, "no-printer")
    lp = shutil.which("lp")
    if lp is None:
        return PrintResult(False, "no-cups", detail="the lp command is not installed (Debian: cups-client)")
    try:
        done = _run([lp, "-d", queue, "-t", title, "-o", "fit-to-page", "-"], pdf, env)
    except subprocess.TimeoutExpired:
        return PrintResult(False, "timeout")
    output = (done.stdout + done.stderr).decode(errors="replace").strip()
    if done.returncode != 0:
        unreachable = re.search(r"(connect|scheduler|server).*(not|refused|unable)|not running", output, re.I)
        # lp says "The printer or class does not exist." when the scheduler is unreachable too: ask lpstat.
        if not unreachable and not _scheduler_running(env):
            return PrintResult(False, "no-cups", detail=f"{output} (the CUPS scheduler is not running)")
        return PrintResult(False, "no-cups" if unreachable else "rejected", detail=output)
    match = re.search(r"request id is (\S+)", output)
    job = match.group(1) if match else None
    return _watch(job, queue, env, watch_seconds) if job else PrintResult(True, "printed", None, output)


def _scheduler_running(env: dict | None) -> bool:
    """Whether `lpstat -r` reaches the scheduler (True when it cannot tell). Its answer is translated: read it in C."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return True
    try:
        done = _run([lpstat, "-r"], env=env)
    except subprocess.TimeoutExpired:
        return False
    return "scheduler is running" in done.stdout.decode(errors="replace")


def _watch(job: str, queue: str, env: dict | None, seconds: float) -> PrintResult:
    """A job CUPS accepted can still stop (paper out, printer disabled): watch it briefly."""
    lpstat = shutil.which("lpstat")
    deadline = time.monotonic() + seconds
    while lpstat and time.monotonic() < deadline:
        try:  # one overall deadline: a slow lpstat cannot hold the resident's screen
            left = max(0.5, deadline - time.monotonic())
            pending = _run([lpstat, "-W", "not-completed", "-o", queue], env=env,
                           timeout=left).stdout.decode(errors="replace")
            left = max(0.5, deadline - time.monotonic())
            printer = _run([lpstat, "-p", queue], env=env, timeout=left).stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            # CUPS accepted the job; only watching it was slow. Saying "failed" would print twice.
            return PrintResult(True, "printed", job, "not confirmed in time")
        if job not in pending:
            return PrintResult(True, "printed", job)
        if "disabled" in printer or "stopped" in printer.lower():
            return PrintResult(False, "stopped", job, printer.strip())
        time.sleep(0.2)
    return PrintResult(True, "printed", job, "still queued")


def queue_problem(queue: str, env: dict | None = None) -> str | None:
    """What stops ``queue`` from printing, for /healthz: None when it is ready, else ``no-cups``
    (no lpstat, or the scheduler is not reached), ``missing`` (CUPS has no such queue) or
    ``disabled`` (stopped: paper out, paused by someone)."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return "no-cups"
    try:
        done = _run([lpstat, "-p", queue], env=env, timeout=HEALTH_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return "no-cups"
    output = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode != 0 or f"printer {queue} " not in output:
        return "missing" if _scheduler_running(env) else "no-cups"
    return "disabled" if "disabled" in output else None
