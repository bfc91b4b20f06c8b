#!/usr/bin/env bash
# idgate's two entry points, for a fresh Debian machine or a developer's checkout:
#   bash scripts/dev.sh serve   install what is missing, migrate, run API + worker + pages
#   bash scripts/dev.sh test    install what is missing, lint, type-check, run the whole suite
# Installs only what is missing: Debian packages (tesseract, OCR-B and DejaVu fonts,
# Chromium for the browser tests), uv, and the project's virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[idgate]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_uv() {
  if ! command -v uv >/dev/null 2>&1; then
    log "installing uv"
    python3 -m pip install --quiet uv 2>/dev/null || python3 -m pip install --quiet --user uv
    export PATH="$HOME/.local/bin:$PATH"
  fi
}

ensure_venv() {
  ensure_uv
  uv sync --frozen --quiet
}

ensure_e2e_node_modules() {
  # axe-core for the accessibility checks of the browser tier, from the npm registry.
  if [ -f tests/e2e/package.json ] && [ ! -d tests/e2e/node_modules ]; then
    log "installing browser-test node modules"
    npm install --prefix tests/e2e --no-audit --no-fund --silent
  fi
}

start_local_services() {
  # The integration tier needs PostgreSQL, Redis and RabbitMQ on localhost; start any that
  # is installed but not running (CI machines start them already).
  if ! (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
    log "starting PostgreSQL"; as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  if ! (echo > /dev/tcp/127.0.0.1/6379) 2>/dev/null && command -v redis-server >/dev/null; then
    log "starting Redis"; as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  fi
  if ! (echo > /dev/tcp/127.0.0.1/5672) 2>/dev/null && command -v rabbitmq-server >/dev/null; then
    log "starting RabbitMQ"; as_root rabbitmq-server -detached || true
    for _ in $(seq 1 30); do (echo > /dev/tcp/127.0.0.1/5672) 2>/dev/null && break; sleep 1; done
  fi
}

RUNTIME_PACKAGES=(tesseract-ocr tesseract-ocr-eng fonts-ocr-b fonts-dejavu-core)

case "${1:-}" in
  serve)
    shift
    ensure_debian_packages "${RUNTIME_PACKAGES[@]}"
    ensure_venv
    exec uv run --frozen idgate serve "$@"
    ;;
  test)
    shift
    ensure_debian_packages "${RUNTIME_PACKAGES[@]}" chromium
    ensure_venv
    ensure_e2e_node_modules
    start_local_services
    log "ruff"
    uv run --frozen ruff check .
    uv run --frozen ruff format --check .
    log "mypy (pure core)"
    uv run --frozen mypy
    log "pytest"
    exec uv run --frozen python -m tests.run_suite "$@"
    ;;
  *)
    echo "usage: bash scripts/dev.sh serve|test [args]" >&2
    exit 2
    ;;
esac
