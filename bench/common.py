"""Shared by the benchmark scripts: a temporary instance, a real waitress server on a free
localhost port, and a keep-alive HTTP client that keeps cookies and the CSRF token like a
browser. Everything stays on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import re
import statistics
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from waitress.server import create_server


def temporary_instance(prefix: str) -> tuple[Path, dict]:
    """A fresh folder for the database and instance files; its KIOSK_* settings are also put
    into os.environ (for create_app) and returned (for child processes)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    env = {"KIOSK_DATABASE": str(folder / "bench.db"), "KIOSK_INSTANCE_PATH": str(folder / "instance"),
           "KIOSK_SECRET_KEY": "bench"}
    os.environ.update(env)
    return folder, {**os.environ, **env}


class Server:
    """A waitress server for ``app`` on a free port, in a background thread."""

    def __init__(self, app, threads: int = 4):
        self.server = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.port = self.server.effective_port
        threading.Thread(target=self.server.run, daemon=True).start()

    def close(self) -> None:
        time.sleep(0.2)  # let clients' last requests finish before the sockets go
        self.server.close()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def server_ms(self) -> float | None:
        """The app's own time for the request (its Server-Timing header)."""
        match = re.search(r"app;dur=([0-9.]+)", self.headers.get("Server-Timing", ""))
        return float(match.group(1)) if match else None


class Browser:
    """One keep-alive connection with cookies and the CSRF token of the last page seen; form
    posts carry the token."""

    def __init__(self, port: int, timeout: float = 120):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, form: dict | None = None, htmx: bool = False) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({"csrf_token": self.token, **form}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        match = re.search(rb'name="csrf-token" content="([^"]+)"', data)
        if match:
            self.token = match.group(1).decode()
        return Reply(response.status, response.headers, data, seconds)

    def sign_in(self, username: str, password: str) -> None:
        self.request("GET", "/staff/login")
        reply = self.request("POST", "/staff/login", {"username": username, "password": password})
        assert reply.status == 303, f"sign-in failed: {reply.status}"

    def start_kiosk_session(self) -> None:
        self.request("GET", "/")
        reply = self.request("POST", "/start", {"lang": "ja"})
        assert reply.status == 303, reply.status

    def close(self) -> None:
        self.conn.close()


def median_ms(fn, runs: int) -> float:
    """Median wall time of ``fn`` in milliseconds over ``runs`` calls, after one warm-up call."""
    fn()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000
