"""Shared test fixtures: where the real test media lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("IDGATE_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data (real faces, documents, videos, spoofs)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"test media not found at {SHARED_DATA}; set IDGATE_SHARED_DATA")
    return SHARED_DATA
