"""The resident at the kiosk: the server-side session, anonymous usage events and calls for staff."""
