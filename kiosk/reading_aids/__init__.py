"""Reading aids for the kiosk: furigana, read-aloud speech and on-screen keyboards."""
