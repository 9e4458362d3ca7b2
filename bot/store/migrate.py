"""Alembic, driven from code: works from an installed package, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, select, text

from bot.store.db import IMMEDIATE

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UPGRADE_LOCK_KEY = 0x70756262  # "pubb": the advisory lock that serialises replicas' upgrades


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine: Engine) -> None:
    """``alembic upgrade head`` in one transaction that only one process runs at a time.

    PostgreSQL: a transaction-level advisory lock, so replicas starting together wait for
    the first and then find nothing to do. SQLite: ``BEGIN IMMEDIATE`` does the same.
    """
    with engine.connect() as conn:
        conn.execution_options(**{IMMEDIATE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL lock_timeout = 0"))  # wait for the other replica
                conn.execute(select(func.pg_advisory_xact_lock(UPGRADE_LOCK_KEY)))
            command.upgrade(alembic_config(conn), "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
