"""portfolio: Cartera Abierta de Proyectos

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 01:48:46
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("axis", sa.String(length=40), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("phase", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("estimated_cost", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("approved_budget", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("responsible", sa.String(length=200), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["axis"],
            ["themes.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_axis"), ["axis"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_phase"), ["phase"], unique=False)

    op.create_table(
        "project_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("project_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_changes_project_id"), ["project_id"], unique=False)

    op.create_table(
        "project_districts",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district"],
            ["districts.slug"],
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "district"),
    )
    with op.batch_alter_table("project_districts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_districts_district"), ["district"], unique=False)

    op.create_table(
        "project_followers",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "user_id"),
    )
    with op.batch_alter_table("project_followers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_followers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "project_funding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("project_funding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_funding_project_id"), ["project_id"], unique=False)

    op.create_table(
        "project_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("new_phase", sa.String(length=24), nullable=True),
        sa.Column("new_progress", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("project_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_updates_project_id"), ["project_id"], unique=False)

    op.create_table(
        "project_initiatives",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiatives.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "initiative_id"),
    )
    with op.batch_alter_table("project_initiatives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_initiatives_initiative_id"), ["initiative_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("project_initiatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_initiatives_initiative_id"))

    op.drop_table("project_initiatives")
    with op.batch_alter_table("project_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_updates_project_id"))

    op.drop_table("project_updates")
    with op.batch_alter_table("project_funding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_funding_project_id"))

    op.drop_table("project_funding")
    with op.batch_alter_table("project_followers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_followers_user_id"))

    op.drop_table("project_followers")
    with op.batch_alter_table("project_districts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_districts_district"))

    op.drop_table("project_districts")
    with op.batch_alter_table("project_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_changes_project_id"))

    op.drop_table("project_changes")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_phase"))
        batch_op.drop_index(batch_op.f("ix_projects_axis"))

    op.drop_table("projects")
