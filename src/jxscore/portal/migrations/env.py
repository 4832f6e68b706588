"""Alembic environment: the engine comes from jxscore.portal.db (never from an ini file)."""

from alembic import context

from jxscore.portal.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=engine.dialect.name == "sqlite")  # SQLite alters tables by copying them
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
