"""`python -m kiosk …`: the same command as the `kiosk` console script."""

from __future__ import annotations

if __name__ == "__main__":
    from kiosk.cli import main

    main()
