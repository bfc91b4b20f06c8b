"""The ``idgate`` command. Every subcommand prints JSON with ``--json``; exit 0 when the
command ran, 2 on bad usage (unknown options, unreadable input files)."""

from __future__ import annotations

import argparse
import ctypes
import getpass
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad usage: reported with exit code 2."""


def _print(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload, indent=2, sort_keys=False, default=str))
    else:
        for key, value in payload.items():
            if isinstance(value, dict | list):
                value = json.dumps(value, default=str)
            print(f"{key}: {value}")


def _read_file(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"no such file: {path}")
    return p.read_bytes()


def _load_rgb(path: str):  # type: ignore[no-untyped-def]
    from app.media import decode_image
    from app.vision.errors import ImageRejected

    try:
        return decode_image(
            _read_file(path), max_bytes=200 * 1024 * 1024, max_pixels=100_000_000
        ).rgb
    except ImageRejected as exc:
        raise UsageError(f"{path}: {exc.reason_code}: {exc.message}") from exc


def _load_media(
    paths: list[str], start_s: float = 0.0, end_s: float | None = None
) -> tuple[list[Any], list[float]]:
    """One video file (optionally a segment of it), or several frame images in order
    (timestamps at 10 fps)."""
    from app.media import read_video_frames, sniff_media_type

    if len(paths) == 1:
        head = _read_file(paths[0])[:16]
        if (sniff_media_type(head) or "").startswith("video/"):
            # Dense enough that a one-second turn is judged on >= 7 frames (every frame of
            # a clip up to 7.5 s at 20 fps, 7.5 fps at the 20 s cap), bounded for speed.
            frames, times = read_video_frames(
                paths[0], max_frames=150, start_s=start_s, end_s=end_s
            )
            if not frames:
                raise UsageError(f"{paths[0]}: no decodable frames")
            return frames, times
    frames = [_load_rgb(p) for p in paths]
    return frames, [i / 10.0 for i in range(len(frames))]


# --- subcommands -------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> dict[str, Any]:
    from app.core.config import get_settings
    from app.core.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    return {"migrated": True, "database": _redact_url(settings.resolved_database_url)}


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def cmd_apikey_create(args: argparse.Namespace) -> dict[str, Any]:
    from app.core.audit import SYSTEM, record
    from app.core.db import session_scope
    from app.core.models import ApiKey
    from app.core.security import generate_api_key
    from app.core.types import new_id

    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    full, prefix, digest = generate_api_key()
    with session_scope() as session:
        key = ApiKey(
            id=new_id("key"), name=args.name, prefix=prefix, secret_hash=digest, scopes=scopes
        )
        session.add(key)
        record(session, SYSTEM, "api_key.created", "api_key", key.id, name=args.name, scopes=scopes)
        key_id = key.id
    return {
        "id": key_id,
        "name": args.name,
        "scopes": scopes,
        "api_key": full,
        "note": "shown once; store it in your platform's secret manager",
    }


PASSWORD_RULES = "at least 12 characters"


def _reviewer_password(args: argparse.Namespace, prompt: str) -> str:
    """From --password, --password-stdin (first line of stdin), IDGATE_REVIEWER_PASSWORD,
    or a prompt when stdin is a terminal."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = args.password or os.environ.get("IDGATE_REVIEWER_PASSWORD") or ""
    if not password:
        if args.password_stdin or not sys.stdin.isatty():
            raise UsageError(
                "no password: give --password-stdin (first line of stdin), --password, "
                f"IDGATE_REVIEWER_PASSWORD or run in a terminal; rules: {PASSWORD_RULES}"
            )
        password = getpass.getpass(f"{prompt} ({PASSWORD_RULES}): ")
    if len(password) < 12:
        raise UsageError(f"password too short: {PASSWORD_RULES}")
    return password


def cmd_reviewer_create(args: argparse.Namespace) -> dict[str, Any]:
    from app.core.db import session_scope
    from app.reviews.service import create_reviewer

    password = _reviewer_password(args, "Password")
    try:
        with session_scope() as session:
            reviewer = create_reviewer(session, args.email, password, args.role)
            out = {"id": reviewer.id, "email": reviewer.email, "role": reviewer.role}
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return out


