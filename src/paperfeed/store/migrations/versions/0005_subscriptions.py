"""Email subscriptions, the digest outbox and the papers each subscriber was sent.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

T = sa.Text


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", T, nullable=False, unique=True),  # lower-cased
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("status", T, nullable=False),  # pending | active | paused | unsubscribed
        sa.Column("trending", sa.Integer, nullable=False, server_default="0"),
        sa.Column("topics", T, nullable=False, server_default="[]"),  # JSON lists
        sa.Column("categories", T, nullable=False, server_default="[]"),
        sa.Column("authors", T, nullable=False, server_default="[]"),
        sa.Column("frequency", T, nullable=False, server_default="daily"),  # daily | weekly
        sa.Column("max_papers", sa.Integer, nullable=False, server_default="20"),
        sa.Column("send_empty", sa.Integer, nullable=False, server_default="0"),
        sa.Column("nonce", T, nullable=False),  # in every link's MAC: a new one revokes them
        sa.Column("seq_mark", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", T, nullable=False),
        sa.Column("confirmed_at", T),
        sa.Column("updated_at", T, nullable=False),
    )
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.Integer,
                  sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", T, nullable=False),  # digest | confirm | notice
        sa.Column("period", T, nullable=False),  # daily:2026-11-23, weekly:2026-W48, confirm:...
        sa.Column("status", T, nullable=False),  # pending, sending, sent, failed, review, ...
        sa.Column("recipient", T, nullable=False),
        sa.Column("message_id", T, nullable=False),
        sa.Column("subject", T, nullable=False),
        sa.Column("message", T, nullable=False),  # the whole RFC 5322 message, as sent
        sa.Column("n_papers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", T, nullable=False),
        sa.Column("lease_owner", T),
        sa.Column("lease_until", T),
        sa.Column("data_sent_at", T),  # set (committed) just before the final "." of DATA
        sa.Column("last_error", T),
        sa.Column("created_at", T, nullable=False),
        sa.Column("sent_at", T),
    )
    op.create_index("uq_digest_outbox_sub_period", "digest_outbox",
                    ["subscription_id", "period"], unique=True)
    op.create_index("ix_digest_outbox_status_next", "digest_outbox",
                    ["status", "next_attempt_at"])
    op.create_table(
        "digest_items",
        sa.Column("subscription_id", sa.Integer,
                  sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("paper_id", T, nullable=False),  # versionless id: never the same paper twice
        sa.Column("digest_id", sa.Integer,
                  sa.ForeignKey("digest_outbox.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("reason", T),
        sa.PrimaryKeyConstraint("subscription_id", "paper_id"),
    )
    op.create_index("ix_digest_items_digest", "digest_items", ["digest_id", "position"])


def downgrade() -> None:
    op.drop_table("digest_items")
    op.drop_table("digest_outbox")
    op.drop_table("subscriptions")
