"""Reason messages say what was found, not what happens next: the result page states the
outcome once, from the status (a declined or resubmission page must not promise a review)."""

from __future__ import annotations

import re

from app.policy.reasons import REASON_MESSAGES

# The only reason that exists solely on a needs_review outcome.
REVIEW_ONLY = {"review_sampled"}
NEXT_STEP_WORDS = re.compile(
    r"reviewer|manual review|by a person|try again|look at your case", re.I
)


def test_messages_do_not_announce_an_outcome() -> None:
    offenders = {
        code: message
        for code, message in REASON_MESSAGES.items()
        if code not in REVIEW_ONLY and NEXT_STEP_WORDS.search(message)
    }
    assert offenders == {}
