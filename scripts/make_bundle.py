"""`make bundle`: one folder (and a .tar.gz of it) that installs the kiosk on a machine with no
network: every wheel (the kiosk's own, with templates, static files including the vendored htmx
and font, the content and the compiled catalogs; and each dependency at the version this
checkout's virtualenv was tested with), an install script for Linux and one for Windows, and a
README for the ward's IT team.

    .venv/bin/python scripts/make_bundle.py dist/ [--no-archive] [--platform win_amd64 --python-version 3.12]

Run it on a machine with network access (PyPI), with `make vendor translations` done (the
Makefile's `bundle` target does both). With --platform, only binary wheels for that platform
are fetched (pip download), to carry a bundle to a Windows server built on Linux.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "tetsuzuki-kiosk"
# What the kiosk needs from the package at run time: a wheel without any of these is refused.
REQUIRED_IN_WHEEL = ("kiosk/static/vendor/htmx.min.js", "kiosk/templates/base.html",
                     "kiosk/defaults/content/categories.yaml", "kiosk/defaults/translations/en/LC_MESSAGES/messages.mo")


def tested_versions() -> str:
    """Constraints: every package of this virtualenv at its installed version (the project itself left out)."""
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    return "".join(line + "\n" for line in frozen.splitlines()
                   if line and not line.startswith(("#", "-e")) and not line.lower().startswith(PROJECT))


def check_sources() -> None:
    missing = [path for path in ("kiosk/static/vendor/htmx.min.js",) if not (ROOT / path).is_file()]
    if not any((ROOT / "translations").glob("*/LC_MESSAGES/messages.mo")):
        missing.append("translations/*/LC_MESSAGES/messages.mo")
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run `make vendor translations` first")


def build_wheels(wheels: Path, constraints: Path, platform: str | None, python_version: str | None) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    # pip builds in the checkout: a build/ left by an earlier run could carry a module deleted since.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    # The kiosk's own wheel, built from this checkout (setup.py copies content and catalogs in).
    subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], check=True)
    [own] = wheels.glob("tetsuzuki_kiosk-*.whl")
    if platform:
        target = ["--platform", platform, "--only-binary=:all:"]
        target += ["--python-version", python_version] if python_version else []
        subprocess.run([*pip, "download", "-q", "-d", str(wheels), "-c", str(constraints), *target, str(own)],
                       check=True)
    else:
        subprocess.run([*pip, "wheel", "-q", "-w", str(wheels), "-c", str(constraints), str(own)], check=True)
    check_wheel(own)


def check_wheel(wheel: Path) -> None:
    from zipfile import ZipFile

    names = set(ZipFile(wheel).namelist())
    absent = [name for name in REQUIRED_IN_WHEEL if name not in names]
    if absent:
        raise SystemExit(f"{wheel.name} lacks {', '.join(absent)}")


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder the bundle folder is written into (e.g. dist/)")
    parser.add_argument("--no-archive", action="store_true", help="the folder only, no .tar.gz")
    parser.add_argument("--platform", help="binary wheels for another platform (pip's tag, e.g. win_amd64)")
    parser.add_argument("--python-version", help="with --platform: the target's Python (e.g. 3.12)")
    args = parser.parse_args(argv)
    check_sources()
    name = f"{PROJECT}-{version(PROJECT)}" + (f"-{args.platform}" if args.platform else "")
    bundle = args.out.resolve() / name
    shutil.rmtree(bundle, ignore_errors=True)
    (bundle / "wheels").mkdir(parents=True)
    constraints = bundle / "constraints.txt"
    constraints.write_text(tested_versions(), encoding="utf-8")
    build_wheels(bundle / "wheels", constraints, args.platform, args.python_version)
    for script in ("install.sh", "install.ps1", "README.txt"):
        shutil.copy2(ROOT / "deploy" / "bundle" / script, bundle / script)
    (bundle / "install.sh").chmod(0o755)
    # The systemd units and the Containerfile (whose build context is this folder).
    for unit in [*sorted((ROOT / "deploy").glob("kiosk*.*")), ROOT / "deploy" / "Containerfile"]:
        shutil.copy2(unit, bundle / unit.name)
    print(f"bundle: {bundle} ({len(list((bundle / 'wheels').glob('*.whl')))} wheels)")
    if not args.no_archive:
        archive = bundle.with_name(name + ".tar.gz")
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(bundle, arcname=name)
        print(f"archive: {archive}")
    return bundle


if __name__ == "__main__":
    main()
