from __future__ import annotations

from alembic import context

from peam_bot.storage.models import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `peam-bot db upgrade` (peam_bot.storage.db.upgrade).")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
