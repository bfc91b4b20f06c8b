"""The Celery application: broker from settings, reliable delivery, models loaded per process."""

from __future__ import annotations

import logging

from celery import Celery
from celery.signals import worker_init, worker_process_init, worker_ready

from app.core.config import Settings, get_settings
from workers.queues import MAINTENANCE_QUEUE, PIPELINE_QUEUE, TASK_ROUTES

log = logging.getLogger(__name__)


def make_celery(settings: Settings) -> Celery:
    """Build the Celery app for these settings (embedded filesystem broker or Redis/RabbitMQ)."""
    app = Celery("idgate", broker=settings.broker_url, include=["workers.tasks"])
    transport_options: dict[str, object] = {}
    broker_transport = None
    if settings.embedded_broker:
        broker_transport = "workers.filesystem_broker:AtomicFilesystemTransport"
        folder = settings.broker_dir
        (folder / "queue").mkdir(parents=True, exist_ok=True)
        (folder / "processed").mkdir(parents=True, exist_ok=True)
        (folder / "control").mkdir(parents=True, exist_ok=True)
        transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
            "control_folder": str(folder / "control"),
            # A verification passes through four stages; the default 1 s poll per stage
            # would add seconds of idle waiting.
            "polling_interval": 0.2,
        }
    elif settings.broker_url.startswith(("redis://", "rediss://")):
        transport_options = {"visibility_timeout": settings.broker_visibility_timeout_s}
    app.conf.update(
        broker_transport=broker_transport,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_time_limit=settings.task_time_limit_s,
        task_soft_time_limit=max(10, settings.task_time_limit_s - 30),
        task_default_queue=PIPELINE_QUEUE,
        task_routes=TASK_ROUTES,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_serializer="json",
        accept_content=["json"],
        # `celery beat` (or the `idgate serve` sweeper) runs retention periodically
        beat_schedule={
            "retention": {"task": "idgate.retention", "schedule": settings.retention_interval_s}
        },
    )
    return app


celery_app = make_celery(get_settings())


@worker_process_init.connect
def _load_models_once(**_kwargs: object) -> None:
    """Heavy models load once in each worker process, never in the web app."""
    from app.vision.document.glyphnet import GlyphNetMissing
    from app.vision.document.glyphs import GlyphFontMissing
    from app.vision.document.name_grammar import NamePriorMissing
    from app.vision.document.ocr import load_mrz_models
    from app.vision.faces.models import load_face_models

    load_face_models()
    try:  # the MRZ reader reports mrz_not_found itself when these are missing
        load_mrz_models()
    except (GlyphFontMissing, GlyphNetMissing, NamePriorMissing) as error:
        log.warning("MRZ models not loaded: %s", error)
    log.info("models loaded")


@worker_init.connect
def _load_models_in_thread_pool_worker(sender: object = None, **_kwargs: object) -> None:
    """The threads pool has no child processes (no ``worker_process_init``): a pipeline
    worker on it loads the models once, here, before it takes its first task."""
    pool_cls = getattr(sender, "pool_cls", None)
    pool_name = f"{getattr(pool_cls, '__module__', '')}.{getattr(pool_cls, '__name__', '')}"
    if "thread" not in pool_name.lower():
        return
    app = getattr(sender, "app", celery_app)
    consumed = set(app.amqp.queues.consume_from or app.amqp.queues)
    if PIPELINE_QUEUE in consumed:
        _load_models_once()


@worker_ready.connect
def _queue_template_reencoding(sender: object = None, **_kwargs: object) -> None:
    """After a face-model upgrade, move stored selfie templates to the new model (asked by
    the workers that consume the maintenance queue, where the task runs)."""
    app = getattr(sender, "app", celery_app)
    consumed = set(app.amqp.queues.consume_from or app.amqp.queues)
    if MAINTENANCE_QUEUE not in consumed:
        return
    from app.core.db import session_scope
    from app.pipeline.reencode import outdated_templates
    from app.vision.faces.models import TEMPLATE_MODEL_ID

    try:
        with session_scope() as session:
            outdated = outdated_templates(session, TEMPLATE_MODEL_ID, 1, set())
    except Exception:  # a worker must start even when the database is not there yet
        log.exception("could not look for outdated face templates")
        return
    if outdated:
        celery_app.send_task("idgate.maintenance.reencode_templates")
        log.info("queued the re-encoding of outdated face templates")
