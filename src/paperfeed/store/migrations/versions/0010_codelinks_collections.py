"""Code/project links (derived index) and public library collections (issue #17).

Revision ID: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_code_links",
        sa.Column("paper_id", sa.Text, sa.ForeignKey("papers.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "position"),
    )
    op.create_index("ix_paper_code_links_kind", "paper_code_links", ["kind", "paper_id"])
    op.create_table(
        "public_collections",
        sa.Column("slug", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("tag", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_index("uq_public_collections_user_tag", "public_collections",
                    ["user_id", "tag"], unique=True)


def downgrade() -> None:
    op.drop_table("public_collections")
    op.drop_table("paper_code_links")
