"""The seal review (押印見直し) as the task force runs it: statuses, progress, updates, exports."""
