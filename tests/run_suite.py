"""Run the whole test suite and refuse a run that silently skipped a required tier.

pytest exits 5 when it collected nothing; that is a failure here. With ``CI=true`` (or
``IDGATE_REQUIRE_INTEGRATION=1``) the integration tier (PostgreSQL + real broker + real
worker) and the browser tier must have run and passed at least one test each.
"""

from __future__ import annotations

import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REQUIRED_TIERS = ("tests.integration", "tests.e2e")


def _required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("IDGATE_REQUIRE_INTEGRATION") == "1"
    )


def main(argv: list[str]) -> int:
    report = Path(tempfile.mkdtemp(prefix="idgate-junit-")) / "junit.xml"
    if _required():
        os.environ["IDGATE_REQUIRE_INTEGRATION"] = "1"
    code = pytest.main(["-p", "no:cacheprovider", f"--junitxml={report}", *argv])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("run_suite: pytest collected no tests: failing", file=sys.stderr)
        return 1
    if code != 0 or argv or not _required():
        return int(code)
    ran: dict[str, int] = dict.fromkeys(REQUIRED_TIERS, 0)
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("skipped") is not None or case.find("failure") is not None:
            continue
        for tier in REQUIRED_TIERS:
            if case.get("classname", "").startswith(tier):
                ran[tier] += 1
    missing = [tier for tier, n in ran.items() if n == 0]
    if missing:
        print(f"run_suite: required tiers ran no passing test: {missing}", file=sys.stderr)
        return 1
    print("run_suite: tiers passed: " + ", ".join(f"{t}={n}" for t, n in ran.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
