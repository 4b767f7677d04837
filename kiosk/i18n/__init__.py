"""Languages: Babel's set-up and locale choice, dates and numbers, and labels for coded values."""
