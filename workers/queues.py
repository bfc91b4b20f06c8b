"""Queue names and task routes (no side effects: importable without a broker)."""

from __future__ import annotations

# Separate queues with separate consumers: a backlog of webhook deliveries or maintenance
# work (retention, template re-encoding) never sits in front of a verification's stages.
# The pipeline keeps the historical queue name, so messages queued before an upgrade run.
PIPELINE_QUEUE = "idgate"
WEBHOOK_QUEUE = "idgate.webhooks"
MAINTENANCE_QUEUE = "idgate.maintenance"
QUEUES_BY_ROLE = {
    "pipeline": PIPELINE_QUEUE,
    "webhooks": WEBHOOK_QUEUE,
    "maintenance": MAINTENANCE_QUEUE,
}
TASK_ROUTES = {
    "idgate.stage.*": {"queue": PIPELINE_QUEUE},
    "idgate.deliver_webhook": {"queue": WEBHOOK_QUEUE},
    "idgate.retention": {"queue": MAINTENANCE_QUEUE},
    "idgate.requeue_stale": {"queue": MAINTENANCE_QUEUE},
    "idgate.maintenance.*": {"queue": MAINTENANCE_QUEUE},
}
