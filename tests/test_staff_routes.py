"""Every staff route checks the caller's role: enumerated from the staff router itself, so a route
added later without a permission is caught here.

Statically: each handler of a guarded staff router carries a known permission and the router runs
the role check. Dynamically, as a resident: every staff command is sent, and every staff button is
forged (with callback data that passes that handler's own filters); each gets the neutral refusal
and changes nothing.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery
from aiogram.types import User as TgUser
from sqlalchemy import func, select

from peam_bot import admin
from peam_bot.admin.access import STAFF_STATE_GROUPS, HasPermission, StaffAccessMiddleware
from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import staff
from peam_bot.storage.models import AuditEntry, StaffMember
from peam_bot.telegram.app import App
from tests.conftest import onboard

REFUSAL = "Esta opción no está disponible."
OPEN_ROUTERS = {"staff-invites"}  # invitation links: used by people who are not staff yet


def guarded_routers() -> list[Any]:
    return [r for r in admin.setup().sub_routers if r.name not in OPEN_ROUTERS]


def needs_state(handler: Any) -> bool:
    """Handlers reachable only from a staff conversation state (entered through a guarded route)."""
    for f in handler.filters or []:
        cb = f.callback
        if isinstance(cb, StateFilter) and any(s is not None for s in cb.states):
            return True
        if type(cb).__name__ == "State":
            return True
    return False


def candidate_strings() -> set[str]:
    """Short literals of the staff modules: the actions their buttons use."""
    words: set[str] = set()
    for module in admin.staff_route_modules():
        words |= set(re.findall(r'"([a-z_]{1,12})"', inspect.getsource(module)))  # type: ignore[arg-type]
    return words


def forged_data(cls: type[CallbackData], action: str) -> str:
    values: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if name == "action":
            values[name] = action
        elif field.annotation in (int, "int"):
            values[name] = 1
        elif field.annotation in (bool, "bool"):
            values[name] = True
        else:
            values[name] = "x" if field.is_required() else field.default
    return cls(**values).pack()


def test_every_staff_handler_has_a_permission_and_the_role_check() -> None:
    routers = guarded_routers()
    assert {r.name for r in routers} >= {"staff-moderation", "staff-team", "staff-portfolio"}
    count = 0
    for router in routers:
        for observer in (router.message, router.callback_query):
            assert any(isinstance(m, StaffAccessMiddleware) for m in observer.middleware), router.name
            for handler in observer.handlers:
                count += 1
                permission = handler.flags.get("permission")
                assert permission in staff.PERMISSIONS, f"{router.name}.{handler.callback.__name__}"
    assert count >= 30


def test_every_staff_message_handler_passes_the_routers_first_check() -> None:
    """What MaybeStaffMessage lets through covers every staff message handler: a command, a staff
    conversation state, or a catch-all for files and forwarded messages (HasPermission)."""
    for router in guarded_routers():
        for handler in router.message.handlers:
            name = f"{router.name}.{handler.callback.__name__}"
            callbacks = [f.callback for f in handler.filters or []]
            if any(isinstance(cb, Command) for cb in callbacks):
                continue
            states = [s for cb in callbacks if isinstance(cb, StateFilter) for s in cb.states]
            if states and None not in states:
                groups = {
                    (s.state if hasattr(s, "state") else s.__full_group_name__).split(":")[0] for s in states
                }
                assert groups <= STAFF_STATE_GROUPS, name
                continue
            assert any(isinstance(cb, HasPermission) for cb in callbacks), name


async def test_resident_gets_a_neutral_refusal_on_every_staff_route(
    app: App, tg: FakeTelegram, resident: User
) -> None:
    await onboard(resident)
    commands: list[str] = []
    callbacks: list[tuple[str, str]] = []
    words = candidate_strings()
    resident_user = TgUser(id=resident.user_id, is_bot=False, first_name="Rosa")
    for router in guarded_routers():
        for handler in router.message.handlers:
            if needs_state(handler):
                continue
            for f in handler.filters or []:
                if isinstance(f.callback, Command):
                    commands.append(str(f.callback.commands[0]))
        for handler in router.callback_query.handlers:
            if needs_state(handler):
                continue
            cls = next(
                f.callback.callback_data
                for f in handler.filters
                if isinstance(f.callback, CallbackQueryFilter)
            )
            matched = None
            for word in sorted(words):
                data = forged_data(cls, word)
                query = CallbackQuery(id="1", from_user=resident_user, chat_instance="1", data=data)
                ok, _ = await handler.check(query, raw_state=None)
                if ok:
                    matched = data
                    break
            assert matched is not None, f"no forged press reaches {router.name}.{handler.callback.__name__}"
            callbacks.append((handler.callback.__name__, matched))
    assert {"cola", "iniciativa", "auditoria", "plantillas", "equipo", "invitar"} <= set(commands)
    assert len(callbacks) >= 8

    for command in commands:
        await resident.send(f"/{command} INI-2026-00001")
        (reply,) = await resident.replies(1)
        assert reply.plain == REFUSAL, command
    before = len(resident.callback_answers)
    for _name, data in callbacks:
        await resident.press_data(data, 1)
    assert await tg.wait_until(lambda: len(resident.callback_answers) >= before + len(callbacks), 10)
    answers = resident.callback_answers[before:]
    assert all(a.get("text") == REFUSAL for a in answers), [
        (name, a.get("text"))
        for (name, _), a in zip(callbacks, answers, strict=False)
        if a.get("text") != REFUSAL
    ]
    async with app.session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert await s.scalar(select(func.count()).select_from(StaffMember)) == 0


async def test_an_admin_taken_out_of_the_setting_loses_the_role(app: App) -> None:
    """PEAM_ADMIN_IDS admins get a row for their name only: the role stays with the setting."""
    async with app.session_factory() as s, s.begin():
        await staff.touch_name(s, 555_001, "Antigua Admin", bootstrap_admin=True)
    async with app.session_factory() as s:
        assert await staff.role_of(s, [555_001], 555_001) == "admin"
        assert await staff.display_name(s, 555_001) == "Antigua Admin"
        assert await staff.role_of(s, [], 555_001) is None
        assert not await staff.allowed(s, [], 555_001, "triage")
        assert [m.user_id for m in await staff.members(s, [])] == []
        assert [(m.user_id, m.name) for m in await staff.members(s, [555_001])] == [
            (555_001, "Antigua Admin")
        ]
