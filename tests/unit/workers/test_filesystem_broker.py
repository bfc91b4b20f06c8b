"""The embedded broker never shows a worker a message that is still being written."""

from __future__ import annotations

import os
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection

from workers import filesystem_broker
from workers.filesystem_broker import PARTIAL_SUFFIX, AtomicFilesystemTransport


def _channel(folder: Path) -> filesystem_broker.AtomicChannel:
    connection = Connection(
        "filesystem://",
        transport=AtomicFilesystemTransport,
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "store_processed": False,
        },
    )
    return connection.default_channel


def test_a_message_is_invisible_to_the_consumer_until_it_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = _channel(tmp_path)
    seen_while_writing: list[list[str]] = []
    real_replace = os.replace

    def replace_after_looking(src: str, dst: str) -> None:
        # Just before the rename the message is written in full; the consumer's view of
        # the folder must not hold it yet, and taking from the queue finds nothing.
        seen_while_writing.append(sorted(os.listdir(tmp_path)))
        with pytest.raises(Empty):
            channel._get("idgate")
        real_replace(src, dst)

    monkeypatch.setattr(filesystem_broker.os, "replace", replace_after_looking)
    channel._put("idgate", {"body": "hello"})
    assert len(seen_while_writing) == 1
    [name] = seen_while_writing[0]
    assert name.endswith(".idgate.msg" + PARTIAL_SUFFIX)
    assert channel._get("idgate") == {"body": "hello"}
    assert os.listdir(tmp_path) == []
