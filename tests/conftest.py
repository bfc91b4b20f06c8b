"""Shared test fixtures and the environment of the in-process tiers.

The in-process tiers (unit, api) run on a throwaway SQLite database, blob folder and
filesystem broker, configured here before any ``app`` module reads its settings. The
integration tier starts its own API and worker processes on PostgreSQL and Redis/RabbitMQ.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("IDGATE_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))

_TMP = Path(tempfile.mkdtemp(prefix="idgate-tests-"))
os.environ["IDGATE_DATA_DIR"] = str(_TMP)
for _var in (
    "IDGATE_DATABASE_URL",
    "IDGATE_BROKER_URL",
    "IDGATE_STORAGE_KEY",
    "IDGATE_APP_SECRET",
    "IDGATE_POLICY_FILE",
):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data (real faces, documents, videos, spoofs)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"test media not found at {SHARED_DATA}; set IDGATE_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    return _TMP
