"""Tesseract's line reading from long-lived processes (tesseract_lines.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from app.vision.document import tesseract_lines
from app.vision.document.glyphs import OCRB_FONT_CANDIDATES
from app.vision.document.tesseract_lines import TesseractLineReader

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")

TEXT = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"


def _png(image: np.ndarray) -> bytes:
    ok, png = cv2.imencode(".png", image)
    assert ok
    return png.tobytes()


@pytest.fixture(scope="module")
def line_png() -> bytes:
    """A clean OCR-B line, as the reader hands a rectified strip to Tesseract."""
    font_path = next((p for p in OCRB_FONT_CANDIDATES if p.exists()), None)
    if font_path is None:
        pytest.skip("needs Debian's fonts-ocr-b")
    image = Image.new("L", (1300, 80), 255)
    ImageDraw.Draw(image).text((20, 15), TEXT, font=ImageFont.truetype(str(font_path), 40))
    return _png(np.asarray(image))


@pytest.fixture()
def reader() -> Iterator[TesseractLineReader]:
    line_reader = TesseractLineReader(processes=2)
    yield line_reader
    line_reader.close()


def _one_shot(png: bytes) -> str:
    """What a fresh ``tesseract`` process reads from the same image with the same settings."""
    out = subprocess.run(
        [
            "tesseract",
            "stdin",
            "stdout",
            "--psm",
            "7",
            "--oem",
            "1",
            "-c",
            f"tessedit_char_whitelist={tesseract_lines.MRZ_WHITELIST}",
        ],
        input=png,
        capture_output=True,
        check=True,
        env={"OMP_THREAD_LIMIT": "1"},
    ).stdout
    return "".join(out.decode().split())


def test_reads_what_a_fresh_process_reads_in_order(
    reader: TesseractLineReader, line_png: bytes
) -> None:
    blank = _png(np.full((60, 900), 255, np.uint8))
    expected = _one_shot(line_png)
    assert len(expected) >= 40  # Tesseract does read the line (not necessarily exactly)
    # Three images over two processes, a blank one in the middle: answers stay in order.
    assert reader.read([line_png, blank, line_png]) == [expected, "", expected]
    assert reader.read([line_png]) == [expected]  # the same processes, reused


def test_a_dead_process_is_replaced(reader: TesseractLineReader, line_png: bytes) -> None:
    first = reader.read([line_png])
    assert first is not None
    reader._processes[0].process.kill()
    reader._processes[0].process.wait()
    assert reader.read([line_png, line_png]) == [first[0], first[0]]


def test_a_timeout_gives_none_and_the_next_read_works(line_png: bytes) -> None:
    impatient = TesseractLineReader(processes=1, timeout_s=0.0)
    try:
        assert impatient.read([line_png]) is None
        assert impatient._processes == []  # the stuck process was stopped
        impatient.timeout_s = 10.0
        assert impatient.read([line_png]) == [_one_shot(line_png)]
    finally:
        impatient.close()


def test_no_tesseract_binary_gives_none(monkeypatch: pytest.MonkeyPatch, line_png: bytes) -> None:
    monkeypatch.setattr(tesseract_lines.shutil, "which", lambda name: None)
    missing = TesseractLineReader()
    try:
        assert missing.start() is False
        assert missing.read([line_png]) is None
    finally:
        missing.close()


def test_hocr_words_are_joined_and_unescaped() -> None:
    page = (
        b"<div class='ocr_page' id='page_1'>\n"
        b"<span class='ocrx_word' id='w1' title='x'>P&lt;UTO</span>"
        b" <span class='ocrx_word' id='w2' title='x'>ERIKSSON&lt;&lt;</span>\n  </div>\n"
    )
    assert tesseract_lines._page_text(page) == "P<UTOERIKSSON<<"


def test_a_forked_child_leaves_the_parents_processes_alone(
    reader: TesseractLineReader, line_png: bytes
) -> None:
    """A child that closes the reader (the atexit hook runs in forked children too)
    stops nothing of its parent's and removes none of its files."""
    first = reader.read([line_png])
    assert first is not None
    pids = [p.process.pid for p in reader._processes]
    folder = reader._folder
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        reader.close()
        os._exit(0)
    os.waitpid(child, 0)
    assert [p.process.pid for p in reader._processes] == pids
    assert all(p.process.poll() is None for p in reader._processes)
    assert folder.is_dir()
    assert reader.read([line_png]) == first


def _gone_or_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return any(line.split()[1:2] == ["Z"] for line in status if line.startswith("State:"))
    except FileNotFoundError:
        return True


def test_the_processes_exit_with_their_parent_though_a_forked_child_lives_on(
    line_png: bytes,
) -> None:
    """A Celery prefork child inherits the parent's pipe ends; while it held the write end
    of a Tesseract process's input, that process outlived the parent. A forked child now
    closes its copies at once, so the processes see end-of-input when the parent exits."""
    report_r, report_w = os.pipe()
    parent = os.fork()
    if parent == 0:  # pragma: no cover - the "parent" of the scenario, in a child
        os.close(report_r)
        reader = TesseractLineReader()
        ok = reader.read([line_png]) is not None
        pids = [p.process.pid for p in reader._processes] if ok else []
        child = os.fork()
        if child == 0:  # the long-lived child: holds whatever it inherited
            os.close(report_w)
            import time

            time.sleep(30)
            os._exit(0)
        os.write(report_w, " ".join(map(str, [child, *pids])).encode())
        os._exit(0)  # dies first, without closing anything
    os.close(report_w)
    with os.fdopen(report_r) as report:
        child, *pids = [int(pid) for pid in report.read().split()]
    os.waitpid(parent, 0)
    assert len(pids) == 2
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone_or_zombie(pid) for pid in pids):
        time.sleep(0.1)
    survivors = [pid for pid in pids if not _gone_or_zombie(pid)]
    for pid in [*survivors, child]:
        os.kill(pid, 9)
    assert survivors == []


def test_a_forked_child_makes_no_scratch_folder_until_it_reads(
    reader: TesseractLineReader, line_png: bytes, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    assert reader.read([line_png]) is not None
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os._exit(0 if reader._folder is None and reader._processes == [] else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
