"""One table for every derived index's watermark (`index_state`), moved out of `checkpoints`.

The old keys `index:lookups`, `index:claims` and `vectors:<model>` move to rows `lookups`,
`claims` and `embeddings:<model>`; the lexical index's `state.json` and the vector index's
sidecar watermark are adopted by the next writer that opens them (they live in files).

Revision ID: 0006
"""

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_state",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Text, nullable=False, server_default=""),
        sa.Column("build", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT key, value, updated_at FROM checkpoints WHERE key IN "
        "('index:lookups', 'index:claims') OR key LIKE 'vectors:%'")).all()
    for key, value, updated in rows:
        data = orjson.loads(value)
        version = ""
        if key == "index:lookups":
            name, seq = "lookups", data
        elif key == "index:claims":
            name, seq = "claims", (data or {}).get("seq", 0)
            version = str((data or {}).get("extractor", ""))
        else:
            name, seq = "embeddings:" + key.removeprefix("vectors:"), data
        conn.execute(sa.text(
            "INSERT INTO index_state (name, seq, version, build, updated_at) "
            "VALUES (:n, :s, :v, '', :t)"),
            {"n": name, "s": int(seq or 0), "v": version, "t": updated})
        conn.execute(sa.text("DELETE FROM checkpoints WHERE key = :k"), {"k": key})


def downgrade() -> None:
    op.drop_table("index_state")
