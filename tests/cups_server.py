"""A private CUPS scheduler for tests: its own config, spool and unix socket in a temporary folder.

Nothing listens on the network, nothing is shared or browsed, and the machine's own CUPS (if any)
is left alone. Clients (`lp`, `lpstat`, `lpadmin`) reach it through ``CUPS_SERVER=<socket>``,
which :attr:`PrivateCups.env` carries.

Debian packages: cups (cupsd, lpadmin), cups-client (lp, lpstat, cupsdisable) and cups-filters
(the Generic PDF PPD and the pdftopdf filter); cups depends on the other two.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

DEBIAN_PACKAGES = "cups cups-client cups-filters"
# As `lpinfo -m` names it (the file is /usr/share/ppd/cupsfilters/Generic-PDF_Printer-PDF.ppd).
GENERIC_PDF_PPD = "lsb/usr/cupsfilters/Generic-PDF_Printer-PDF.ppd"
START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 10.0
COMMAND_TIMEOUT_SECONDS = 15.0
OUTPUT_TIMEOUT_SECONDS = 20.0

_CUPSD_CONF = """\
Listen {socket}
Browsing No
BrowseLocalProtocols none
DefaultShared No
WebInterface No
LogLevel warn
MaxLogSize 0
JobRetryLimit 0
PreserveJobHistory Yes
PreserveJobFiles No
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  JobPrivateAccess all
  JobPrivateValues none
  SubscriptionPrivateAccess all
  SubscriptionPrivateValues none
  <Limit All>
    Order deny,allow
    Allow all
  </Limit>
