"""server-side reviewer sessions

Revision ID: 06062847ea61
Revises: 0001
Create Date: 2026-12-06 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "06062847ea61"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviewer_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reviewer_id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["reviewers.id"],
            name=op.f("fk_reviewer_sessions_reviewer_id_reviewers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_reviewer_sessions_token_hash")),
    )
    with op.batch_alter_table("reviewer_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviewer_sessions_reviewer_id"), ["reviewer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reviewer_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewer_sessions_reviewer_id"))
    op.drop_table("reviewer_sessions")
