"""The policy in force: the operator's file (``IDGATE_POLICY_FILE``) or the shipped default.

Loaded and validated once per process; a bad file stops start-up with a clear error.
"""

from __future__ import annotations

from functools import lru_cache

from app.core.config import get_settings
from app.policy import Policy, load_policy


@lru_cache(maxsize=1)
def get_policy() -> Policy:
    path = get_settings().policy_file
    return load_policy(path.read_text() if path else None)
