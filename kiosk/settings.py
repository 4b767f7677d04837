"""Settings: defaults here, overridden by KIOSK_* environment variables, then by the
mapping given to create_app(). Every setting is documented in docs/configuration.md
(tests/unit/test_config_docs.py fails when one is not)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# name → (default, parser). Paths default relative to the project checkout.
SETTINGS: dict[str, tuple[object, type]] = {
    "INSTANCE_PATH": (str(PROJECT_ROOT / "instance"), str),
    "DATABASE": ("", str),  # empty: <instance folder>/kiosk.db
    "CONTENT_DIR": (str(PROJECT_ROOT / "content"), str),
    "TRANSLATIONS_DIR": (str(PROJECT_ROOT / "translations"), str),
    "SECRET_KEY": ("", str),  # empty: generated once into <instance folder>/secret_key
    "HOST": ("127.0.0.1", str),
    "PORT": (8000, int),
    "THREADS": (8, int),
    "DEFAULT_LOCALE": ("ja", str),
    "LEDGER_PAGE_SIZE": (50, int),
    "CONTENT_RELOAD_CHECK_SECONDS": (2.0, float),
    "STAFF_IDLE_MINUTES": (15.0, float),
    "LOGIN_MAX_FAILURES": (5, int),
    "LOGIN_LOCK_MINUTES": (15, int),
    "LOGIN_MAX_ADDRESS_FAILURES": (20, int),
    "TIMEZONE": ("Asia/Tokyo", str),
    "PROXY_HOPS": (0, int),
    "SECURE_COOKIES": (0, int),
    "TARGET_CONSULTATIONS_PER_YEAR": (10000, int),
    "TARGET_SATISFIED_SHARE": (0.85, float),
    "TARGET_SITES": (20, int),
    "HANDOFF_DAYS": (90, int),
    "PUBLIC_BASE_URL": ("", str),
    "HANDOFF_LOOKUPS_PER_10_MINUTES": (30, int),
    "IDLE_SECONDS": (120.0, float),
    "IDLE_WARNING_SECONDS": (30.0, float),
    "SPEECH_CACHE_DIR": ("", str),  # empty: <instance folder>/speech
    "SPEECH_CACHE_MAX_MB": (512.0, float),
}


def from_environment(environ: os._Environ | dict | None = None) -> dict[str, object]:
    environ = os.environ if environ is None else environ
    config = {}
    for name, (default, parse) in SETTINGS.items():
        raw = environ.get(f"KIOSK_{name}")
        config[name] = default if raw in (None, "") else parse(raw)
    return config
