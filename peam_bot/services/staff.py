"""Staff roles: who may do what. Checked against the database at the moment of every action.

Roles: ``admin`` (everything, incl. managing staff and undoing hides/blocks), ``moderador`` (triage,
portfolio updates, templates), ``organizador`` (events). The ids in PEAM_ADMIN_IDS are admins
without a row, so a fresh installation can bootstrap itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import N_
from peam_bot.services import audit
from peam_bot.storage.models import StaffInvite, StaffMember, utcnow

ROLES = ("admin", "moderador", "organizador")
ROLE_LABELS = {"admin": N_("administrador"), "moderador": N_("moderador"), "organizador": N_("organizador")}

# permission → roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "triage": frozenset({"admin", "moderador"}),
    "portfolio": frozenset({"admin", "moderador"}),
    "templates": frozenset({"admin", "moderador"}),
    "audit": frozenset({"admin", "moderador"}),
    "manage_staff": frozenset({"admin"}),
    "undo": frozenset({"admin"}),
    "events": frozenset({"admin", "moderador", "organizador"}),  # create and run events, take attendance
    "staff": frozenset(ROLES),
}

INVITE_TTL = timedelta(hours=48)
# the row of an admin of PEAM_ADMIN_IDS holds only their name: the role comes from the setting, so
# taking the id out of PEAM_ADMIN_IDS takes the role away
NAME_ONLY = "-"


class StaffError(ValueError):
    pass


@dataclass(frozen=True)
class Member:
    user_id: int
    role: str
    name: str
    bootstrap: bool  # from PEAM_ADMIN_IDS


async def role_of(session: AsyncSession, admin_ids: Iterable[int], user_id: int) -> str | None:
    if user_id in set(admin_ids):
        return "admin"
    role = (
        await session.execute(select(StaffMember.role).where(StaffMember.user_id == user_id))
    ).scalar_one_or_none()
    return role if role in ROLES else None


async def allowed(session: AsyncSession, admin_ids: Iterable[int], user_id: int, permission: str) -> bool:
    role = await role_of(session, admin_ids, user_id)
    return role is not None and role in PERMISSIONS[permission]


async def add(
    session: AsyncSession, user_id: int, role: str, added_by: int | None, name: str = ""
) -> StaffMember:
    if role not in ROLES:
        raise StaffError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    member = await session.get(StaffMember, user_id)
    before = member.role if member and member.role in ROLES else None
    if member is None:
        member = StaffMember(user_id=user_id, role=role, name=name[:120], added_by=added_by)
        session.add(member)
    else:
        member.role = role
        if name:
            member.name = name[:120]
    if before != role:
        audit.record(session, added_by, "staff_add", f"staff:{user_id}", before, role)
    await session.flush()
    return member


async def remove(session: AsyncSession, user_id: int, removed_by: int | None) -> bool:
    member = await session.get(StaffMember, user_id)
    if member is None or member.role not in ROLES:
        return False
    audit.record(session, removed_by, "staff_remove", f"staff:{user_id}", member.role, None)
    await session.delete(member)
    await session.flush()
    return True


async def members(session: AsyncSession, admin_ids: Iterable[int]) -> list[Member]:
    rows = list(
        (await session.execute(select(StaffMember).order_by(StaffMember.role, StaffMember.user_id))).scalars()
    )
    found = {m.user_id: Member(m.user_id, m.role, m.name, False) for m in rows if m.role in ROLES}
    names = {m.user_id: m.name for m in rows}
    for uid in admin_ids:  # admins by PEAM_ADMIN_IDS, whatever a row says
        found[uid] = Member(uid, "admin", names.get(uid, ""), True)
    return sorted(found.values(), key=lambda m: (ROLES.index(m.role), m.user_id))


async def with_permission(session: AsyncSession, admin_ids: Iterable[int], permission: str) -> list[Member]:
    return [m for m in await members(session, admin_ids) if m.role in PERMISSIONS[permission]]


async def display_name(session: AsyncSession, user_id: int | None) -> str:
    if user_id is None:
        return "—"
    name = (
        await session.execute(select(StaffMember.name).where(StaffMember.user_id == user_id))
    ).scalar_one_or_none()
    return name or f"#{user_id}"


async def touch_name(session: AsyncSession, user_id: int, name: str, bootstrap_admin: bool = False) -> None:
    """Keep the staff member's display name (shown to colleagues: "handled by …") current. An admin
    of PEAM_ADMIN_IDS gets a row the first time, so colleagues see a name rather than an id."""
    name = name.strip()[:120]
    if not name:
        return
    # read first: a write would take SQLite's write lock for the rest of the update
    stored = (
        await session.execute(select(StaffMember.name).where(StaffMember.user_id == user_id))
    ).scalar_one_or_none()
    if stored is None and bootstrap_admin:
        session.add(StaffMember(user_id=user_id, role=NAME_ONLY, name=name, added_by=None))
        await session.flush()
    elif stored is not None and stored != name:
        await session.execute(update(StaffMember).where(StaffMember.user_id == user_id).values(name=name))


async def create_invite(
    session: AsyncSession, role: str, created_by: int, now: datetime | None = None
) -> StaffInvite:
    if role not in ROLES:
        raise StaffError(role)
    invite = StaffInvite(
        token=secrets.token_urlsafe(12),
        role=role,
        created_by=created_by,
        expires_at=(now or utcnow()) + INVITE_TTL,
    )
    session.add(invite)
    audit.record(session, created_by, "staff_invite", f"invite:{invite.token[:6]}", None, role)
    await session.flush()
    return invite


async def redeem_invite(session: AsyncSession, token: str, user_id: int, name: str) -> str:
    """Use an invitation: returns the role given; raises StaffError("expired" | "used" | "unknown")."""
    invite = await session.get(StaffInvite, token)
    if invite is None:
        raise StaffError("unknown")
    if invite.used_by is not None:
        raise StaffError("used")
    if invite.expires_at <= utcnow():
        raise StaffError("expired")
    claimed = await session.execute(
        update(StaffInvite)
        .where(StaffInvite.token == token, StaffInvite.used_by.is_(None))
        .values(used_by=user_id, used_at=utcnow())
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise StaffError("used")
    current = await session.get(StaffMember, user_id)
    if current is not None and ROLES.index(current.role) <= ROLES.index(invite.role):
        return current.role  # an invitation never lowers a role
    await add(session, user_id, invite.role, invite.created_by, name)
    return invite.role


async def purge_expired_invites(session: AsyncSession) -> None:
    await session.execute(delete(StaffInvite).where(StaffInvite.expires_at < utcnow() - timedelta(days=30)))
