"""Alembic environment: runs migrations on the engine handed over by mailworker.db.session."""

from __future__ import annotations

from alembic import context

from mailworker.db.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on the engine put into the config's attributes."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
