"""moderation: staff roles, invitations, supports, questions to authors, templates, audit trail

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:40:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TEMPLATES = [
    (
        "Fuera del ámbito",
        "La propuesta no corresponde a la competencia de la Municipalidad Provincial ni a los ejes del "
        "PEAM. Le sugerimos presentarla a la entidad responsable.",
    ),
    (
        "Falta detalle",
        "La propuesta no tiene la información mínima para evaluarla (qué se quiere hacer, dónde y a quién "
        "beneficia). Puede enviarla de nuevo con más detalle.",
    ),
    (
        "Ya en ejecución",
        "Lo que propone ya forma parte de un proyecto en marcha. Puede seguir su avance con /proyectos.",
    ),
    (
        "Contenido inadecuado",
        "La propuesta no respeta las normas de participación (lenguaje ofensivo o datos personales de "
        "terceros).",
    ),
]


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("blocked_reason", sa.String(length=300), nullable=True))
    with op.batch_alter_table("initiatives") as batch:
        batch.add_column(sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("reviewer_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("assigned_mesa", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("supports", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("decided_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch.create_foreign_key("fk_initiatives_duplicate_of", "initiatives", ["duplicate_of"], ["id"])
    op.create_table(
        "initiative_supports",
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiatives.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("initiative_id", "user_id"),
    )
    op.create_index("ix_initiative_supports_user_id", "initiative_supports", ["user_id"])
    op.create_table(
        "initiative_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiatives.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_initiative_messages_initiative_id", "initiative_messages", ["initiative_id"])
    op.create_table(
        "staff_members",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "staff_invites",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token"),
    )
    templates = op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        templates,
        [
            {"kind": "rechazo", "title": t, "body": b, "active": True, "position": i, "updated_at": now}
            for i, (t, b) in enumerate(DEFAULT_TEMPLATES)
        ],
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_target", "audit_log", ["target"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("reply_templates")
    op.drop_table("staff_invites")
    op.drop_table("staff_members")
    op.drop_index("ix_initiative_messages_initiative_id", table_name="initiative_messages")
    op.drop_table("initiative_messages")
    op.drop_index("ix_initiative_supports_user_id", table_name="initiative_supports")
    op.drop_table("initiative_supports")
    with op.batch_alter_table("initiatives") as batch:
        batch.drop_constraint("fk_initiatives_duplicate_of", type_="foreignkey")
        for col in (
            "version",
            "decided_at",
            "decided_by",
            "supports",
            "duplicate_of",
            "assigned_mesa",
            "reviewer_id",
            "hidden",
        ):
            batch.drop_column(col)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("blocked_reason")
        batch.drop_column("blocked_at")