def cmd_reviewer_password(args: argparse.Namespace) -> dict[str, Any]:
    """Set a reviewer's password; every console session of theirs ends."""
    from sqlalchemy import select

    from app.core.audit import Actor
    from app.core.db import session_scope
    from app.core.errors import ApiError
    from app.reviews.models import Reviewer
    from app.reviews.service import set_password

    password = _reviewer_password(args, "New password")
    try:
        with session_scope() as session:
            email = args.email.strip().lower()
            reviewer = session.scalar(select(Reviewer).where(Reviewer.email == email))
            if reviewer is None:
                raise UsageError(f"no reviewer {email}")
            set_password(session, reviewer, password, Actor("system", "cli"))
            out = {"id": reviewer.id, "email": reviewer.email, "sessions_ended": True}
    except ApiError as exc:
        raise UsageError(exc.message) from exc
    return out


def cmd_faces_reencode(args: argparse.Namespace) -> dict[str, Any]:
    from app.core.db import session_factory
    from app.pipeline.reencode import reencode_templates
    from app.pipeline.stages import load_artifact_image
    from app.vision.faces import load_face_models

    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    report = reencode_templates(
        session_factory(), load_face_models(), load_artifact_image, batch_size=args.batch_size
    )
    return report.to_json()


def cmd_mrz(args: argparse.Namespace) -> dict[str, Any]:
    from app.policy_runtime import get_policy
    from app.vision.document.reader import read_document

    image = _load_rgb(args.image)
    started = time.perf_counter()
    # No portrait search, so no face models: loading them was 2.5 s of a fresh run.
    reading = read_document(
        image,
        today=date.today(),
        find_portrait=False,
        thresholds=get_policy().document_quality,
    )
    out = reading.mrz.to_json()
    out["reason_codes"] = list(reading.reason_codes)
    out["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return out


def cmd_match(args: argparse.Namespace) -> dict[str, Any]:
    from app.policy_runtime import get_policy
    from app.vision.faces import analyse_face, compare_faces, load_face_models

    policy = get_policy()
    models = load_face_models()
    a = analyse_face(
        _load_rgb(args.image_a), role="selfie", models=models, thresholds=policy.face_quality
    )
    b = analyse_face(
        _load_rgb(args.image_b),
        role="portrait" if args.portrait else "selfie",
        models=models,
        thresholds=policy.face_quality,
    )
    bands = policy.face_bands_for(models.template_model_id)
    out: dict[str, Any] = {
        "distance": None,
        "match": False,
        "threshold": bands.match_max_distance if bands else None,
        "faces": [a.faces_found, b.faces_found],
        "model": models.version,
    }
    if a.sample is None or b.sample is None:
        out["reasons"] = list(dict.fromkeys(a.reason_codes + b.reason_codes))
        return out
    if bands is None:
        out["reasons"] = ["face_model_not_calibrated"]
        return out
    result = compare_faces(a.sample.encoding, b.sample.encoding, bands)
    out.update(
        {
            "distance": round(result.distance, 4),
            "match": result.band == "match",
            "band": result.band,
            "reasons": list(result.reason_codes),
        }
    )
    return out


def _challenge(text: str | None) -> list[str] | None:
    from app.vision.liveness.challenge import ACTIONS

    if not text:
        return None
    actions = [a.strip() for a in text.split(",") if a.strip()]
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown:
        raise UsageError(f"unknown actions {unknown}; choose from {list(ACTIONS)}")
    return actions


def cmd_liveness(args: argparse.Namespace) -> dict[str, Any]:
    from app.vision.faces import load_face_models
    from app.vision.liveness.verify import verify_liveness

    challenge = _challenge(args.challenge)
    if not challenge:
        raise UsageError("--challenge is required (e.g. turn_left,blink)")
    frames, times = _load_media(args.media, args.start, args.end)
    result = verify_liveness(frames, times, challenge, models=load_face_models())
    return result.to_json()


def cmd_verify(args: argparse.Namespace) -> dict[str, Any]:
    from app.pipeline import evaluate
    from app.policy_runtime import get_policy
    from app.vision.faces import load_face_models

    started = time.perf_counter()
    policy = get_policy()
    models = load_face_models()
    challenge = _challenge(args.challenge)
    document = evaluate.evaluate_document(
        _load_rgb(args.document),
        today=date.today(),
        models=models,
        back=_load_rgb(args.document_back) if args.document_back else None,
        thresholds=policy.document_quality,
    )
    frames, times = _load_media(args.selfie)
    selfie = evaluate.evaluate_selfie(
        frames, times if challenge else None, challenge, policy=policy, models=models
    )
    _portrait_face, match = evaluate.evaluate_face_match(
        selfie.face, document.portrait, policy=policy, models=models
    )
    duplicates = evaluate.evaluate_duplicates(
        [],
        [],
        policy=policy,
        template_model_id=models.template_model_id,
        model_version=models.version,
    )
    checks = [*document.checks, *selfie.checks, match, duplicates]
    decision = evaluate.decide_attempt(
        checks, document.facts, policy=policy, today=date.today(), review_sample_draw=1.0
    )
    return {
        "decision": decision.status,
        "reasons": list(decision.reason_codes),
        "escalations": list(decision.escalations),
        "policy_version": decision.policy_version,
        "document": document.summary,
        "face_match": {
            "outcome": match.outcome,
            "reason_codes": list(match.reason_codes),
            **dict(match.details),
        },
        "liveness": selfie.liveness.to_json()
        if selfie.liveness
        else {"live": None, "reasons": ["liveness_not_checked"]},
        "checks": [c.to_json() for c in decision.checks],
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def cmd_worker(args: argparse.Namespace) -> int:
    """One Celery worker; with ``--processes N``, N of them under the same supervision as
    ``idgate serve`` (restart on exit or on silence to pings) until SIGTERM."""
    from app.supervisor import Supervisor, WorkerSpec, worker_command

    roles = _roles(args.queues)
    pool = args.pool or ("threads" if roles == ("pipeline",) else "prefork")
    if not args.processes:
        return subprocess.call(worker_command(roles, args.concurrency, pool, args.hostname))
    name = "-".join(roles)
    specs = [
        WorkerSpec(f"{name}-{i + 1}", roles, pool, args.concurrency) for i in range(args.processes)
    ]
    supervisor = Supervisor(specs, preexec_fn=die_with_parent)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    supervisor.start()
    print(f"idgate: supervising {[s.name for s in specs]} on {roles}", flush=True)
    stopping.wait()
    supervisor.stop()
    return EXIT_OK


def _roles(text: str) -> tuple[str, ...]:
    from workers.queues import QUEUES_BY_ROLE

    roles = tuple(r.strip() for r in text.split(",") if r.strip())
    unknown = [r for r in roles if r not in QUEUES_BY_ROLE]
    if unknown or not roles:
        raise UsageError(f"--queues: unknown {unknown}; choose from {sorted(QUEUES_BY_ROLE)}")
    return roles


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when, for every role asked, a worker consuming its queue answers over the
    broker (for container health checks); prints who answered."""
    from app.core.readiness import inspect_consumers
    from workers.queues import QUEUES_BY_ROLE

    consumers = {
        role: inspect_consumers(QUEUES_BY_ROLE[role], args.timeout) for role in _roles(args.queues)
    }
    healthy = all(consumers.values())
    _print({"healthy": healthy, "consumers": consumers}, args.json)
    return EXIT_OK if healthy else 1


def cmd_demo(args: argparse.Namespace) -> dict[str, Any]:
    """DEMO: flag an account and take it through capture to a decision on a local
    ``idgate serve --demo``."""
    from app.demo import DemoError, run_demo

    api_key = (
        args.api_key
        or cmd_apikey_create(
            argparse.Namespace(name="demo", scopes="accounts:read,accounts:write")
        )["api_key"]
    )
    account = args.account or f"demo-{int(time.time())}"
    try:
        return run_demo(args.url.rstrip("/"), api_key, account)
    except DemoError as exc:
        raise UsageError(str(exc)) from exc


def cmd_serve(args: argparse.Namespace) -> int:
    """API, supervised worker processes and the pages, on the configured (default embedded)
    set-up."""
    import uvicorn

    from app.core.config import get_settings
    from app.pipeline.stages import requeue_stale
    from app.storage.blobs import get_keys
    from app.supervisor import Supervisor, WorkerSpec, default_specs

    if args.demo:
        from app.demo import DEMO_CHALLENGE

        os.environ["IDGATE_DEBUG_FIXED_CHALLENGE"] = ",".join(DEMO_CHALLENGE)
        print(
            "idgate: DEMO MODE - every liveness challenge is "
            f"{list(DEMO_CHALLENGE)}; a fixed challenge can be pre-recorded, so this mode "
            "is refused unless the database is the embedded one and the address is loopback",
            flush=True,
        )
    if not os.environ.get("IDGATE_PUBLIC_BASE_URL"):
        # links sent to users must point at this server
        os.environ["IDGATE_PUBLIC_BASE_URL"] = f"http://{args.host}:{args.port}"
        get_settings.cache_clear()
    settings = get_settings()
    cmd_migrate(args)
    get_keys()  # creates the key files (mode 0600) on first run
    print(
        f"idgate: data in {settings.data_dir.resolve()}, database "
        f"{_redact_url(settings.resolved_database_url)}, broker {settings.broker_url}",
        flush=True,
    )

    def _after_worker_lost(spec: WorkerSpec) -> None:
        # Redis can lose the one message a worker had just popped when the worker dies
        # (pop and the unacked record are not atomic), and a stage's next message can be
        # lost between commit and publish: a minute after a pipeline worker died, stages
        # idle for 45 s are queued again (idempotent: a duplicate is a no-op).
        if "pipeline" in spec.roles:
            timer = threading.Timer(60, _requeue_quietly, args=(45,))
            timer.daemon = True
            timer.start()

    def _requeue_quietly(older_than_s: float) -> None:
        try:
            count = requeue_stale(older_than_s)
            if count:
                print(f"idgate: re-queued {count} stalled stage(s)", file=sys.stderr, flush=True)
        except Exception as exc:
            print(f"idgate: re-queue error: {exc}", file=sys.stderr)

    supervisor = Supervisor(
        default_specs(args.concurrency),
        env=os.environ.copy(),
        unresponsive_after_s=args.unresponsive_after,
        preexec_fn=die_with_parent,  # no threads run yet: preexec_fn is safe here
        on_worker_lost=_after_worker_lost,
    )
    supervisor.start()
    stop = threading.Event()

    def _sweeper() -> None:
        # A broker without redelivery (the embedded one) can lose a message when a worker
        # dies; stuck stages are re-enqueued. Stages are idempotent, so this is safe.
        next_retention = 0.0
        while not stop.wait(30):
            try:
                requeue_stale(settings.stale_processing_after_s)
                if time.monotonic() >= next_retention:
                    # the embedded set-up has no `celery beat`: queue retention from here
                    from workers.celery_app import celery_app

                    celery_app.send_task("idgate.retention")
                    next_retention = time.monotonic() + settings.retention_interval_s
            except Exception as exc:
                print(f"idgate: sweeper error: {exc}", file=sys.stderr)

    threading.Thread(target=_sweeper, daemon=True).start()
    # uvicorn re-raises SIGTERM after its graceful shutdown; turn it into SystemExit so
    # that the workers below are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print(f"idgate: serving on http://{args.host}:{args.port} (docs at /docs)", flush=True)
        uvicorn.run(
            "app.main:create_app", factory=True, host=args.host, port=args.port, log_level="info"
        )
    finally:
        stop.set()
        supervisor.stop()
    return EXIT_OK


def die_with_parent() -> None:
    """In a child about to exec: have Linux send it SIGTERM when its parent dies, even
    by SIGKILL (otherwise a killed ``idgate serve`` left its worker running, orphaned;
    seen after the browser tier). A no-op where ``prctl`` is missing."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def cmd_bench(args: argparse.Namespace) -> int:
    module = {
        "documents": "benchmarks.bench_documents",
        "liveness": "benchmarks.bench_liveness",
        "faces": "benchmarks.bench_faces",
        "duplicates": "benchmarks.bench_duplicates",
        "api": "benchmarks.bench_api",
        "ownership": "benchmarks.bench_ownership",
        "names": "benchmarks.bench_names",
        "screening": "benchmarks.bench_screening",
    }[args.suite]
    return subprocess.call([sys.executable, "-m", module, *args.rest])


# --- parser ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idgate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="print JSON")
        return p

    p = add("serve", "run API, worker and pages (embedded default: SQLite, files, local broker)")
    p.add_argument("--host", default=os.environ.get("IDGATE_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("IDGATE_PORT", "8000")))
    p.add_argument(
        "--concurrency", type=int, default=1, help="pipeline worker processes (one task each)"
    )
    p.add_argument(
        "--unresponsive-after",
        type=float,
        default=20.0,
        help="restart a worker that has not answered a ping for this many seconds",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="DEMO: a fixed liveness challenge for `idgate demo` (embedded database and "
        "loopback address only)",
    )
    p.set_defaults(run=cmd_serve, raw=True)

    p = add("demo", "DEMO: walk a verification from flag to decision on `idgate serve --demo`")
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--account", help="account id to flag (default demo-<unix time>)")
    p.add_argument("--api-key", help="default: create one (same data dir as the server)")
    p.set_defaults(run=cmd_demo)

    p = add("worker", "run a Celery worker")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument(
        "--queues",
        default="pipeline,webhooks,maintenance",
        help="roles to consume, comma-separated: pipeline, webhooks, maintenance",
    )
    p.add_argument(
        "--pool",
        choices=["threads", "prefork", "solo"],
        help="default: threads for a pipeline-only worker (scale with processes), else prefork",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=0,
        help="run N supervised worker processes (restarted when they exit or stop answering)",
    )
    p.add_argument("--hostname", help="Celery node name of a single worker, e.g. pipeline@%%h")
    p.set_defaults(run=cmd_worker, raw=True)

    p = add("health", "exit 0 when workers answer for the given queues (1 when not)")
    p.add_argument("--queues", default="pipeline", help="roles: pipeline, webhooks, maintenance")
    p.add_argument("--timeout", type=float, default=3.0)
    p.set_defaults(run=cmd_health, raw=True)

    add("migrate", "create or upgrade the database schema").set_defaults(run=cmd_migrate)

    p = add("apikey", "manage platform API keys")
    apisub = p.add_subparsers(dest="action", required=True)
    c = apisub.add_parser("create", help="create an API key (printed once)")
    c.add_argument("name")
    c.add_argument(
        "--scopes",
        default="accounts:read,accounts:write,verifications:read,"
        "verifications:write,webhooks:write",
    )
    c.add_argument("--json", action="store_true")
    c.set_defaults(run=cmd_apikey_create)

    p = add("reviewer", "manage reviewer accounts")
    rsub = p.add_subparsers(dest="action", required=True)
    c = rsub.add_parser("create", help=f"create a reviewer (password: {PASSWORD_RULES})")
    c.add_argument("email")
    c.add_argument("--role", default="reviewer", choices=["reviewer", "admin"])
    c.add_argument(
        "--password", help=f"{PASSWORD_RULES}; else IDGATE_REVIEWER_PASSWORD or a prompt"
    )
    c.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    c.add_argument("--json", action="store_true")
    c.set_defaults(run=cmd_reviewer_create)
    c = rsub.add_parser("password", help="set a reviewer's password (ends their sessions)")
    c.add_argument("email")
    c.add_argument(
        "--password", help=f"{PASSWORD_RULES}; else IDGATE_REVIEWER_PASSWORD or a prompt"
    )
    c.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    c.add_argument("--json", action="store_true")
    c.set_defaults(run=cmd_reviewer_password)

    p = add("faces", "face template maintenance")
    fsub = p.add_subparsers(dest="action", required=True)
    c = fsub.add_parser(
        "reencode", help="re-encode stored selfie templates of older face models (resumable)"
    )
    c.add_argument("--batch-size", type=int, default=50, help="templates per transaction")
    c.add_argument("--json", action="store_true")
    c.set_defaults(run=cmd_faces_reencode)

    p = add("mrz", "read the MRZ of a document image")
    p.add_argument("image")
    p.set_defaults(run=cmd_mrz)

    p = add("match", "compare the faces of two images")
    p.add_argument("image_a")
    p.add_argument("image_b")
    p.add_argument("--portrait", action="store_true", help="IMAGE_B is an ID portrait")
    p.set_defaults(run=cmd_match)

    p = add("liveness", "verify a liveness challenge from a video or ordered frames")
    p.add_argument("media", nargs="+")
    p.add_argument("--challenge", required=True, help="e.g. turn_left,blink")
    p.add_argument("--start", type=float, default=0.0, help="video: segment start (s)")
    p.add_argument("--end", type=float, default=None, help="video: segment end (s)")
    p.set_defaults(run=cmd_liveness)

    p = add("verify", "run the whole pipeline and policy without the database")
    p.add_argument("--document", required=True)
    p.add_argument("--document-back")
    p.add_argument("--selfie", nargs="+", required=True)
    p.add_argument("--challenge")
    p.set_defaults(run=cmd_verify)

    p = add("bench", "run a benchmark suite (prints figures)")
    p.add_argument(
        "suite",
        choices=[
            "documents", "liveness", "faces", "duplicates", "api",
            "ownership", "names", "screening",
        ],
    )  # fmt: skip
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(run=cmd_bench, raw=True)

    from app.organisations.cli import add_commands

    add_commands(sub, add)  # lists load, screen, ownership
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
    except UsageError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": {"code": "bad_usage", "message": str(exc)}}))
        else:
            print(f"idgate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "raw", False) or (
        getattr(args, "raw_if_int", False) and isinstance(result, int)
    ):
        return int(result or 0)
    _print(result, getattr(args, "json", False))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
