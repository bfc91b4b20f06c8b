"""Celery tasks: thin wrappers that pass ids to the pipeline and webhook code."""

from __future__ import annotations

import logging

from celery import Task

from app.core.config import get_settings
from app.core.db import session_scope
from app.pipeline.stages import requeue_stale, run_stage
from app.webhooks.delivery import DeliveryFailed, deliver
from workers.celery_app import celery_app

log = logging.getLogger(__name__)

# Transient failures (database or broker hiccups) are retried a bounded number of times;
# anything else is a bug and is logged by Celery. The stage itself is idempotent.
TRANSIENT = (ConnectionError, TimeoutError, OSError)


def _stage_task(stage: str) -> Task:
    @celery_app.task(
        name=f"idgate.stage.{stage}",
        bind=True,
        acks_late=True,
        autoretry_for=TRANSIENT,
        retry_backoff=2,
        retry_backoff_max=60,
        max_retries=5,
    )
    def _task(self: Task, attempt_id: str) -> str:
        outcome = run_stage(stage, attempt_id)
        log.info("stage %s attempt %s -> %s", stage, attempt_id, outcome)
        return outcome

    return _task


stage_document = _stage_task("document")
stage_selfie = _stage_task("selfie")
stage_face = _stage_task("face")
stage_decide = _stage_task("decide")


@celery_app.task(name="idgate.deliver_webhook", bind=True, acks_late=True, max_retries=7)
def deliver_webhook(self: Task, delivery_id: str) -> str:
    """POST one webhook; on failure retry with exponential backoff (5 s … ~10 min)."""
    try:
        with session_scope() as session:
            return deliver(session, delivery_id, get_settings().webhook_timeout_s)
    except DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc


@celery_app.task(name="idgate.requeue_stale", acks_late=True)
def requeue_stale_task() -> int:
    return requeue_stale(get_settings().stale_processing_after_s)


@celery_app.task(name="idgate.retention", acks_late=True)
def retention_task() -> int:
    """Redact verifications past ``IDGATE_RETENTION_DAYS`` (idempotent; beat runs it)."""
    from app.reviews.service import purge_ended_sessions
    from app.verifications.retention import run_retention

    count = run_retention()
    with session_scope() as session:
        purged = purge_ended_sessions(session)
    log.info("retention: %d verifications redacted, %d ended sessions purged", count, purged)
    return count


# Re-encoding old face templates runs in bounded slices (well inside the task time limit)
# and queues its own continuation while outdated templates remain.
REENCODE_BATCHES_PER_TASK = 10


@celery_app.task(name="idgate.maintenance.reencode_templates", acks_late=True)
def reencode_templates_task() -> dict[str, object]:
    """Re-encode a slice of outdated selfie templates with the current face model."""
    from app.core.db import session_factory
    from app.pipeline.reencode import reencode_templates
    from app.pipeline.stages import load_artifact_image
    from app.vision.faces import load_face_models

    report = reencode_templates(
        session_factory(),
        load_face_models(),
        load_artifact_image,
        max_batches=REENCODE_BATCHES_PER_TASK,
    )
    # Continue only while this slice made progress: templates that cannot be converted
    # (no image, no face) would otherwise requeue the task forever.
    if report.remaining > len(report.skipped_ids) and report.reencoded:
        reencode_templates_task.delay()
    return report.to_json()


@celery_app.task(
    name="idgate.organisations.recompute",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    max_retries=5,
)
def recompute_organisations() -> int:
    """Recompute every party's verdict (after a list load); idempotent, emits
    ``account.access_changed`` only for accounts whose access changed."""
    from app.core.audit import SYSTEM
    from app.organisations.service import recompute

    with session_scope() as session:
        return len(recompute(session, SYSTEM).changed_accounts)
