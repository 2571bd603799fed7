"""Account security (issue #14): API token scopes and expiry.

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

T = sa.Text


def upgrade() -> None:
    # tokens made before scopes existed keep what they could do
    op.add_column("api_tokens", sa.Column("scopes", T, nullable=False,
                                          server_default="read vote library"))
    op.add_column("api_tokens", sa.Column("expires_at", T))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
