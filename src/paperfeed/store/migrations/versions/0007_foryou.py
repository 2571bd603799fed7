"""For you: followed/muted authors, keywords and categories; papers seen; feed settings.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

T = sa.Text


def upgrade() -> None:
    op.create_table(
        "user_interests",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", T, nullable=False),  # author | keyword | category
        sa.Column("value", T, nullable=False),  # author name key, lower-cased word, category
        sa.Column("mode", T, nullable=False),  # follow | mute
        sa.Column("created_at", T, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", "value"),
    )
    op.create_table(
        "seen_papers",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("paper_id", T, nullable=False),  # versionless: one paper, every version
        sa.Column("seen_at", T, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "paper_id"),
    )
    op.create_table(
        "foryou_settings",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("social", sa.Integer, nullable=False, server_default="0"),  # 0..100
        sa.Column("reset_at", T),  # signals before this are ignored
        sa.Column("seeds", T, nullable=False, server_default="[]"),  # JSON: pasted texts
        sa.Column("updated_at", T, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("foryou_settings")
    op.drop_table("seen_papers")
    op.drop_table("user_interests")
