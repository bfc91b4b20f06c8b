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
