"""Benchmarks: scripts that print figures (see NOTES-*.md)."""
