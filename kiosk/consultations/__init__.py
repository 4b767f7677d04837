"""The consultation log: support staff record each case in seconds on a tablet."""
