"""The fixed liveness challenge (demo and tests) cannot be enabled in a production set-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import Settings


def test_fixed_challenge_allowed_on_embedded_database_and_loopback(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, debug_fixed_challenge="turn_left,turn_right")
    assert settings.debug_fixed_challenge == "turn_left,turn_right"


@pytest.mark.parametrize(
    "overrides",
    [
        {"database_url": "postgresql+psycopg://idgate@db/idgate"},
        {"public_base_url": "https://verify.example.com"},
    ],
)
def test_fixed_challenge_refused_in_production_settings(tmp_path, overrides) -> None:
    with pytest.raises(ValidationError, match="IDGATE_DEBUG_FIXED_CHALLENGE"):
        Settings(data_dir=tmp_path, debug_fixed_challenge="turn_left,turn_right", **overrides)
