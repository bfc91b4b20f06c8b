"""The verification pipeline: pure-core evaluation (``evaluate``) and its DB-backed stages."""
