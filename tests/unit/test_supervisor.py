"""Worker supervision: restart on exit and on silence to pings (real child processes,
the broker's ping replaced by a function the test controls)."""

from __future__ import annotations

import sys

import pytest

from app import supervisor as sup
from app.supervisor import Supervisor, WorkerSpec, worker_command


@pytest.fixture
def sleeper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers are plain sleeping processes: the logic under test is the supervisor's."""
    monkeypatch.setattr(
        sup, "worker_command", lambda *a, **k: [sys.executable, "-c", "import time; time.sleep(60)"]
    )


def test_worker_command_maps_roles_to_queues() -> None:
    command = worker_command(("pipeline",), 1, "threads", "pipeline-1@h")
    assert command[command.index("-Q") + 1] == "idgate"
    assert command[command.index("--pool") + 1] == "threads"
    command = worker_command(("webhooks", "maintenance"), 4, "prefork")
    assert command[command.index("-Q") + 1] == "idgate.webhooks,idgate.maintenance"
    with pytest.raises(KeyError):
        worker_command(("nonsense",), 1, "threads")


def test_exited_worker_is_restarted(sleeper: None) -> None:
    answered: set[str] = set()
    supervisor = Supervisor([WorkerSpec("pipeline-1", ("pipeline",))], ping=lambda _: answered)
    try:
        supervisor.start_processes()
        worker = supervisor.workers[0]
        first = worker.process
        assert first is not None
        first.kill()
        first.wait()
        assert supervisor.check_once() == ["pipeline-1"]
        assert worker.process is not first and worker.process.poll() is None
        assert worker.hostname.startswith("pipeline-1.r1@")  # a new node name per start
    finally:
        supervisor.stop()


def test_silent_worker_is_restarted_only_after_the_limit(sleeper: None) -> None:
    answered: set[str] = set()
    supervisor = Supervisor(
        [WorkerSpec("pipeline-1", ("pipeline",))],
        ping=lambda names: {n for n in names if n in answered},
        unresponsive_after_s=20,
        startup_grace_s=90,
    )
    try:
        supervisor.start_processes()
        worker = supervisor.workers[0]
        start = worker.started_at
        # still loading models: silence within the start-up grace is fine
        assert supervisor.check_once(now=start + 60) == []
        answered.add(worker.hostname)
        assert supervisor.check_once(now=start + 61) == []
        answered.clear()  # hung: alive, but no answer any more
        assert supervisor.check_once(now=start + 75) == []
        first = worker.process
        assert supervisor.check_once(now=start + 82) == ["pipeline-1"]
        assert first is not None and first.poll() is not None  # the hung one was killed
        assert worker.restarts == 1 and "no answer" in worker.history[0]
    finally:
        supervisor.stop()


def test_worker_command_refuses_unknown_roles() -> None:
    from app.cli import main

    assert main(["worker", "--queues", "pipeline,nonsense"]) == 2
