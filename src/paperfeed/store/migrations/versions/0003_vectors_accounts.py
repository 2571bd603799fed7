"""Paper vectors; accounts, sessions, API tokens, votes, library, login attempts.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

T = sa.Text


def _fk(target: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "paper_vectors",
        sa.Column("paper_id", T, _fk("papers.id"), primary_key=True),
        sa.Column("model_id", T, nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("vec", sa.LargeBinary, nullable=False),
        sa.Column("text_hash", T, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("embedded_at", T, nullable=False),
    )
    op.create_index("ix_paper_vectors_model_seq", "paper_vectors", ["model_id", "seq"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", T, nullable=False, unique=True),
        sa.Column("password_hash", T, nullable=False),
        sa.Column("display_name", T),
        sa.Column("created_at", T, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", T, primary_key=True),
        sa.Column("user_id", sa.Integer, _fk("users.id"), nullable=False),
        sa.Column("csrf_token", T, nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.Column("expires_at", T, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", T, primary_key=True),
        sa.Column("user_id", sa.Integer, _fk("users.id"), nullable=False),
        sa.Column("name", T, nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.Column("last_used_at", T),
    )
    for name, extra in (("votes", []), ("library", [sa.Column("tags", T)]),
                        ("not_interested", [])):
        op.create_table(
            name,
            sa.Column("user_id", sa.Integer, _fk("users.id"), nullable=False),
            sa.Column("paper_id", T, _fk("papers.id"), nullable=False),
            *extra,
            sa.Column("created_at", T, nullable=False),
            sa.PrimaryKeyConstraint("user_id", "paper_id"),
        )
    op.create_index("ix_votes_paper", "votes", ["paper_id"])
    op.create_index("ix_votes_created", "votes", ["created_at"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", T, nullable=False),
        sa.Column("at", T, nullable=False),
    )
    op.create_index("ix_login_attempts_key_at", "login_attempts", ["key", "at"])
