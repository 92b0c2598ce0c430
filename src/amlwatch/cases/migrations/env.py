"""Alembic environment of the case store: run on the connection `CaseStore` passes in."""

from alembic import context

from amlwatch.cases.store import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
