"""The `idgate` command's JSON contracts (DESIGN §7) and exit codes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import main


def _run(*argv: str) -> tuple[int, dict]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    text = out.getvalue()
    return code, (json.loads(text) if text.strip().startswith("{") else {})


def test_mrz_json_shape(shared_data: Path) -> None:
    code, out = _run("mrz", str(shared_data / "documents" / "passport-td3.jpg"), "--json")
    assert code == 0
    assert {"found", "format", "lines", "valid", "fields", "checks", "elapsed_ms"} <= set(out)
    assert out["valid"] is True and out["format"] == "TD3"
    assert out["fields"]["birth_date"] == "1974-08-12"
    assert out["fields"]["expiry_date"] == "2012-04-15"
    assert set(out["fields"]) == {
        "document_type",
        "issuing_country",
        "surname",
        "given_names",
        "document_number",
        "nationality",
        "birth_date",
        "sex",
        "expiry_date",
        "optional_data",
    }


def test_match_same_and_different_people(shared_data: Path) -> None:
    faces = shared_data / "faces"
    code, same = _run(
        "match", str(faces / "obama" / "obama.jpg"), str(faces / "obama" / "obama2.jpg"), "--json"
    )
    assert code == 0 and same["match"] is True and same["faces"] == [1, 1]
    assert same["distance"] < same["threshold"]
    _, other = _run(
        "match", str(faces / "obama" / "obama.jpg"), str(faces / "biden" / "biden.jpg"), "--json"
    )
    assert other["match"] is False and other["distance"] > 0.6


def test_verify_reports_mrz_portrait_and_face_mismatch(shared_data: Path) -> None:
    code, out = _run(
        "verify",
        "--document",
        str(shared_data / "documents" / "passport-td3.jpg"),
        "--selfie",
        str(shared_data / "faces" / "obama" / "obama.jpg"),
        "--json",
    )
    assert code == 0
    assert {"decision", "reasons", "document", "face_match", "liveness", "elapsed_ms"} <= set(out)
    assert out["document"]["mrz"]["fields"]["surname"] == "ERIKSSON"
    assert out["document"]["portrait"]["width_px"] > 80
    assert out["face_match"]["band"] == "mismatch"
    assert "face_mismatch" in out["reasons"] and "liveness_not_checked" in out["reasons"]
    assert out["decision"] != "approved"


@pytest.mark.parametrize(
    "argv",
    [
        ["mrz", "/nonexistent.jpg", "--json"],
        ["liveness", "/nonexistent.mp4", "--challenge", "blink,turn_left", "--json"],
        ["verify", "--document", "/nonexistent.jpg", "--selfie", "/x.jpg", "--json"],
    ],
)
def test_bad_input_files_exit_2(argv: list[str]) -> None:
    code, out = _run(*argv)
    assert code == 2 and out["error"]["code"] == "bad_usage"


def test_unknown_challenge_action_is_bad_usage(shared_data: Path) -> None:
    code, _ = _run(
        "liveness", str(shared_data / "video" / "d0.mp4"), "--challenge", "jump", "--json"
    )
    assert code == 2


def test_corrupt_image_is_bad_usage(tmp_path: Path) -> None:
    fake = tmp_path / "passport.jpg"
    fake.write_bytes(b"%PDF-1.4 not an image")
    code, out = _run("mrz", str(fake), "--json")
    assert code == 2 and "unsupported_media_type" in out["error"]["message"]


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["nonsense"])
    assert exc.value.code == 2


def test_liveness_on_a_real_clip_segment(shared_data: Path) -> None:
    clip = str(shared_data / "video" / "d3.mp4")
    # benchmarks/NOTES-liveness.md: d3 4.3-7.5 s turns left, looks up, turns right.
    code, live = _run(
        "liveness",
        clip,
        "--challenge",
        "turn_left,look_up,turn_right",
        "--start",
        "4.3",
        "--end",
        "7.5",
        "--json",
    )
    assert code == 0 and live["live"] is True and live["reasons"] == []
    assert [a["action"] for a in live["actions"]] == ["turn_left", "look_up", "turn_right"]
    assert all(a["passed"] for a in live["actions"])
    _, wrong = _run(
        "liveness",
        clip,
        "--challenge",
        "turn_right,look_up,turn_left",
        "--start",
        "4.3",
        "--end",
        "7.5",
        "--json",
    )
    assert wrong["live"] is False and "liveness_challenge_failed" in wrong["reasons"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_a_child_started_with_die_with_parent_exits_when_its_parent_is_killed(
    tmp_path: Path,
) -> None:
    """``idgate serve`` starts its worker this way: a SIGKILLed serve leaves no worker."""
    pid_file = tmp_path / "child.pid"
    parent_code = (
        "import subprocess, sys, time\n"
        "from app.cli import die_with_parent\n"
        "child = subprocess.Popen(['sleep', '60'], preexec_fn=die_with_parent)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child_pid = int(pid_file.read_text())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            # a dead child stays a zombie until its new parent reaps it
            state = Path(f"/proc/{child_pid}/stat").read_text().split()[2]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(child_pid, 9)
        pytest.fail("the child outlived its killed parent")


def test_liveness_follows_a_full_head_turn_to_profile_and_back(shared_data: Path) -> None:
    # Issue 24: her right to near profile and back, her left to about profile and back.
    # The previous release lost the face at profile and read the return as a turn the
    # other way; the CLI sampled the 6 s cut at 6 fps.
    clip = str(shared_data / "video" / "turns_womanA_eyewide.mp4")
    args = ("--start", "2.5", "--end", "8.5", "--json")
    code, live = _run("liveness", clip, "--challenge", "turn_right,turn_left", *args)
    assert code == 0 and live["live"] is True, live
    assert live["frames_used"] >= 60  # >= 10 frames per second of the cut
    _, wrong = _run("liveness", clip, "--challenge", "turn_left,turn_right", *args)
    assert wrong["live"] is False and "liveness_challenge_failed" in wrong["reasons"]
