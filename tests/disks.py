"""Real broken disks for tests: a small tmpfs that can be filled or remounted read-only, and a
read-only bind mount over one file (what chmod 444 does for the service user: root ignores file
modes, not a read-only mount). Mounting needs root, as in CI; without it the test fails and says so."""

from __future__ import annotations

import contextlib
import gc
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

FILLER = "filler.bin"


def _mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.fail("these tests mount a small tmpfs (a full disk, a read-only disk) and need root, "
                    "as in CI; run them as root")
    for _ in range(50):
        result = subprocess.run(["mount", *args], capture_output=True, text=True)
        if result.returncode == 0:
            return
        if "busy" not in result.stderr:
            break
        # A server thread may still be closing the last request's connection: a read-only
        # remount waits for files open for writing to close.
        gc.collect()
        time.sleep(0.1)
    pytest.fail(f"mount {' '.join(args)} failed: {result.stderr.strip()}")


def _unmount(target: Path) -> None:
    gc.collect()  # a connection left in a traceback still holds the file open
    result = subprocess.run(["umount", str(target)], capture_output=True, text=True)
    if result.returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)  # never leave a mount behind
        pytest.fail(f"umount {target}: {result.stderr.strip()} (an open file on it?)")


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (made if needed), unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        _unmount(folder)


def remount(folder: Path, mode: str) -> None:
    """``ro`` or ``rw``: what the kernel does to ext4 after an I/O error (errors=remount-ro)."""
    _mount("-o", f"remount,{mode}", str(folder))


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    """``path`` cannot be opened for writing while its folder stays writable (for -wal and -shm)."""
    _mount("--bind", str(path), str(path))
    try:
        _mount("-o", "remount,bind,ro", str(path))
        yield
    finally:
        _unmount(path)


def fill(folder: Path) -> Path:
    """Write a filler file until the disk says ENOSPC; the filler's removal frees the space."""
    filler = folder / FILLER
    chunk = b"\0" * 65536
    with open(filler, "ab", buffering=0) as handle:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    handle.write(chunk[:size])
            except OSError as exc:
                assert exc.errno == 28, exc  # ENOSPC, nothing else
    return filler


def fill_until_sqlite_is_full(database: Path) -> None:
    """With the disk already filled: grow the database (a ballast table) until SQLite itself says
    "database or disk is full", so that what the app meets next is SQLITE_FULL."""
    db = sqlite3.connect(database, isolation_level=None)
    try:
        db.execute("create table if not exists test_ballast (data blob)")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorname == "SQLITE_FULL":
            db.close()
            return
        raise
    try:
        for _ in range(10_000):
            try:
                db.execute("insert into test_ballast values (zeroblob(16384))")
            except sqlite3.OperationalError as exc:
                assert exc.sqlite_errorname == "SQLITE_FULL", exc
                return
        pytest.fail("the disk never filled up")
    finally:
        db.close()
