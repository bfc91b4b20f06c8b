"""The embedded broker: kombu's filesystem transport, with messages written atomically.

kombu's own ``_put`` creates the message file under its final name, then locks and writes
it. A worker polling the folder can take the file in between (its ``_get`` moves the file
without looking at the lock) and read it empty: the worker stopped with a JSONDecodeError
(seen in the e2e tier, 2026-11-27). Here a message is written under a name the consumer
does not match, flushed, and renamed into place, so a worker sees whole messages only.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# The consumer takes only names of the form "<ms>_<uuid>.<queue>.msg".
PARTIAL_SUFFIX = ".partial"


class AtomicChannel(filesystem.Channel):
    """Filesystem channel whose messages appear in the queue folder whole."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class AtomicFilesystemTransport(filesystem.Transport):
    """``filesystem://`` with :class:`AtomicChannel`."""

    Channel = AtomicChannel
