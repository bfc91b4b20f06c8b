"""The embedded broker: kombu's filesystem transport, with messages written atomically.

kombu's own ``_put`` creates the message file under its final name, then locks and writes
it. A worker polling the folder can take the file in between (its ``_get`` moves the file
without looking at the lock) and read it empty: the worker stopped with a JSONDecodeError
(seen in the e2e tier, 2026-11-27). Here a message is written under a name the consumer
does not match, flushed, and renamed into place, so a worker sees whole messages only.

The exchange tables (which queue is bound to which exchange, one JSON file per exchange)
had the same kind of race. kombu opens a new table with ``"wb"`` before locking it, so a
publisher reading it in between read an empty file (JSONDecodeError), and two processes
binding at first start each truncated the other's table (a lost binding). Here every
change is read, modified and renamed into place under an exclusive lock on a separate
lock file, so a reader sees the old table or the new one, never a part of one.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

# The consumer takes only names of the form "<ms>_<uuid>.<queue>.msg".
PARTIAL_SUFFIX = ".partial"
# Beside "<exchange>.exchange"; never replaced, so every writer locks the same file.
TABLE_LOCK_SUFFIX = ".lock"


def _write_atomically(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one whole.

    The partial name is unique because message names are, and table writers hold a lock.
    """
    partial = f"{path}{PARTIAL_SUFFIX}"
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise


class AtomicChannel(filesystem.Channel):
    """Filesystem channel whose messages appear in the queue folder whole."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        try:
            _write_atomically(final, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def get_table(self, exchange: str) -> list[Any]:
        """The exchange's bindings; whole, because writers replace the file atomically."""
        file = self._exchange_file(exchange)
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc
        return [filesystem.exchange_queue_t(*row) for row in loads(bytes_to_str(raw))]

    @contextmanager
    def _table_locked(self, exchange: str) -> Iterator[Path]:
        """Hold the exchange's writer lock; yields the table's path."""
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        try:
            with open(f"{file}{TABLE_LOCK_SUFFIX}", "ab") as lock_handle:
                fcntl.flock(lock_handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield file
                finally:
                    fcntl.flock(lock_handle.fileno(), fcntl.LOCK_UN)
        except OSError as exc:
            raise ChannelError(f"Cannot update {file}") from exc

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_locked(exchange) as file:
            table = self.get_table(exchange)
            if binding not in table:
                table.insert(0, binding)
                _write_atomically(file, str_to_bytes(dumps(table)))

    def _delete(
        self, queue: str, exchange: str, routing_key: str, pattern: str, *args: Any, **kwargs: Any
    ) -> None:
        # kombu's virtual channel forgets the queue; the filesystem layer's own _delete
        # (which rewrites the table in place) is skipped on purpose.
        filesystem.virtual.Channel._delete(
            self, queue, exchange, routing_key, pattern, *args, **kwargs
        )
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_locked(exchange) as file:
            table = self.get_table(exchange)
            if binding in table:
                table.remove(binding)
                _write_atomically(file, str_to_bytes(dumps(table)))


class AtomicFilesystemTransport(filesystem.Transport):
    """``filesystem://`` with :class:`AtomicChannel`."""

    Channel = AtomicChannel
