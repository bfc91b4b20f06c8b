"""The Dockerfile passes hadolint and the compose file wires API and worker the same way."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import PROJECT_ROOT

DOCKER = PROJECT_ROOT / "docker"


def test_dockerfile_lints_clean() -> None:
    hadolint = shutil.which("hadolint") or str(Path(__file__).parents[2] / ".venv/bin/hadolint")
    result = subprocess.run(
        [hadolint, "--config", str(DOCKER / "hadolint.yaml"), str(DOCKER / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_api_worker_postgres_redis() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "api", "worker", "migrate"} <= set(services)
    assert services["worker"]["command"][:2] == ["idgate", "worker"]
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["IDGATE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["IDGATE_BROKER_URL"].startswith("redis://")


def test_compose_separates_queues_with_health_checks_and_restarts() -> None:
    services = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]
    queues = {}
    for name, service in services.items():
        command = service.get("command", [])
        if command[:2] == ["idgate", "worker"]:
            queues[name] = command[command.index("--queues") + 1]
            assert "--processes" in command  # supervised: restarted on exit or silence
            assert service["healthcheck"]["test"][:2] == ["CMD", "idgate"]
    assert sorted(queues.values()) == ["maintenance", "pipeline", "webhooks"]
    for name in ("api", "postgres", "redis", *queues):
        assert services[name]["restart"] == "unless-stopped"
        assert "healthcheck" in services[name] or name == "api"
