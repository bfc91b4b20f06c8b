"""Shared set-up of the operations scripts (kill test, queue isolation, load benchmark): a
real ``idgate serve`` on a fresh PostgreSQL database and a Redis broker, an API key, and
verifications submitted through the public API with a rendered, unexpired passport."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IDGATE_SHARED_DATA", ROOT.parent / "shared" / "data"))
PG_ADMIN_URL = os.environ.get("IDGATE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("IDGATE_OPS_REDIS", "redis://127.0.0.1:6379/9")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> str:
    """The 1/5/15-minute load average (the machine is shared: figures depend on it)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Service:
    """A running ``idgate serve`` and what a client needs to talk to it."""

    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    database_url: str
    log_path: Path
    api_key: str = ""

    def api(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=timeout,
        )

    def cli(self, *args: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "app.cli", *args, "--json"],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(out.stdout)

    def ready_workers(self) -> list[str]:
        try:
            r = httpx.get(self.base_url + "/readyz", timeout=5)
        except httpx.HTTPError:
            return []
        return r.json().get("workers", []) if r.status_code == 200 else []

    def worker_pids(self) -> dict[str, tuple[int, str]]:
        """Worker name (pipeline-1, webhooks, ...) -> (pid, current node name) of serve's
        worker processes."""
        out = subprocess.run(
            ["ps", "-o", "pid=,args=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
        ).stdout
        pids = {}
        for line in out.splitlines():
            pid, _, args = line.strip().partition(" ")
            if "--hostname" in args:
                node = args.split("--hostname", 1)[1].split()[0]
                pids[node.split("@")[0].split(".r")[0]] = (int(pid), node)
        return pids


def _fresh_database() -> str:
    from sqlalchemy import create_engine, text

    name = f"idgate_ops_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def running_service(
    pipeline_workers: int = 2, extra_env: dict[str, str] | None = None, keep: bool = False
) -> Iterator[Service]:
    """``idgate serve --concurrency N`` on a fresh PostgreSQL database and Redis."""
    import redis

    data_dir = Path(tempfile.mkdtemp(prefix="idgate-ops-"))
    database_url = _fresh_database()
    redis.Redis.from_url(REDIS_URL).flushdb()  # this script's own Redis database
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDGATE_")}
    env.update(
        IDGATE_DATA_DIR=str(data_dir),
        IDGATE_DATABASE_URL=database_url,
        IDGATE_BROKER_URL=REDIS_URL,
        IDGATE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        IDGATE_WEBHOOK_ALLOWED_HOSTS="127.0.0.1/32",
        PYTHONPATH=str(ROOT),
        **(extra_env or {}),
    )
    log_path = data_dir / "serve.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--port",
            str(port),
            "--concurrency",
            str(pipeline_workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    service = Service(f"http://127.0.0.1:{port}", env, process, database_url, log_path)
    try:
        deadline = time.monotonic() + 180
        while len(service.ready_workers()) < pipeline_workers:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("idgate serve did not become ready: " + _tail(log_path))
            time.sleep(1)
        service.api_key = service.cli("apikey", "create", "ops")["api_key"]
        yield service
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()
        if not keep:
            _drop_database(database_url)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


def sample_passport(cache_dir: Path | None = None) -> tuple[bytes, bytes]:
    """(document JPEG, selfie JPEG): a rendered, unexpired TD3 passport with Obama's real
    portrait, and another real photo of him as the selfie. Cached between runs."""
    cache_dir = cache_dir or Path(tempfile.gettempdir()) / "idgate-ops-media"
    cache_dir.mkdir(exist_ok=True)
    path = cache_dir / f"obama-td3-{date.today().year}.jpg"
    if not path.exists():
        path.write_bytes(render_sample_passport("obama", "obama.jpg", date(1961, 8, 4)))
    selfie = (SHARED / "faces" / "obama" / "obama2.jpg").read_bytes()
    return path.read_bytes(), selfie


def render_sample_passport(identity: str, portrait_file: str, birth_date: date) -> bytes:
    """JPEG of a synthetic TD3 passport that the current reader reads exactly (first of a
    few seeds), valid for years from today."""
    import io

    import numpy as np
    from PIL import Image

    from app.vision.document.reader import read_document
    from app.vision.faces import load_face_models
    from benchmarks.synth.documents import random_spec, render_document

    today = date.today()
    for seed in range(11, 23):
        rng = np.random.default_rng(seed)
        spec = dataclasses.replace(
            random_spec(rng),
            format="TD3",
            document_type="P",
            identity=identity,
            portrait_file=portrait_file,
            birth_date=birth_date,
            issue_date=date(today.year - 1, 3, 1),
            expiry_date=date(today.year + 8, 2, 28),
            dpi=300.0,
        )
        spec = dataclasses.replace(spec, document_number=spec.document_number[:9])
        page, truth = render_document(spec, rng)
        height, width = page.shape[:2]
        scan = np.full((height + 160, width + 160, 3), 246, np.uint8)  # a flatbed scan
        scan[80 : 80 + height, 80 : 80 + width] = page
        reading = read_document(scan, today=today, models=load_face_models())
        if reading.mrz.valid and reading.mrz.lines == tuple(truth.mrz_lines) and reading.portrait:
            buffer = io.BytesIO()
            Image.fromarray(scan).save(buffer, format="JPEG", quality=95)
            return buffer.getvalue()
    raise RuntimeError("the reader read none of the rendered passports exactly")


def flag_and_submit(
    client: httpx.Client, account: str, document: bytes, selfie: bytes
) -> tuple[dict, float]:
    """Flag ``account``, upload the document and a still selfie, submit. Returns the
    verification (id, client_secret) and the monotonic time of the submit."""
    verification = client.post(f"/v1/accounts/{account}/flag", json={"reason": "ops"}).json()[
        "verification"
    ]
    headers = {"X-Client-Secret": verification["client_secret"]}
    session = f"/v1/sessions/{verification['id']}"
    r = client.post(session + "/document", headers=headers, files={"file": ("d.jpg", document)})
    r.raise_for_status()
    r = client.post(session + "/selfie", headers=headers, files={"files": ("s.jpg", selfie)})
    r.raise_for_status()
    submitted = time.monotonic()
    r = client.post(session + "/submit", headers=headers)
    r.raise_for_status()
    return verification, submitted


def status(client: httpx.Client, verification: dict) -> str:
    return client.get(
        f"/v1/sessions/{verification['id']}/status",
        headers={"X-Client-Secret": verification["client_secret"]},
    ).json()["status"]


def decision_counts(database_url: str, verification_ids: list[str]) -> dict[str, int]:
    """Decision rows per verification (exactly one each when nothing was lost or doubled)."""
    from sqlalchemy import create_engine, func, select

    from app.verifications.models import DecisionRecord

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(DecisionRecord.verification_id, func.count())
            .where(DecisionRecord.verification_id.in_(verification_ids))
            .group_by(DecisionRecord.verification_id)
        ).all()
    engine.dispose()
    counts = {vid: 0 for vid in verification_ids}
    counts.update({vid: n for vid, n in rows})
    return counts
