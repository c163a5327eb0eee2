"""Events (talleres, sesiones de mesa, exposiciones, presentaciones públicas), the standing mesas de
concertación, and residents' registrations: the rows the lista de asistentes is made of.

A registration is a seat (`inscrito`), a place in the waiting list (`espera`, first come first
served by id) or cancelled. The number of seats taken is kept on the event (`registered`) and only
changed by one conditional UPDATE (`registered < capacity`): on SQLite that statement takes the
write lock, on PostgreSQL the event's row lock, so two residents pressing at once can never take the
same last seat (see `peam_bot.services.events`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from peam_bot.storage.models import Base, utcnow

KINDS = ("taller", "mesa", "exposicion", "presentacion")
STATUSES = ("programado", "reprogramado", "cancelado", "realizado")
REGISTRATION_STATUSES = ("inscrito", "espera", "cancelado")
ORGANIZATION_TYPES = ("territorial", "funcional")


class Mesa(Base):
    """A Mesa de Concertación Ciudadana: a standing thematic round table whose sessions are events."""

    __tablename__ = "mesas"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # MESA-MOV
    name: Mapped[str] = mapped_column(String(120))
    axis: Mapped[str | None] = mapped_column(ForeignKey("themes.slug"), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    committee_at: Mapped[datetime | None] = mapped_column(nullable=True)  # became a Comité de Gestión Temático
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MesaMember(Base):
    """A resident who takes part in a mesa (for themselves or for an organization): convened to each of
    its sessions. Leaving keeps the row (`left_at`) for the mesa's directorio de participantes."""

    __tablename__ = "mesa_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mesa_id: Mapped[int] = mapped_column(ForeignKey("mesas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    organization: Mapped[str | None] = mapped_column(String(120), nullable=True)
    organization_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (UniqueConstraint("mesa_id", "user_id", name="uq_mesa_member"),)


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # EV-0001
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    axis: Mapped[str | None] = mapped_column(ForeignKey("themes.slug"), nullable=True, index=True)
    district: Mapped[str | None] = mapped_column(ForeignKey("districts.slug"), nullable=True, index=True)
    mesa_id: Mapped[int | None] = mapped_column(ForeignKey("mesas.id"), nullable=True, index=True)
    venue: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: no limit
    registration_deadline: Mapped[datetime | None] = mapped_column(nullable=True)  # None: the start
    organizer: Mapped[str] = mapped_column(String(160), default="AQPlan")
    organizer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    walk_ins: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="programado")
    registered: Mapped[int] = mapped_column(Integer, default=0)  # seats taken (inscritos)
    # the organizer's check-in screen (its live count is edited in place as residents arrive)
    checkin_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    checkin_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def deadline(self) -> datetime:
        return self.registration_deadline or self.starts_at


class Registration(Base):
    __tablename__ = "event_registrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    ticket: Mapped[str] = mapped_column(String(12), unique=True)
    attendee_name: Mapped[str] = mapped_column(String(120))
    organization: Mapped[str | None] = mapped_column(String(120), nullable=True)
    organization_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(nullable=True)
    checkin_method: Mapped[str | None] = mapped_column(String(16), nullable=True)  # qr | ticket | walk_in

    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_registration_event_user"),
        Index("ix_registrations_event_status", "event_id", "status", "id"),
    )
