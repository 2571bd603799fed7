"""Papers, authors, categories, provenance, Hugging Face data and checkpoints.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

T = sa.Text


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", T, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("title", T, nullable=False),
        sa.Column("abstract", T, nullable=False),
        *(sa.Column(n, T) for n in ("authors", "categories", "primary_category", "submitted",
                                     "updated", "announced")),
        sa.Column("version", sa.Integer),
        *(sa.Column(n, T) for n in ("versions", "comment", "journal_ref", "doi", "license",
                                     "links")),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.Column("modified_at", T, nullable=False),
    )
    op.create_index("ix_papers_seq", "papers", ["seq"])
    op.create_index("ix_papers_announced", "papers", ["announced"])
    op.create_index("ix_papers_primary_category", "papers", ["primary_category"])
    op.create_table(
        "paper_authors",
        sa.Column("paper_id", T, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name_key", T, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "position"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_authors_name_key", "paper_authors", ["name_key", "paper_id"])
    op.create_table(
        "paper_categories",
        sa.Column("paper_id", T, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("category", T, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "category"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category", "paper_id"])
    op.create_table(
        "paper_sources",
        sa.Column("paper_id", T, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", T, nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("first_seen", T, nullable=False),
        sa.Column("changed_at", T, nullable=False),
        sa.Column("data", T, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "source"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "hf_papers",
        sa.Column("paper_id", T, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("upvotes", sa.Integer, nullable=False),
        sa.Column("num_comments", sa.Integer),
        *(sa.Column(n, T) for n in ("submitter", "ai_summary", "ai_keywords", "github_repo",
                                     "project_page", "published_at", "submitted_daily_at",
                                     "organization")),
        sa.Column("fetched_at", T, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("key", T, primary_key=True),
        sa.Column("value", T, nullable=False),
        sa.Column("updated_at", T, nullable=False),
    )
