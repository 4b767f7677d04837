"""WSGI entry point: `waitress-serve wsgi:app` (or `kiosk serve`).

A KIOSK_* variable with a bad value stops the import with kiosk.settings.SettingsError, whose
message (the last line of the server's log) names the variable, the value and what is expected.
"""

from kiosk import create_app

app = create_app()
