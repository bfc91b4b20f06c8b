"""The integration tier: real PostgreSQL, a real broker (Redis or RabbitMQ), the API and
Celery worker as separate processes, exactly as they run in production.

Locally, a missing service skips the tier with a reason; with ``CI=true`` or
``IDGATE_REQUIRE_INTEGRATION=1`` it is an error, so the tier is never silently skipped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.supervisor import worker_command
from tests.conftest import PROJECT_ROOT
from workers.queues import QUEUES_BY_ROLE

QUEUES = ",".join(QUEUES_BY_ROLE.values())

PG_ADMIN_URL = os.environ.get("IDGATE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("IDGATE_TEST_REDIS", "redis://127.0.0.1:6379/7")
AMQP_URL = os.environ.get("IDGATE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")

pytestmark = pytest.mark.integration


def _unavailable(message: str) -> None:
    if os.environ.get("IDGATE_REQUIRE_INTEGRATION") == "1" or os.environ.get("CI") == "true":
        pytest.fail(f"integration tier required but unavailable: {message}")
    pytest.skip(message)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run's stacks, dropped afterwards."""
    yield from _fresh_database()


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """Another fresh PostgreSQL database, for one test (e.g. migrations)."""
    yield from _fresh_database()


def _fresh_database() -> Iterator[str]:
    if not _port_open("127.0.0.1", 5432):
        _unavailable("PostgreSQL is not listening on 127.0.0.1:5432")
    name = f"idgate_it_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _cli(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", *args, "--json"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    return json.loads(out.stdout)


@dataclass
class Stack:
    """An API process and worker processes sharing one database, broker and blob folder."""

    env: dict[str, str]
    api_port: int
    api: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    worker_logs: list[Path] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def cli(self, *args: str) -> dict:
        return _cli(self.env, *args)

    def start_api(self) -> None:
        log = open(Path(self.env["IDGATE_DATA_DIR"]) / "api.log", "ab")  # noqa: SIM115
        self.api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
            ],
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                # /healthz: /readyz waits for a worker, which starts after the API here
                if httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("API did not become ready")

    def start_worker(self, **extra_env: str) -> subprocess.Popen:
        env = {**self.env, **extra_env}
        path = Path(env["IDGATE_DATA_DIR"]) / f"worker-{len(self.workers)}.log"
        log = open(path, "ab")  # noqa: SIM115
        # Prefork, as `idgate worker` runs all queues: the SIGKILL test kills master and child.
        proc = subprocess.Popen(
            worker_command(("pipeline", "webhooks", "maintenance"), 1, "prefork"),
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(proc)
        self.worker_logs.append(path)
        return proc

    def kill_worker(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool children: no warm shutdown, no ack."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        if self.api and self.api.poll() is None:
            self.api.terminate()
            self.api.wait(timeout=20)


def make_stack(pg_url: str, broker_url: str, schema_suffix: str) -> Stack:
    data_dir = Path(tempfile.mkdtemp(prefix=f"idgate-it-{schema_suffix}-"))
    env = {
        **os.environ,
        "IDGATE_DATA_DIR": str(data_dir),
        "IDGATE_DATABASE_URL": pg_url,
        "IDGATE_BROKER_URL": broker_url,
        "IDGATE_BROKER_VISIBILITY_TIMEOUT_S": "20",
        # the test's webhook receiver listens on loopback, which the SSRF guard refuses
        "IDGATE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1/32",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    stack = Stack(env=env, api_port=_free_port())
    stack.cli("migrate")
    # An empty queue: nothing left over from an earlier run reaches this run's workers.
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "purge", "-f", "-Q", QUEUES],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=60,
    )
    return stack


@pytest.fixture(scope="session")
def redis_stack(pg_url: str) -> Iterator[Stack]:
    """API + one worker on PostgreSQL and Redis."""
    if not _port_open("127.0.0.1", 6379):
        _unavailable("Redis is not listening on 127.0.0.1:6379")
    stack = make_stack(pg_url, REDIS_URL, "redis")
    try:
        stack.start_api()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()


@dataclass
class ReceivedHook:
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A real HTTP endpoint that records what it receives (and can fail on purpose)."""

    def __init__(self) -> None:
        self.received: list[ReceivedHook] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append(ReceivedHook(dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(h.body) for h in self.received]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def wait_for(predicate, timeout: float = 180.0, interval: float = 0.5, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
