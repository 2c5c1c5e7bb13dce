"""Alembic environment: runs on the engine that `queries.db.init_db` hands over."""
from alembic import context

from queries.schema import AlertBase, Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=[Base.metadata, AlertBase.metadata], render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
