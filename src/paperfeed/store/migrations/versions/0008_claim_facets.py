"""Claim facets (issue #13): direction, the value in its kind's one convention (norm_value,
norm_unit), sub-kind, baseline, condition, and the paper's date kept on each claim so date
filters on /claims read an index of paper_claims alone.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = (("direction", sa.Text), ("norm_value", sa.Float), ("norm_unit", sa.Text),
           ("subkind", sa.Text), ("baseline", sa.Text), ("condition", sa.Text),
           ("announced", sa.Text))


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("paper_claims", sa.Column(name, type_))
    # the dates of claims stored before (their facets come with the re-extraction that the
    # new EXTRACTOR_VERSION triggers)
    op.execute("UPDATE paper_claims SET announced = (SELECT p.announced FROM papers p "
               "WHERE p.id = paper_claims.paper_id)")
    op.create_index("ix_paper_claims_norm", "paper_claims", ["kind", "norm_unit", "norm_value"])
    op.create_index("ix_paper_claims_announced", "paper_claims",
                    ["announced", "paper_id", "position"])
    op.create_index("ix_paper_claims_kind_announced", "paper_claims", ["kind", "announced"])


def downgrade() -> None:
    for name in ("ix_paper_claims_kind_announced", "ix_paper_claims_announced",
                 "ix_paper_claims_norm"):
        op.drop_index(name, "paper_claims")
    with op.batch_alter_table("paper_claims") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
