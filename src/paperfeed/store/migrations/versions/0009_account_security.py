"""Account security (issue #14): API token scopes and expiry, password reset tokens.

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None

T = sa.Text


def upgrade() -> None:
    # tokens made before scopes existed keep what they could do
    op.add_column("api_tokens", sa.Column("scopes", T, nullable=False,
                                          server_default="read vote library"))
    op.add_column("api_tokens", sa.Column("expires_at", T))
    op.create_table(
        "password_resets",
        sa.Column("token_hash", T, primary_key=True),  # sha256 of the emailed token
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.Column("expires_at", T, nullable=False),
        sa.Column("used_at", T),
    )
    op.create_index("ix_password_resets_user", "password_resets", ["user_id"])


def downgrade() -> None:
    op.drop_table("password_resets")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
