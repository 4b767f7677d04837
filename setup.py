"""Only what pyproject.toml cannot say: a wheel carries copies of content/ and the compiled
catalogs (translations/*/LC_MESSAGES/*.mo) in kiosk/defaults/, so that an installed kiosk has
its content and languages (kiosk/settings.py finds them there when there is no checkout).

`make bundle` compiles the catalogs first; a build without any .mo file stops with that advice.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib) / "kiosk" / "defaults"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(ROOT / "content", target / "content")
        catalogs = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.mo"))
        if not catalogs:
            raise SystemExit("no compiled catalogs in translations/: run `make translations` before building")
        for catalog in catalogs:
            copy = target / catalog.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(catalog, copy)


setup(cmdclass={"build_py": BuildWithDefaults})
