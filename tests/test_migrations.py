"""The migrations, step by step: each revision upgrades, downgrades one step and upgrades again (the
"stairway"), everything downgrades to an empty database at the end, and the schema at head is the
models' (what `peam_bot.storage.db.upgrade` builds is what the code expects). On SQLite, and on
PostgreSQL when PEAM_TEST_DATABASE_URL is set (in a database of its own, created and dropped here,
so that the other tests' database is never touched)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from peam_bot.storage import event_models  # noqa: F401 - its tables are part of the schema
from peam_bot.storage.db import alembic_config, make_engine
from peam_bot.storage.models import Base

from .conftest import FAST_PATHS, PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}", fast_paths=FAST_PATHS)
        yield engine
        await engine.dispose()
        return
    if not PG_URL:
        pytest.skip("PEAM_TEST_DATABASE_URL is not set")
    url = make_url(PG_URL)
    name = f"{url.database}_stairway_{os.getpid()}"
    server = make_engine(url.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no right to create databases, or no server: nothing to test here
        await server.dispose()
        pytest.skip(f"cannot create a database for the stairway: {type(exc).__name__}: {exc}")
    engine = make_engine(url.set(database=name).render_as_string(False))
    try:
        yield engine
    finally:
        await engine.dispose()
        async with server.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


def _alembic(conn: Connection, action: Callable[[Config, str], None], revision: str) -> None:
    cfg = alembic_config()  # the project's own configuration, as `peam-bot db upgrade` uses it
    cfg.attributes["connection"] = conn
    action(cfg, revision)


async def migrate(engine: AsyncEngine, action: Callable[[Config, str], None], revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_alembic, action, revision)


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _drift(conn: Connection) -> list[Any]:
    return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def _leftovers(conn: Connection) -> list[str]:
    """What the database holds besides Alembic's own version table: tables, and (PostgreSQL)
    functions in the public schema, (SQLite) triggers and indexes."""
    found = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
    if conn.dialect.name == "sqlite":
        found += conn.execute(
            text(
                "SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('trigger', 'index') "
                "AND tbl_name != 'alembic_version'"
            )
        ).scalars()
    else:
        found += conn.execute(
            text(
                "SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
            )
        ).scalars()
    return found


async def test_stairway_and_schema_at_head(engine: AsyncEngine) -> None:
    revisions = [r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()][::-1]
    assert revisions[:1] == ["0001"] and len(revisions) >= 5
    for revision in revisions:
        await migrate(engine, command.upgrade, revision)
        await migrate(engine, command.downgrade, "-1")
        await migrate(engine, command.upgrade, revision)
        async with engine.connect() as conn:
            assert await conn.run_sync(_current) == revision
    async with engine.connect() as conn:
        assert await conn.run_sync(_drift) == []
    await migrate(engine, command.downgrade, "base")
    async with engine.connect() as conn:
        assert await conn.run_sync(_current) is None
        assert await conn.run_sync(_leftovers) == []
