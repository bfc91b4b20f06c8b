"""Synthetic test-data generators (fixed seeds; never used in production code)."""
