"""The embedded broker never shows a worker a message that is still being written."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from queue import Empty
from typing import Any

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
            "control_folder": str(folder / "control"),
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


def test_a_reader_sees_an_exchange_table_whole_while_it_is_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = _channel(tmp_path), _channel(tmp_path)
    writer._queue_bind("idgate", "idgate", "", "idgate")
    seen_while_writing: list[list[Any]] = []
    real_replace = os.replace

    def replace_after_looking(src: str, dst: str) -> None:
        seen_while_writing.append(reader.get_table("idgate"))
        real_replace(src, dst)

    monkeypatch.setattr(filesystem_broker.os, "replace", replace_after_looking)
    writer._queue_bind("idgate", "urgent", "", "urgent")
    assert [row.queue for row in seen_while_writing[0]] == ["idgate"]
    assert sorted(row.queue for row in reader.get_table("idgate")) == ["idgate", "urgent"]
    writer._delete("urgent", "idgate", "urgent", "")
    assert [row.queue for row in reader.get_table("idgate")] == ["idgate"]
    assert sorted(os.listdir(tmp_path / "control")) == ["idgate.exchange", "idgate.exchange.lock"]


EXCHANGES = 1000


def _bind_every_exchange(folder: Path, queue: str, step: Any, errors: Any) -> None:
    channel = _channel(folder)
    for index in range(EXCHANGES):
        step.wait()
        try:
            channel._queue_bind(f"exchange{index}", queue, "", queue)
        except Exception as error:  # reported to the test, which fails on any
            errors.put(repr(error))


def _read_every_exchange(folder: Path, step: Any, errors: Any) -> None:
    channel = _channel(folder)
    for index in range(EXCHANGES):
        step.wait()
        for _ in range(3):
            try:
                channel.get_table(f"exchange{index}")
            except Exception as error:
                errors.put(repr(error))


def test_processes_binding_at_once_lose_no_binding_and_readers_never_fail(
    tmp_path: Path,
) -> None:
    # Three processes bind their queue to each new exchange at the same moment while a
    # fourth reads it. kombu's own channel lost bindings and raised JSONDecodeError here
    # in each of five runs of this test (it opens a new table with "wb" before locking it).
    context = multiprocessing.get_context("fork")
    step, errors = context.Barrier(4), context.Queue()
    queues = ["q0", "q1", "q2"]
    processes = [
        context.Process(target=_bind_every_exchange, args=(tmp_path, queue, step, errors))
        for queue in queues
    ]
    processes.append(context.Process(target=_read_every_exchange, args=(tmp_path, step, errors)))
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == []
    channel = _channel(tmp_path)
    lost = [
        index
        for index in range(EXCHANGES)
        if sorted(row.queue for row in channel.get_table(f"exchange{index}")) != queues
    ]
    assert lost == []
