"""Support staff: accounts, sign-in and roles, and the guard against storing personal identifiers."""
