"""Alembic environment: runs against the connection paperfeed hands over (never from a .ini)."""

from __future__ import annotations

from alembic import context

from paperfeed.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
