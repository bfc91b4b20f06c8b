"""Judge the e2e fake-camera clips offline, as the capture page would record them.

    uv run python -m tests.e2e.check_clips [OFFSET_S ...]

For each capture start offset (seconds into the looping Y4M file) it prints what the
current ``verify_liveness`` says about the good clip (must be live) and the wrong-order
clip (must fail with liveness_challenge_failed only). Real frames of d3.mp4, re-timed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.e2e import media

DEFAULT_OFFSETS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.3)


def main(argv: list[str]) -> int:
    """Print one line per clip and offset; exit 1 when a clip is judged wrongly."""
    from tests.conftest import SHARED_DATA

    offsets = tuple(float(a) for a in argv) or DEFAULT_OFFSETS
    wrong = 0
    with tempfile.TemporaryDirectory() as tmp:
        for plan, want_live in ((media.GOOD, True), (media.WRONG_ORDER, False)):
            _path, frames, fps = media.camera_clip(SHARED_DATA / "video", Path(tmp), plan)
            for offset, result in media.liveness_at_offsets(frames, fps, offsets).items():
                ok = result.live if want_live else result.reasons == media.WRONG_ORDER_REASONS
                wrong += not ok
                actions = " ".join(
                    f"{a.action}:{'ok' if a.passed else 'no'}@{a.at_s}({a.score:.2f})"
                    for a in result.actions
                )
                print(
                    f"{plan.name:14s} start {offset:4.1f} s  {'as expected' if ok else 'WRONG':11s}"
                    f" live={result.live} reasons={list(result.reasons)} {actions}"
                )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
