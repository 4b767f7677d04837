"""Demo data for `make run`, and synthetic data at any scale for tests and benchmarks."""
