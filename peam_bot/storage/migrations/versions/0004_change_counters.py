"""change counters: a count of the changes to initiatives, kept by the database itself

The similar-initiative check keeps the initiatives it compares in memory; this counter tells it, in
one statement, whether any was added, removed, declined, hidden or changed status since it last
looked, whoever changed it (the bot, a command-line tool, another process, plain SQL).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE change_counters SET value = value + 1 WHERE name = 'initiatives'"
WATCHED = "code, status, hidden"  # an initiative's text and place never change once it is sent


def upgrade() -> None:
    counters = op.create_table(
        "change_counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.bulk_insert(counters, [{"name": "initiatives", "value": 0}])
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION count_initiative_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER initiatives_changed AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} "
            "ON initiatives FOR EACH ROW EXECUTE FUNCTION count_initiative_change()"
        )
    else:
        for name, event in (
            ("initiatives_added", "INSERT"),
            ("initiatives_removed", "DELETE"),
            ("initiatives_changed", f"UPDATE OF {WATCHED}"),
        ):
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON initiatives BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER initiatives_changed ON initiatives")
        op.execute("DROP FUNCTION count_initiative_change()")
    else:
        for name in ("initiatives_added", "initiatives_removed", "initiatives_changed"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("change_counters")
