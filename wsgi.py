"""WSGI entry point: `waitress-serve wsgi:app` (or `kiosk serve`)."""

from kiosk import create_app

app = create_app()
