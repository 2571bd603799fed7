"""The claims' (kind, announced) index also holds the paper id (issue #16).

A kind filter with a category (/claims?kind=speedup&category=cs.LG), and the chart's newest
claims of its rarer kind under a category, probe each candidate claim's paper in
paper_categories: with the paper id in the index they walk the index alone instead of reading
every candidate's row (at 1M papers, counting 1,000 such claims read ~5,600 rows).

Revision ID: 0012
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEX = "ix_paper_claims_kind_announced"


def upgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.create_index(INDEX, "paper_claims", ["kind", "announced", "paper_id"])


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.create_index(INDEX, "paper_claims", ["kind", "announced"])
