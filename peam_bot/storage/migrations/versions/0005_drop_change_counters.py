"""drop change counters: the similar-initiative check reads the eligible initiatives instead

The triggers of 0004 bumped one row on every new initiative and every change of status: on
PostgreSQL each of those transactions waited for that row's lock until the one before it committed,
so writers to `initiatives` queued one behind the other. The check now reads the key of every
eligible initiative (id, code, status) on each call, which needs no shared row and sees every change,
whoever made it (the bot, a command-line tool, another process, plain SQL).

Downgrade creates 0004's table, triggers and function again, with the counter at 0: the check of
that revision only compares the counter with the value it read itself the last time, so any
starting value is right (a process that had read a higher one reads everything again once).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER initiatives_changed ON initiatives")
        op.execute("DROP FUNCTION count_initiative_change()")
    else:
        for name in ("initiatives_added", "initiatives_removed", "initiatives_changed"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("change_counters")


def _revision_0004() -> ModuleType:
    """Migration 0004 itself (its file name is not an importable module name)."""
    path = Path(__file__).with_name("0004_change_counters.py")
    spec = importlib.util.spec_from_file_location("peam_migration_0004", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    _revision_0004().upgrade()  # the table (counter at 0), the triggers and, on PostgreSQL, the function
