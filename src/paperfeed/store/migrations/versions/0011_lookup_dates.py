"""Lookup rows carry their paper's announcement date, indexed with the key (issue #16).

An author's or a category's newest papers are then read from one index range in order
(category, announced, paper_id) instead of sorting every paper of the category: cs.LG holds a
third of arXiv's CS papers, so at 1M papers the old plan sorted ~300k rows for each page.

Revision ID: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = (("paper_authors", "ix_paper_authors_name_key", "name_key"),
          ("paper_categories", "ix_paper_categories_category", "category"))


def upgrade() -> None:
    for table, index, key in TABLES:
        op.add_column(table, sa.Column("announced", sa.Text))
        op.execute(f"UPDATE {table} SET announced = "
                   f"(SELECT p.announced FROM papers p WHERE p.id = {table}.paper_id)")
        op.execute(f"DROP INDEX IF EXISTS {index}")  # a first lookups build drops it meanwhile
        op.create_index(index, table, [key, "announced", "paper_id"])


def downgrade() -> None:
    for table, index, key in TABLES:
        op.drop_index(index, table_name=table)
        op.create_index(index, table, [key, "paper_id"])
        with op.batch_alter_table(table) as batch:
            batch.drop_column("announced")