</Policy>
DefaultPolicy default
"""

_CUPS_FILES_CONF = """\
ServerRoot {root}/etc
RequestRoot {root}/spool
StateDir {root}/state
CacheDir {root}/cache
TempDir {root}/tmp
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
FileDevice Yes
SystemGroup root
"""


def _which(name: str) -> str | None:
    # cupsd and lpadmin live in /usr/sbin, which a non-login PATH may lack.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")


def cups_available() -> bool:
    """Whether this machine can run a private CUPS scheduler (cupsd and lpadmin are installed)."""
    return _which("cupsd") is not None and _which("lpadmin") is not None


class CupsError(RuntimeError):
    pass


class PrivateCups:
    """A cupsd of our own, started on entry and stopped (its folder removed) on exit."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.socket: str = ""
        self.env: dict[str, str] = {}
        self._process: subprocess.Popen | None = None

    # --- lifetime -------------------------------------------------------------------------

    def __enter__(self) -> PrivateCups:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        cupsd = _which("cupsd")
        if cupsd is None or _which("lpadmin") is None:
            raise CupsError(f"cupsd/lpadmin not found: install the Debian packages {DEBIAN_PACKAGES}")
        # Short path: a unix socket path must fit in 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="cups-", dir="/tmp"))
        # Filters run as the `lp` user and read the spool: the folder must be traversable.
        self.root.chmod(0o755)
        for sub in ("etc", "etc/ppd", "spool", "state", "cache", "tmp", "log"):
            (self.root / sub).mkdir(exist_ok=True)
        (self.root / "tmp").chmod(0o1777)
        self.socket = str(self.root / "cups.sock")
        conf = self.root / "etc" / "cupsd.conf"
        files_conf = self.root / "etc" / "cups-files.conf"
        conf.write_text(_CUPSD_CONF.format(socket=self.socket))
        files_conf.write_text(_CUPS_FILES_CONF.format(root=self.root))
        self.env = {**os.environ, "CUPS_SERVER": self.socket}
        # cupsd's own output goes to a file: a pipe nobody reads could fill and block it.
        with open(self.root / "log" / "cupsd.out", "wb") as output:
            self._process = subprocess.Popen(
                [cupsd, "-f", "-c", str(conf), "-s", str(files_conf)],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, env=self.env,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self.running():
                return
            time.sleep(0.1)
        code = self._process.poll()
        output = self._stop_process()
        what = (f"exited with code {code}" if code is not None
                else f"did not answer `lpstat -r` within {START_TIMEOUT_SECONDS:.0f} s")
        message = (f"the private cupsd ({self.root}) {what}.\n"
                   f"cupsd output:\n{output or '(none)'}\n"
                   f"error_log:\n{self.error_log() or '(empty)'}")
        self._remove_root()
        raise CupsError(message)

    def running(self) -> bool:
        """Whether `lpstat -r` reaches the scheduler."""
        try:
            # lpstat's answer is translated (LANG=ja_JP.UTF-8 gives Japanese): read it in the C locale.
            done = subprocess.run([_which("lpstat") or "lpstat", "-r"], capture_output=True, text=True,
                                  env={**self.env, "LC_ALL": "C"}, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0 and "scheduler is running" in done.stdout

    def stop(self) -> None:
        """Stop the scheduler but keep its folder (logs, output files), so clients see it gone."""
        self._stop_process()

    def close(self) -> None:
        self._stop_process()
        self._remove_root()

    def _stop_process(self) -> str:
        process = self._process
        if process is None:
            return ""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        path = self.root / "log" / "cupsd.out" if self.root else None
        return path.read_text(errors="replace").strip() if path and path.exists() else ""

    def _remove_root(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    # --- queues ---------------------------------------------------------------------------

    def add_pdf_queue(self, name: str, output_path: str | os.PathLike) -> None:
        """A queue that writes each job, as PDF, to ``output_path``; enabled and accepting jobs.

        The PPD wraps its PDF in PJL (JCL) for a real printer; ``emit-jcl-default=false`` (a queue default
        every job gets) leaves a plain PDF, as a PDF file should be.
        """
        output = Path(output_path).resolve()
        # Debian's CUPS since 2.4.2-3+deb12u10 opens a file: device with O_WRONLY|O_EXCL and no O_CREAT
        # (a security fix), so the scheduler no longer creates the file: it must exist, empty, beforehand.
        output.touch(exist_ok=True)
        output.chmod(0o666)
        self._admin(["lpadmin", "-p", name, "-E", "-v", f"file://{output}",
                     "-m", GENERIC_PDF_PPD, "-o", "emit-jcl-default=false"])

    def wait_for_output(self, path: str | os.PathLike, seconds: float = OUTPUT_TIMEOUT_SECONDS) -> bytes:
        """The bytes a file: queue wrote, once they are there and no longer growing.

        The backend writes after `lp` returns, so this polls. When the scheduler gives up on a job (it
        could not open the device, a filter failed), waiting on is pointless: the error_log's own
        lines say why, and the CupsError carries them so a change in Debian's CUPS is diagnosed at once.
        """
        path = Path(path)
        deadline = time.monotonic() + seconds
        last = -1
        while time.monotonic() < deadline:
            size = path.stat().st_size if path.exists() else 0
            if size and size == last:
                return path.read_bytes()
            last = size
            refusals = self.job_errors()
            if refusals and not size:
                raise CupsError(f"CUPS refused to write {path}:\n" + "\n".join(refusals))
            time.sleep(0.2)
        raise CupsError(f"no output at {path} after {seconds:.0f} s; error_log:\n{self.error_log() or '(empty)'}")

    def job_errors(self) -> list[str]:
        """The error_log's error lines ("E [date] ..."), such as "[Job 1] Stopping job because the
        scheduler could not open the output file"."""
        return [line for line in self.error_log().splitlines() if line.startswith("E ")]

    def disable(self, name: str) -> None:
        self._admin(["cupsdisable", name])

    def _admin(self, args: list[str]) -> None:
        command = [_which(args[0]) or args[0], *args[1:]]
        done = subprocess.run(command, capture_output=True, text=True, env=self.env,
                              timeout=COMMAND_TIMEOUT_SECONDS)
        if done.returncode != 0:
            raise CupsError(f"{' '.join(args)} failed ({done.returncode}): {(done.stdout + done.stderr).strip()}\n"
                            f"error_log:\n{self.error_log()}")

    def error_log(self) -> str:
        if self.root is None:
            return ""
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace") if path.exists() else ""
