"""Alembic migrations: from empty to head, idempotent, serialised, and equal to the models."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, Table, inspect
from sqlalchemy.exc import IntegrityError

from bot.store import Store
from bot.store.migrate import head_revision
from bot.store.schema import Base

from . import _workers

TABLES = {"feeds", "articles", "deliveries", "account_state", "daemon_lock", "delivery_events"}


def _diff(url: str, metadata: MetaData) -> list[object]:
    with Store(url) as st, st._engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    st = Store(db_url)
    assert st.current_revision() is None  # nothing there yet
    st.upgrade()
    assert st.current_revision() == head_revision()
    names = set(inspect(st._engine).get_table_names())
    assert names >= TABLES | {"alembic_version"}
    st.close()


def test_upgrade_twice_is_a_no_op_and_keeps_rows(db_url: str) -> None:
    from .conftest import article

    st = Store(db_url)
    st.upgrade()
    article(st, 1)
    st.upgrade()
    assert st.current_revision() == head_revision()
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
    assert st.current_revision() == head_revision()
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
    assert {s.current_revision() for s in stores} == {head_revision()}
    for s in stores:
        s.close()


@pytest.mark.postgres
def test_three_replicas_upgrading_together_on_postgres(pg_url: str) -> None:
    """Three processes start at once on an empty database: all succeed, one schema."""
    results = _workers.run(_workers.upgrade, [(pg_url,)] * 3)
    assert results == [head_revision()] * 3
    assert _diff(pg_url, Base.metadata) == []


def test_three_processes_upgrading_together_on_sqlite(sqlite_url: str) -> None:
    results = _workers.run(_workers.upgrade, [(sqlite_url,)] * 3)
    assert results == [head_revision()] * 3


def test_postgres_plain_url_uses_psycopg(tmp_path: Path) -> None:
    st = Store("postgresql://u:secret@127.0.0.1:1/db")  # nothing connects yet
    assert st.is_postgres
    assert st._url.drivername == "postgresql+psycopg"
    assert "secret" not in repr(st) and "secret" not in st.url
    st.close()
    assert not Store(f"sqlite:///{tmp_path / 'x.db'}").is_postgres


def _upgrade_to(st: Store, revision: str) -> None:
    from alembic import command

    from bot.store.migrate import alembic_config

    with st._engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def test_0002_turns_old_dry_runs_into_previewed_and_keeps_real_posts(db_url: str) -> None:
    """Ledgers before 0002 recorded a dry run as sent with remote id 'dry-run'."""
    from sqlalchemy import text

    st = Store(db_url)
    _upgrade_to(st, "0001")
    with st._engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO articles (id, title, content_hash, first_seen_at, updated_at, edited,"
            " payload) VALUES ('a', 'A', 'h', :t, :t, false, '{}')"), {"t": "2025-01-01 00:00:00"})
        for i, (account, remote) in enumerate([("x", "dry-run"), ("fb", "123_456")], start=1):
            conn.execute(text(
                "INSERT INTO deliveries (id, article_id, account, platform, status, attempts,"
                " next_attempt_at, text, payload, remote_id, created_at, updated_at, sent_at)"
                " VALUES (:i, 'a', :acc, 'twitter', 'sent', 1, :t, 'the text', '{}', :r, :t, :t,"
                " :t)"), {"i": i, "acc": account, "r": remote, "t": "2025-01-01 00:00:00"})
    st.upgrade()
    dry, real = st.get_delivery(1), st.get_delivery(2)
    assert dry is not None and real is not None
    assert (dry.status, dry.remote_id, dry.sent_at, dry.text) == ("previewed", None, None,
                                                                  "the text")
    assert real.status == "sent" and real.remote_id == "123_456"
    (event,) = st.history(1)
    assert (event.kind, event.status, event.actor) == ("migrated", "previewed", "migration 0002")
    assert st.history(2) == []
    assert dry.version == real.version == 1
    st.close()


def test_0002_downgrades_cleanly(db_url: str) -> None:
    from alembic import command

    from bot.store.migrate import alembic_config

    st = Store(db_url)
    st.upgrade()
    with st._engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    assert "delivery_events" not in inspect(st._engine).get_table_names()
    assert "version" not in {c["name"] for c in inspect(st._engine).get_columns("deliveries")}
    st.upgrade()
    assert _diff(db_url, Base.metadata) == []
    st.close()


def test_the_status_check_has_the_models_name_and_refuses_unknown_statuses(store: Store) -> None:
    from sqlalchemy import text

    from .conftest import delivery

    (check,) = inspect(store._engine).get_check_constraints("deliveries")
    assert check["name"] == "ck_deliveries_status"
    d = delivery(store)
    bogus = text("UPDATE deliveries SET status = 'bogus' WHERE id = :i")
    with pytest.raises(IntegrityError, match=r"ck_deliveries_status|CHECK"), \
            store._engine.begin() as conn:
        conn.execute(bogus, {"i": d.id})
