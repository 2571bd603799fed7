"""Worker job runs: one row per (job, schedule slot), so several workers never run a slot twice.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

T = sa.Text


def upgrade() -> None:
    op.create_table(
        "worker_jobs",
        sa.Column("job", T, nullable=False),
        sa.Column("run_key", T, nullable=False),  # the schedule slot, e.g. 2026-11-23T17:30Z
        sa.Column("worker", T, nullable=False),  # host:pid of the worker that holds it
        sa.Column("status", T, nullable=False),  # running | done | failed
        sa.Column("started_at", T, nullable=False),
        sa.Column("heartbeat_at", T, nullable=False),
        sa.Column("finished_at", T),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("result", T),  # JSON summary of what the run did
        sa.Column("error", T),
        sa.PrimaryKeyConstraint("job", "run_key"),
    )
    op.create_index("ix_worker_jobs_started", "worker_jobs", ["started_at"])


def downgrade() -> None:
    op.drop_table("worker_jobs")
