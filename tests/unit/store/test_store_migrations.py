"""Alembic migrations: from empty to head, idempotent, serialised, and equal to the models."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, Table, inspect

from bot.store import Store
from bot.store.migrate import head_revision
from bot.store.schema import Base

from . import _workers

TABLES = {"feeds", "articles", "deliveries", "account_state", "daemon_lock"}


def _diff(url: str, metadata: MetaData) -> list[object]:
    with Store(url) as st, st._engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    st = Store(db_url)
    assert st.current_revision() is None  # nothing there yet
    st.upgrade()
    assert st.current_revision() == head_revision() == "0001"
    names = set(inspect(st._engine).get_table_names())
    assert names >= TABLES | {"alembic_version"}
    st.close()


def test_upgrade_twice_is_a_no_op_and_keeps_rows(db_url: str) -> None:
    from .conftest import article

    st = Store(db_url)
    st.upgrade()
    article(st, 1)
    st.upgrade()
    assert st.current_revision() == "0001"
    assert st.get_article("https://example.org/post/1") is not None
    st.close()


def test_migrated_schema_equals_the_models(store: Store, db_url: str) -> None:
    assert _diff(db_url, Base.metadata) == []


def test_schema_comparison_would_see_a_difference(store: Store, db_url: str) -> None:
    """The equality above means something: a model the migration lacks shows up."""
    md = MetaData()
    for t in Base.metadata.sorted_tables:
        t.to_metadata(md)
    Table("feeds", md, Column("extra", String(5)), extend_existing=True)
    diff = _diff(db_url, md)
    assert [d[0] for d in diff if isinstance(d, tuple)] == ["add_column"]


def test_upgrade_works_without_alembic_ini_from_any_folder(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini, no migrations folder here
    assert not (tmp_path / "alembic.ini").exists()
    st = Store(sqlite_url)
    st.upgrade()
    assert st.current_revision() == "0001"
    st.close()


def test_sqlite_file_and_parent_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.db"
    st = Store(f"sqlite:///{path}")
    st.upgrade()
    assert path.is_file()
    with st._engine.connect() as conn:  # the store's own connections
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 5000
    st.close()


def test_concurrent_upgrades_from_threads(db_url: str) -> None:
    stores = [Store(db_url) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda s: s.upgrade(), stores))
    assert {s.current_revision() for s in stores} == {"0001"}
    for s in stores:
        s.close()


@pytest.mark.postgres
def test_three_replicas_upgrading_together_on_postgres(pg_url: str) -> None:
    """Three processes start at once on an empty database: all succeed, one schema."""
    results = _workers.run(_workers.upgrade, [(pg_url,)] * 3)
    assert results == ["0001"] * 3
    assert _diff(pg_url, Base.metadata) == []


def test_three_processes_upgrading_together_on_sqlite(sqlite_url: str) -> None:
    results = _workers.run(_workers.upgrade, [(sqlite_url,)] * 3)
    assert results == ["0001"] * 3


def test_postgres_plain_url_uses_psycopg(tmp_path: Path) -> None:
    st = Store("postgresql://u:secret@127.0.0.1:1/db")  # nothing connects yet
    assert st.is_postgres
    assert st._url.drivername == "postgresql+psycopg"
    assert "secret" not in repr(st) and "secret" not in st.url
    st.close()
    assert not Store(f"sqlite:///{tmp_path / 'x.db'}").is_postgres
