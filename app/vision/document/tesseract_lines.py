"""Tesseract's reading of single MRZ lines, from processes that stay up between reads.

Starting ``tesseract`` costs ~140 ms on the 2-core reference machine (most of it building
its built-in ambiguity tables), while reading one rectified MRZ line costs ~50 ms. A
document that needs Tesseract's second opinion asks for two or three lines, often more
than once, so one process per line spent most of its time starting up. Here each process
is started once (``stream_filelist``: it reads image paths from stdin, one per line, and
answers each with one hOCR page) and is reused for every later line.

Lines are spread over a few processes so that the cores read them in parallel. Each
process is used by one caller at a time (a lock), is restarted after a failure or a
timeout, and is never shared across a fork: a child (a Celery prefork worker) closes its
copies of the parent's pipes at once and starts its own processes when it needs them, so
that the parent's processes see the end of their input and exit when the parent does.
"""

from __future__ import annotations

import atexit
import html
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

MRZ_WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_CONFIG = (
    "--psm",
    "7",
    "--oem",
    "1",
    "-c",
    f"tessedit_char_whitelist={MRZ_WHITELIST}",
    "-c",
    "stream_filelist=1",
    "hocr",
)
_PAGE_END = re.compile(rb"<div class='ocr_page'.*?\n  </div>\n", re.DOTALL)
_WORD = re.compile(r"<span class='ocrx_word'[^>]*>(.*?)</span>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


class TesseractFailed(RuntimeError):
    """A Tesseract process died, timed out or answered something that is not hOCR."""


def _page_text(page: bytes) -> str:
    """The words of one hOCR page, concatenated (an MRZ line has no spaces)."""
    words = _WORD.findall(page.decode("utf-8", errors="replace"))
    return "".join("".join(html.unescape(_TAG.sub("", word)).split()) for word in words)


class _LineProcess:
    """One ``tesseract`` process reading line images from a file list on stdin."""

    def __init__(self, binary: str) -> None:
        # Tesseract's own OpenMP threads only fight over a busy machine's cores.
        self.process = subprocess.Popen(
            [binary, "-", "stdout", *_CONFIG],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"OMP_THREAD_LIMIT": "1"},
        )
        self.pending = b""

    def submit(self, image_path: str) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(image_path.encode() + b"\n")
            self.process.stdin.flush()
        except OSError as error:
            raise TesseractFailed(f"cannot write to tesseract: {error}") from error

    def next_page(self, deadline: float) -> str:
        """The text of the next answered page; raises ``TesseractFailed`` after ``deadline``."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while True:
            match = _PAGE_END.search(self.pending)
            if match is not None:
                self.pending = self.pending[match.end() :]
                return _page_text(match.group(0))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TesseractFailed("tesseract timed out")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise TesseractFailed("tesseract exited")
            self.pending += chunk

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class TesseractLineReader:
    """Reads rectified MRZ line images (PNG bytes) with a few long-lived processes."""

    def __init__(self, processes: int = 2, timeout_s: float = 10.0) -> None:
        self.size = processes
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._owner_pid = os.getpid()
        self._processes: list[_LineProcess] = []
        self._folder: Path | None = None  # scratch folder for line images, made on first use
        self._counter = 0
        _readers.add(self)

    def start(self) -> bool:
        """Start the processes now (they load their model in the background); False when
        there is no ``tesseract`` binary."""
        with self._lock:
            return self._ensure_started()

    def read(self, png_images: Sequence[bytes]) -> list[str] | None:
        """Tesseract's text for each image, in order; None when Tesseract is missing, fails
        or times out (the failed processes are replaced on the next call)."""
        if not png_images:
            return []
        with self._lock:
            if not self._ensure_started():
                return None
            paths = []
            try:
                if self._folder is None:
                    self._folder = Path(tempfile.mkdtemp(prefix="idgate-tesseract-"))
                for image in png_images:
                    self._counter += 1
                    path = self._folder / f"line-{self._counter}.png"
                    path.write_bytes(image)
                    paths.append(path)
                assigned = [self._processes[k % self.size] for k in range(len(paths))]
                for process, path in zip(assigned, paths, strict=True):
                    process.submit(str(path))
                deadline = time.monotonic() + self.timeout_s
                return [process.next_page(deadline) for process in assigned]
            except (TesseractFailed, OSError):
                self._stop()
                return None
            finally:
                for path in paths:
                    path.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop the processes and remove the scratch folder (this process's own: in a
        forked child, e.g. at its exit, the parent's are left alone)."""
        with self._lock:
            self._adopt_after_fork()
            self._stop()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _adopt_after_fork(self) -> None:
        """In a forked child, let go of the parent's processes and folder (not ours to use,
        stop or remove; see ``_forget_inherited``). The fork hook has normally done this
        already; this covers a reader used in a child without it."""
        if os.getpid() != self._owner_pid:
            self._forget_inherited()

    def _forget_inherited(self) -> None:
        """Close this (forked) process's copies of the parent's pipe ends and forget the
        parent's processes and scratch folder. While a child held the write end of a
        Tesseract process's input, that process outlived the parent.

        The raw files are closed, not the buffered ones: closing a buffered writer
        flushes it, which could send a parent's half-written request to its process.
        """
        for line_process in self._processes:
            for stream in (line_process.process.stdin, line_process.process.stdout):
                raw = getattr(stream, "raw", None)
                if raw is not None:
                    raw.close()
        self._processes = []
        self._owner_pid = os.getpid()
        self._folder = None

    def _ensure_started(self) -> bool:
        self._adopt_after_fork()
        if self._processes and all(p.process.poll() is None for p in self._processes):
            return True
        self._stop()
        binary = shutil.which("tesseract")
        if binary is None:
            return False
        try:
            self._processes = [_LineProcess(binary) for _ in range(self.size)]
        except OSError:
            self._stop()
            return False
        return True

    def _stop(self) -> None:
        for process in self._processes:
            process.close()
        self._processes = []


_readers: weakref.WeakSet[TesseractLineReader] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # Every forked child lets go of the parent's pipes at once, not at its first read: a
    # prefork worker that never reads a document would hold them for its whole life.
    for reader in list(_readers):
        # A lock that a parent's thread held at the fork stays held in the child.
        reader._lock = threading.Lock()
        reader._forget_inherited()


os.register_at_fork(after_in_child=_after_fork_in_child)

_shared: TesseractLineReader | None = None
_shared_lock = threading.Lock()


def shared_line_reader() -> TesseractLineReader:
    """The process-wide reader (created on first use, stopped at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TesseractLineReader()
            atexit.register(_shared.close)
        return _shared
