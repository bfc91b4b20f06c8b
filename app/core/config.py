"""Service configuration from ``IDGATE_*`` environment variables.

The defaults are the embedded set-up (SQLite, local encrypted files, a filesystem
broker) under ``IDGATE_DATA_DIR`` (``./.idgate``). Production points
``IDGATE_DATABASE_URL`` at PostgreSQL and ``IDGATE_BROKER_URL`` at Redis or RabbitMQ.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EMBEDDED_BROKER = "filesystem://"


class Settings(BaseSettings):
    """All settings; each field maps to ``IDGATE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="IDGATE_", extra="ignore")

    data_dir: Path = Path(".idgate")
    database_url: str | None = None
    broker_url: str = EMBEDDED_BROKER
    # Redis redelivers an unacknowledged task only after this many seconds.
    broker_visibility_timeout_s: int = 3600
    public_base_url: str = "http://127.0.0.1:8000"
    # base64 AES-256 key for blobs and secrets at rest; generated into data_dir when unset.
    storage_key: str | None = None
    # secret used to sign reviewer session cookies and to key document fingerprints.
    app_secret: str | None = None
    policy_file: Path | None = None

    verification_ttl_hours: int = 72
    # Images, face templates and fingerprints are deleted this many days after the decision
    # (or after the link expired unused); decisions and the audit trail are kept.
    retention_days: int = Field(default=30, ge=1, le=3650)
    retention_interval_s: int = Field(default=3600, ge=60)
    challenge_ttl_s: int = 120
    max_upload_bytes: int = 15 * 1024 * 1024
    max_video_bytes: int = 40 * 1024 * 1024
    # a whole request body (a 90-frame burst of 640x480 JPEGs is about 5 MB)
    max_request_bytes: int = 64 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_selfie_frames: int = 90
    # all images of one upload request together (a 90-frame burst of 640x480 is 27.6 MP)
    max_request_pixels: int = 60_000_000
    task_time_limit_s: int = 300
    stale_processing_after_s: int = 600
    webhook_timeout_s: float = 5.0
    # Webhook URLs may not point at loopback, private, link-local or metadata addresses,
    # except hosts or networks listed here (comma-separated: "hooks.internal,10.1.0.0/16").
    webhook_allowed_hosts: str = ""

    # Throttling ("limits" notation). Storage: "memory://" (one process) or "redis://...".
    rate_limit_storage_url: str = "memory://"
    # failed reviewer logins from one address / against one account (then an audited lock-out)
    rate_limit_login_address: str = "10/15 minutes"
    rate_limit_login_account: str = "5/15 minutes"
    # unknown short links, wrong client secrets, wrong API keys from one address
    rate_limit_short_link_address: str = "20/10 minutes"
    rate_limit_client_secret_address: str = "20/10 minutes"
    rate_limit_api_key_address: str = "20/10 minutes"
    # uploads (document, challenge, selfie) into one verification
    rate_limit_uploads_verification: str = "60/hour"

    # Reviewer console sessions: ended by logout, password change, idle time or age.
    reviewer_session_idle_minutes: int = 30
    reviewer_session_max_hours: int = 8
    # Four-eyes rule: approving a case escalated for a duplicate or a face mismatch needs a
    # second reviewer's confirmation.
    review_second_approval: bool = True
    # Test-only: pause the document stage so a test can kill the worker mid-task.
    # Connections per process (API or worker) to a server database. The API serves
    # requests from a thread pool of 40: a pool of 5 + 5 ran out at 100 status reads/s
    # (QueuePool timeouts in the load benchmark, benchmarks/NOTES-ops.md).
    db_pool_size: int = Field(default=20, ge=1, le=200)
    db_max_overflow: int = Field(default=20, ge=0, le=200)
    debug_stage_delay_s: float = Field(default=0.0, ge=0.0, le=30.0)
    # Test-only: issue exactly these liveness actions (comma-separated) instead of random
    # ones, so a browser test can feed a camera clip that performs them. Never set in
    # production: a predictable challenge can be pre-recorded.
    debug_fixed_challenge: str | None = None
    # Organisations: how the 50 % rule is applied (ofac | eu | uk; see app/screening/ownership.py).
    ownership_regime: str = "ofac"

    @model_validator(mode="after")
    def _fixed_challenge_only_locally(self) -> Settings:
        """A fixed challenge (tests, ``idgate serve --demo``) can be pre-recorded: it is
        refused unless the database is the embedded SQLite one and users reach the service
        on a loopback address, so a production set-up cannot start with it."""
        if self.debug_fixed_challenge:
            from urllib.parse import urlsplit

            host = urlsplit(self.public_base_url).hostname or ""
            local = host in ("127.0.0.1", "localhost", "::1")
            if not (self.resolved_database_url.startswith("sqlite") and local):
                raise ValueError(
                    "IDGATE_DEBUG_FIXED_CHALLENGE (demo and tests only) needs the embedded "
                    "SQLite database and a loopback IDGATE_PUBLIC_BASE_URL; unset it in production"
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'idgate.db').resolve()}"

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    @property
    def broker_dir(self) -> Path:
        return (self.data_dir / "broker").resolve()

    @property
    def blob_dir(self) -> Path:
        return (self.data_dir / "blobs").resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
