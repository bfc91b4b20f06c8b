"""Move stored selfie templates to the current face model.

Templates of an older model (dlib before MobileFaceNet) cannot be compared with new ones,
so the duplicate search ignores them until they are re-encoded. This job re-encodes each
from the verification's stored, encrypted chosen selfie frame (``selfie_best``, or the
still selfie), writes the new template and deletes the old one in the same transaction.

Idempotent and resumable: it works in batches, one commit per batch, and only ever looks
at templates that are still of another model; running it again after an interruption
continues where it stopped. A template whose image is gone (redacted, or never stored)
is reported as ``unconvertible`` and left untouched; redaction deletes it as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from app.core.types import new_id
from app.pipeline.duplicates import seal_encoding
from app.verifications.models import Artifact, FaceTemplate, Verification
from app.vision.faces import FaceModels, analyse_face

log = logging.getLogger(__name__)


@dataclass
class ReencodeReport:
    """What one run did."""

    model: str
    reencoded: int = 0
    no_face: int = 0
    unconvertible: int = 0
    remaining: int = 0
    skipped_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """Plain form for the CLI and the task result."""
        return {
            "model": self.model,
            "reencoded": self.reencoded,
            "no_face": self.no_face,
            "unconvertible": self.unconvertible,
            "remaining": self.remaining,
        }


def _source_image(session: Session, template: FaceTemplate) -> Artifact | None:
    """The stored image the template was made from (latest chosen frame, else the still)."""
    for kind in ("selfie_best", "selfie"):
        artifact = session.scalar(
            select(Artifact)
            .where(
                Artifact.verification_id == template.verification_id,
                Artifact.kind == kind,
                Artifact.deleted_at.is_(None),
                Artifact.storage_key.is_not(None),
            )
            .order_by(Artifact.created_at.desc())
            .limit(1)
        )
        if artifact is not None:
            return artifact
    return None


def outdated(model_id: str) -> ColumnElement[bool]:
    """The condition of a selfie template that is not of ``model_id``."""
    return and_(FaceTemplate.source == "selfie", FaceTemplate.model_version != model_id)


def outdated_templates(session: Session, model_id: str, limit: int, skip: set[str]) -> list[str]:
    """Ids of selfie templates of another model, oldest first."""
    query = (
        select(FaceTemplate.id)
        .where(outdated(model_id))
        .order_by(FaceTemplate.created_at, FaceTemplate.id)
    )
    if skip:
        query = query.where(FaceTemplate.id.not_in(skip))
    return list(session.scalars(query.limit(limit)))


def reencode_templates(
    session_factory: Callable[[], Session],
    models: FaceModels,
    load_image: Callable[[Artifact], object],
    *,
    batch_size: int = 50,
    max_batches: int | None = None,
) -> ReencodeReport:
    """Re-encode every outdated selfie template, ``batch_size`` per transaction."""
    report = ReencodeReport(model=models.template_model_id)
    skip: set[str] = set()
    batches = 0
    while max_batches is None or batches < max_batches:
        with session_factory() as session:
            ids = outdated_templates(session, models.template_model_id, batch_size, skip)
            if not ids:
                break
            for template_id in ids:
                template = session.get(FaceTemplate, template_id)
                if template is None:
                    continue  # deleted meanwhile (redaction)
                # Lock the verification row: a redaction running now either finished first
                # (then nothing is written here) or waits for this batch and deletes the
                # new template with the rest.
                verification = session.get(
                    Verification, template.verification_id, with_for_update=True
                )
                if verification is None or verification.redacted_at is not None:
                    skip.add(template_id)
                    report.unconvertible += 1
                    continue
                artifact = _source_image(session, template)
                if artifact is None:
                    report.unconvertible += 1
                    skip.add(template_id)
                    continue
                analysis = analyse_face(load_image(artifact), role="selfie", models=models)  # type: ignore[arg-type]
                if analysis.sample is None:
                    report.no_face += 1
                    skip.add(template_id)
                    continue
                replacement = FaceTemplate(
                    id=new_id("fce"),
                    verification_id=template.verification_id,
                    account_id=template.account_id,
                    source=template.source,
                    model_version=analysis.sample.model_id,
                    encrypted_encoding=b"",
                )
                replacement.encrypted_encoding = seal_encoding(
                    replacement.id, analysis.sample.encoding
                )
                session.add(replacement)
                session.delete(template)
                report.reencoded += 1
            session.commit()
        batches += 1
    with session_factory() as session:
        report.remaining = (
            session.scalar(
                select(func.count())
                .select_from(FaceTemplate)
                .where(outdated(models.template_model_id))
            )
            or 0
        )
    report.skipped_ids = sorted(skip)
    log.info("template re-encoding: %s", report.to_json())
    return report
