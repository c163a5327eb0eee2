"""Database models. The schema itself is created only by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from peam_bot import clock


def utcnow() -> datetime:
    """Now, in UTC, from the bot's clock (which tests can move: see peam_bot.clock)."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class District(Base):
    __tablename__ = "districts"
    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    metropolitan: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer)


class Theme(Base):
    __tablename__ = "themes"
    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)


class User(Base):
    """A resident who accepted the privacy notice (nothing is stored before that)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    locale: Mapped[str] = mapped_column(String(8), default="es")
    district: Mapped[str | None] = mapped_column(ForeignKey("districts.slug"), nullable=True)
    consent_at: Mapped[datetime]
    consent_version: Mapped[str] = mapped_column(String(16))
    unreachable_at: Mapped[datetime | None] = mapped_column(nullable=True)
    blocked_at: Mapped[datetime | None] = mapped_column(nullable=True)  # may not submit initiatives
    blocked_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # remembered from the first registration for an event, offered the next time
    attendance_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    organization: Mapped[str | None] = mapped_column(String(120), nullable=True)
    organization_type: Mapped[str | None] = mapped_column(String(16), nullable=True)


class CodeCounter(Base):
    __tablename__ = "code_counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Initiative(Base):
    __tablename__ = "initiatives"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(ForeignKey("districts.slug"))
    theme: Mapped[str] = mapped_column(ForeignKey("themes.slug"))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    org_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    org_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(24), default="recibida", index=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # abusive content: kept, not public
    reviewer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # who handles it now
    assigned_mesa: Mapped[str | None] = mapped_column(String(40), nullable=True)  # theme slug of a mesa
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("initiatives.id"), nullable=True)
    supports: Mapped[int] = mapped_column(Integer, default=0)
    decided_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # compare-and-set of every moderation step
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    photos: Mapped[list[InitiativePhoto]] = relationship(
        order_by="InitiativePhoto.position", cascade="all, delete-orphan", lazy="selectin"
    )
    events: Mapped[list[InitiativeEvent]] = relationship(
        order_by="InitiativeEvent.id", cascade="all, delete-orphan", lazy="selectin"
    )


class InitiativePhoto(Base):
    __tablename__ = "initiative_photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer)


class InitiativeEvent(Base):
    """Dated history of an initiative: one row per status change or public note."""

    __tablename__ = "initiative_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A proactive message waiting to be sent, and afterwards its delivery record."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # text | photo | media_group | location | venue | edit
    payload: Mapped[dict[str, Any]]
    ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(255), nullable=True)

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FsmRecord(Base):
    """Conversation state (aiogram FSM) of one chat, so a half-filled form survives a restart."""

    __tablename__ = "fsm_states"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(100), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Project(Base):
    """A project of the Cartera Abierta de Proyectos (Banco de Proyectos)."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # P-012
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    axis: Mapped[str] = mapped_column(ForeignKey("themes.slug"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    phase: Mapped[str] = mapped_column(String(24), index=True)
    priority: Mapped[str] = mapped_column(String(8))
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)  # soles
    approved_budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)  # soles
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0-100 %
    responsible: Mapped[str] = mapped_column(String(200), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    districts: Mapped[list[ProjectDistrict]] = relationship(
        order_by="ProjectDistrict.position", cascade="all, delete-orphan", lazy="selectin"
    )
    funding: Mapped[list[ProjectFunding]] = relationship(
        order_by="ProjectFunding.position", cascade="all, delete-orphan", lazy="selectin"
    )
    updates: Mapped[list[ProjectUpdate]] = relationship(
        order_by="ProjectUpdate.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def district_slugs(self) -> list[str]:
        return [d.district for d in self.districts]


class ProjectDistrict(Base):
    __tablename__ = "project_districts"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    district: Mapped[str] = mapped_column(ForeignKey("districts.slug"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (PrimaryKeyConstraint("project_id", "district"),)


class ProjectFunding(Base):
    """A funding source of a project; `year` is the year of the Plan de Inversiones Anual."""

    __tablename__ = "project_funding"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProjectUpdate(Base):
    """The dated public timeline of a project."""

    __tablename__ = "project_updates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    new_phase: Mapped[str | None] = mapped_column(String(24), nullable=True)
    new_progress: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectChange(Base):
    """Append-only audit record: who changed which field of a project, when, from what to what."""

    __tablename__ = "project_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source: Mapped[str] = mapped_column(String(8))  # bot | import
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectFollower(Base):
    __tablename__ = "project_followers"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (PrimaryKeyConstraint("project_id", "user_id"),)


class ProjectInitiative(Base):
    """An initiative linked to (taken up by) a project."""

    __tablename__ = "project_initiatives"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (PrimaryKeyConstraint("project_id", "initiative_id"),)


class InitiativeSupport(Base):
    """One resident's support (Apoyar) of an initiative; they hear about its outcome too."""

    __tablename__ = "initiative_supports"
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (PrimaryKeyConstraint("initiative_id", "user_id"),)


class InitiativeMessage(Base):
    """A moderator's question to the author and the author's answer (staff-only, never public)."""

    __tablename__ = "initiative_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # question | answer
    author_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffMember(Base):
    """AQPlan staff: admin, moderador, organizador. PEAM_ADMIN_IDS are admins without a row."""

    __tablename__ = "staff_members"
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120), default="")
    added_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffInvite(Base):
    """A one-time invitation deep link (t.me/<bot>?start=staff_<token>) that expires."""

    __tablename__ = "staff_invites"
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime]
    used_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ReplyTemplate(Base):
    """Editable reasons a moderator picks when declining an initiative."""

    __tablename__ = "reply_templates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="rechazo")
    title: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Append-only record of every staff action: who, what, when, before → after, reason."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # None: command line
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(40), index=True)  # INI-2026-00012, staff:123, template:4
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
