"""events: talleres, mesas de concertación and their sessions, registrations with waiting list

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from peam_bot.storage.reference_data import mesa_rows

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Also seeds the standing mesas, one per strategic axis."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("attendance_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("organization", sa.String(120), nullable=True))
        batch.add_column(sa.Column("organization_type", sa.String(16), nullable=True))
    mesas = op.create_table(
        "mesas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("axis", sa.String(40), sa.ForeignKey("themes.slug"), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("committee_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.bulk_insert(mesas, mesa_rows(datetime.now(UTC)))
    op.create_table(
        "mesa_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mesa_id", sa.Integer(), sa.ForeignKey("mesas.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("organization", sa.String(120), nullable=True),
        sa.Column("organization_type", sa.String(16), nullable=True),
        sa.Column("joined_at", TZ, nullable=False),
        sa.Column("left_at", TZ, nullable=True),
        sa.UniqueConstraint("mesa_id", "user_id", name="uq_mesa_member"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(160), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("axis", sa.String(40), sa.ForeignKey("themes.slug"), nullable=True, index=True),
        sa.Column("district", sa.String(40), sa.ForeignKey("districts.slug"), nullable=True, index=True),
        sa.Column("mesa_id", sa.Integer(), sa.ForeignKey("mesas.id"), nullable=True, index=True),
        sa.Column("venue", sa.String(160), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("starts_at", TZ, nullable=False, index=True),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("registration_deadline", TZ, nullable=True),
        sa.Column("organizer", sa.String(160), nullable=False),
        sa.Column("organizer_id", sa.BigInteger(), nullable=True),
        sa.Column("walk_ins", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("checkin_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("checkin_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "event_registrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ticket", sa.String(12), nullable=False, unique=True),
        sa.Column("attendee_name", sa.String(120), nullable=False),
        sa.Column("organization", sa.String(120), nullable=True),
        sa.Column("organization_type", sa.String(16), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("promoted_at", TZ, nullable=True),
        sa.Column("cancelled_at", TZ, nullable=True),
        sa.Column("checked_in_at", TZ, nullable=True),
        sa.Column("checkin_method", sa.String(16), nullable=True),
        sa.UniqueConstraint("event_id", "user_id", name="uq_registration_event_user"),
    )
    op.create_index("ix_registrations_event_status", "event_registrations", ["event_id", "status", "id"])
    # an initiative assigned to a "mesa temática" (an axis) is now assigned to that axis's mesa
    op.execute(
        "UPDATE initiatives SET assigned_mesa = 'MESA-' || upper(substr(assigned_mesa, 1, 3)) "
        "WHERE assigned_mesa IS NOT NULL"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE initiatives SET assigned_mesa = (SELECT axis FROM mesas WHERE mesas.code = initiatives.assigned_mesa) "
        "WHERE assigned_mesa IS NOT NULL"
    )
    op.drop_index("ix_registrations_event_status", "event_registrations")
    op.drop_table("event_registrations")
    op.drop_table("events")
    op.drop_table("mesa_members")
    op.drop_table("mesas")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("organization_type")
        batch.drop_column("organization")
        batch.drop_column("attendance_name")
