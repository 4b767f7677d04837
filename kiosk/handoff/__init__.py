"""Handoff sheets: the printed page a resident takes home, its follow-up code, and printing."""
