"""Worker supervision for ``idgate serve``: start one Celery worker process per role and
restart a worker that exits or stops answering over the broker.

Liveness is a Celery ``ping`` addressed to each worker by its node name. Pipeline workers
run the ``threads`` pool with one task thread: the consumer thread answers pings while a
stage runs, and there is no pool child whose death could leave a pool lock held (a killed
prefork child can leave the replacement child blocked for good on the shared queue lock).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from workers.queues import QUEUES_BY_ROLE

PingFn = Callable[[list[str]], set[str]]


@dataclass(frozen=True)
class WorkerSpec:
    """One supervised worker process: its name, the roles (queues) it consumes, its pool."""

    name: str
    roles: tuple[str, ...]
    pool: str = "threads"
    concurrency: int = 1


@dataclass
class _Worker:
    spec: WorkerSpec
    hostname: str
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    last_pong_at: float | None = None
    restarts: int = 0
    history: list[str] = field(default_factory=list)


def worker_command(
    roles: Iterable[str], concurrency: int, pool: str, hostname: str | None = None
) -> list[str]:
    """The ``celery worker`` command line for these roles (pipeline, webhooks, maintenance)."""
    queues = ",".join(QUEUES_BY_ROLE[role] for role in roles)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.celery_app",
        "worker",
        "--loglevel",
        "INFO",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "-Q",
        queues,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if hostname:
        command += ["--hostname", hostname]
    return command


def celery_ping(hostnames: list[str], timeout_s: float = 2.0) -> set[str]:
    """Node names among ``hostnames`` that answered a broadcast ping within the timeout."""
    from workers.celery_app import celery_app

    replies = celery_app.control.ping(
        destination=hostnames, timeout=timeout_s, limit=len(hostnames)
    )
    return {name for reply in replies or [] for name in reply}


def default_specs(pipeline_workers: int) -> list[WorkerSpec]:
    """Pipeline workers (one task each), one webhook worker, one maintenance worker."""
    specs = [WorkerSpec(f"pipeline-{i + 1}", ("pipeline",)) for i in range(pipeline_workers)]
    specs.append(WorkerSpec("webhooks", ("webhooks",), concurrency=4))
    specs.append(WorkerSpec("maintenance", ("maintenance",)))
    return specs


class Supervisor:
    """Start the workers, ping them, restart any that exits or stays silent too long."""

    def __init__(
        self,
        specs: list[WorkerSpec],
        *,
        env: dict[str, str] | None = None,
        ping: PingFn = celery_ping,
        check_interval_s: float = 3.0,
        unresponsive_after_s: float = 20.0,
        startup_grace_s: float = 60.0,
        preexec_fn: Callable[[], None] | None = None,
        log: Callable[[str], None] | None = None,
        on_worker_lost: Callable[[WorkerSpec], None] | None = None,
    ) -> None:
        self._tag = f"{socket.gethostname()}-{os.getpid()}"
        self.workers = [_Worker(spec, "") for spec in specs]
        self.env = env if env is not None else os.environ.copy()
        self.ping = ping
        self.check_interval_s = check_interval_s
        self.unresponsive_after_s = unresponsive_after_s
        self.startup_grace_s = startup_grace_s
        self.preexec_fn = preexec_fn
        self.on_worker_lost = on_worker_lost
        self.log = log or (lambda message: print(f"idgate: {message}", file=sys.stderr, flush=True))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the workers and the supervision thread."""
        self.start_processes()
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)
        self._thread.start()

    def start_processes(self) -> None:
        """Start every worker process (without the supervision thread)."""
        for worker in self.workers:
            self._spawn(worker)

    def _spawn(self, worker: _Worker) -> None:
        spec = worker.spec
        # a new node name per start (pipeline-1, pipeline-1.r1, ...): a ping answered by the
        # old incarnation can never be taken for the new one, and logs show the restarts
        suffix = f".r{worker.restarts}" if worker.restarts else ""
        worker.hostname = f"{spec.name}{suffix}@{self._tag}"
        worker.process = subprocess.Popen(
            worker_command(spec.roles, spec.concurrency, spec.pool, worker.hostname),
            env=self.env,
            start_new_session=True,  # its own process group: stopped and killed as one
            preexec_fn=self.preexec_fn,
        )
        worker.started_at = time.monotonic()
        worker.last_pong_at = None

    def _run(self) -> None:
        # Every second while a worker has not answered yet: its start-up grace ends at its
        # first answer, so that a worker hanging right after start is not given the grace.
        while not self._stop.wait(self._next_interval()):
            try:
                self.check_once()
            except Exception as exc:  # the supervisor itself must keep running
                self.log(f"supervisor error: {exc!r}")

    def _next_interval(self) -> float:
        starting = any(w.last_pong_at is None for w in self.workers)
        return min(1.0, self.check_interval_s) if starting else self.check_interval_s

    def check_once(self, now: float | None = None) -> list[str]:
        """One round: restart exited workers, ping the others, restart the silent ones.
        Returns the names of the workers restarted in this round."""
        restarted: list[str] = []
        alive = []
        for worker in self.workers:
            process = worker.process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                self._restart(worker, f"exited with code {code}")
                restarted.append(worker.spec.name)
            else:
                alive.append(worker)
        if not alive or self._stop.is_set():
            return restarted
        answered = self.ping([w.hostname for w in alive])
        now = time.monotonic() if now is None else now
        for worker in alive:
            if worker.hostname in answered:
                worker.last_pong_at = now
                continue
            if worker.last_pong_at is None:
                silent_for = now - worker.started_at
                limit = self.startup_grace_s
            else:
                silent_for = now - worker.last_pong_at
                limit = self.unresponsive_after_s
            if silent_for > limit:
                self._restart(worker, f"no answer to ping for {silent_for:.0f} s")
                restarted.append(worker.spec.name)
        return restarted

    def _restart(self, worker: _Worker, why: str) -> None:
        if self._stop.is_set():
            return
        self.log(f"worker {worker.spec.name} {why}; restarting it")
        if worker.process is not None:
            kill_group(worker.process)
        worker.restarts += 1
        worker.history.append(why)
        self._spawn(worker)
        if self.on_worker_lost is not None:
            self.on_worker_lost(worker.spec)

    def status(self) -> list[dict[str, object]]:
        """Per worker: name, pid, whether it answered, restarts so far."""
        return [
            {
                "name": w.spec.name,
                "hostname": w.hostname,
                "pid": w.process.pid if w.process else None,
                "answered": w.last_pong_at is not None,
                "restarts": w.restarts,
            }
            for w in self.workers
        ]

    def stop(self) -> None:
        """Warm-stop every worker (SIGTERM to its group), kill those that do not exit."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.check_interval_s + 10)
        for worker in self.workers:
            if worker.process is not None and worker.process.poll() is None:
                os.killpg(worker.process.pid, signal.SIGTERM)
        for worker in self.workers:
            if worker.process is not None:
                try:
                    worker.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    kill_group(worker.process)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker's whole process group and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
