"""Reminders before an event and the notices when it is cancelled or moved, on a real database and
the real bot's outbox worker talking to the emulator; time moved with peam_bot.clock, not slept.

The registrations are made with `services.events.register/cancel` followed by the calls the
registration flow will make (`schedule_reminders`, `withdraw_reminders`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from peam_bot import clock
from peam_bot.config import SettingsError, load_settings, parse_reminders
from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import event_notices, events
from peam_bot.services.event_admin import cancel_event, reschedule_event
from peam_bot.services.event_dates import when_between
from peam_bot.services.events import EventError
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import AuditEntry, OutboxMessage, utcnow
from peam_bot.storage.models import User as Resident
from peam_bot.telegram.app import App
from tests.conftest import StartApp, eventually
from tests.test_events import add_event

H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


def start_in(days: int = 3) -> datetime:
    """A start a few days from now, on the minute (the texts show minutes)."""
    return (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)


async def join(app: App, code: str, user_id: int, locale: str = "es") -> Registration:
    """The resident (created if new) registers; a seat gets its reminders, as the flow will do."""
    async with app.session_factory() as s, s.begin():
        resident = await s.get(Resident, user_id)
        if resident is None:
            resident = Resident(id=user_id, locale=locale, consent_at=utcnow(), consent_version="v")
            s.add(resident)
            await s.flush()
        event = await events.by_code(s, code)
        assert event is not None
        outcome = await events.register(s, event, resident, f"Vecino {user_id}")
        await event_notices.schedule_reminders(s, outcome.registration, event)
    app.worker.wake()
    return outcome.registration


async def leave(app: App, registration_id: int) -> None:
    async with app.session_factory() as s, s.begin():
        reg = await s.get(Registration, registration_id)
        assert reg is not None
        promoted = await events.cancel(s, reg)
        await event_notices.withdraw_reminders(s, reg)
        if promoted is not None:
            event = await s.get(Event, reg.event_id)
            assert event is not None
            await event_notices.schedule_reminders(s, promoted, event)
    app.worker.wake()


async def reminders(app: App, status: str = "pending") -> list[tuple[int, str, str]]:
    async with app.session_factory() as s:
        rows = await s.execute(
            select(OutboxMessage.chat_id, OutboxMessage.kind, OutboxMessage.ref)
            .where(OutboxMessage.ref.like("remind:%"), OutboxMessage.status == status)
            .order_by(OutboxMessage.id)
        )
        return [(c, k, r) for c, k, r in rows.all()]


async def at(app: App, moment: datetime) -> None:
    """It is now `moment`; the outbox looks at once."""
    clock.set(moment)
    app.worker.wake()


async def quiet(*users: User) -> None:
    for user in users:
        assert await user.settle(quiet=0.7) == []


async def test_reminders_go_out_24_and_2_hours_before_with_the_map(tg: FakeTelegram, app: App) -> None:
    start = start_in()
    await add_event(app, starts_at=start, ends_at=start + 3 * H)
    rosa = User(tg, 971_001, "Rosa", "es")
    reg = await join(app, "EV-0001", rosa.user_id)
    assert [k for _c, k, _r in await reminders(app)] == ["text", "venue", "text", "venue"]
    await quiet(rosa)  # registering says nothing here (the flow answers in the chat)

    await at(app, start - 24 * H - timedelta(seconds=30))
    await quiet(rosa)
    await at(app, start - 24 * H + timedelta(seconds=1))
    text, venue = await rosa.replies(2, timeout=5)
    async with app.session_factory() as s:
        event = await events.by_code(s, "EV-0001")
        assert event is not None
    assert "Recordatorio" in text.plain and events.when(event, "es") in text.plain
    assert "Municipalidad de Cayma, Plaza de Cayma s/n" in text.plain and reg.ticket in text.plain
    assert venue.method == "sendVenue" and venue.location == (-16.3617, -71.5486)
    assert "Plaza de Cayma" in (venue.text or "")

    await at(app, start - 2 * H - timedelta(seconds=30))
    await quiet(rosa)
    await at(app, start - 2 * H + timedelta(seconds=1))
    text, venue = await rosa.replies(2, timeout=5)
    assert reg.ticket in text.plain and venue.method == "sendVenue"
    assert await eventually(lambda: _count(app, "sent", 4))  # the last row's status lands just after its send
    assert await reminders(app) == []


async def _count(app: App, status: str, n: int) -> bool:
    return len(await reminders(app, status)) == n


async def test_no_reminder_whose_time_has_passed_nor_for_a_waiting_place(app: App) -> None:
    start = start_in()
    await add_event(app, starts_at=start, ends_at=start + 3 * H, capacity=1)
    clock.set(start - 23 * H)  # too late for the 24 h one
    first = await join(app, "EV-0001", 971_011)
    assert [(c, k) for c, k, _r in await reminders(app)] == [(971_011, "text"), (971_011, "venue")]
    waiting = await join(app, "EV-0001", 971_012)
    assert waiting.status == "espera" and len(await reminders(app)) == 2
    await add_event(app, "EV-0002", starts_at=start, ends_at=start + 3 * H, latitude=None, longitude=None)
    clock.set(start - H)  # neither
    await join(app, "EV-0002", 971_013)
    assert {c for c, _k, _r in await reminders(app)} == {971_011}

    # the seat given back goes to the one waiting, who now gets the reminders still to come
    clock.set(start - 3 * H)
    await leave(app, first.id)
    assert [(c, k) for c, k, _r in await reminders(app)] == [(971_012, "text"), (971_012, "venue")]
    # an event without coordinates: the text alone
    await add_event(
        app, "EV-0003", starts_at=start + 48 * H, ends_at=start + 50 * H, latitude=None, longitude=None
    )
    await join(app, "EV-0003", 971_014)
    assert [k for c, k, _r in await reminders(app) if c == 971_014] == ["text", "text"]


async def test_cancelled_registration_gets_no_reminder_and_registering_again_one_set(
    tg: FakeTelegram, app: App
) -> None:
    start = start_in()
    await add_event(app, starts_at=start, ends_at=start + 3 * H)
    rosa = User(tg, 971_021, "Rosa", "es")
    first = await join(app, "EV-0001", rosa.user_id)
    await leave(app, first.id)
    assert await reminders(app) == [] and len(await reminders(app, "cancelled")) == 4
    await at(app, start - 24 * H + timedelta(seconds=1))
    await quiet(rosa)

    clock.reset()
    first = await join(app, "EV-0001", rosa.user_id)
    await leave(app, first.id)
    again = await join(app, "EV-0001", rosa.user_id)
    async with app.session_factory() as s:  # pressing again (or the flow calling twice) adds nothing
        event = await events.by_code(s, "EV-0001")
        reg = await s.get(Registration, again.id)
        assert event is not None and reg is not None
        assert await event_notices.schedule_reminders(s, reg, event) == []
    pending = await reminders(app)
    assert len(pending) == 4 and all(again.ticket in ref for _c, _k, ref in pending)
    await at(app, start - 24 * H + timedelta(seconds=1))
    text, venue = await rosa.replies(2, timeout=5)
    assert again.ticket in text.plain and venue.method == "sendVenue"
    await quiet(rosa)


async def test_reminders_survive_a_restart_and_are_not_sent_twice(
    tg: FakeTelegram, start_app: StartApp
) -> None:
    app = await start_app()
    start = start_in()
    await add_event(app, starts_at=start, ends_at=start + 3 * H)
    rosa = User(tg, 971_031, "Rosa", "es")
    reg = await join(app, "EV-0001", rosa.user_id)
    await at(app, start - 24 * H + timedelta(seconds=1))
    await rosa.replies(2, timeout=5)
    await app.close()

    app = await start_app()
    async with app.session_factory() as s, s.begin():  # scheduling again after the restart: nothing new
        event = await events.by_code(s, "EV-0001")
        again = await s.get(Registration, reg.id)
        assert event is not None and again is not None
        assert await event_notices.schedule_reminders(s, again, event) == []
    await quiet(rosa)
    await at(app, start - 2 * H + timedelta(seconds=1))
    text, venue = await rosa.replies(2, timeout=5)
    assert reg.ticket in text.plain and venue.method == "sendVenue"
    await quiet(rosa)
    assert await eventually(lambda: _count(app, "sent", 4))


async def test_a_reminder_still_unsent_at_the_start_expires(tg: FakeTelegram, app: App) -> None:
    start = start_in()
    await add_event(app, starts_at=start, ends_at=start + 3 * H)
    rosa = User(tg, 971_041, "Rosa", "es")
    await join(app, "EV-0001", rosa.user_id)
    await at(app, start + timedelta(minutes=1))  # the bot was down through both reminders
    await quiet(rosa)
    assert await eventually(lambda: _count(app, "expired", 4)) and await reminders(app) == []


async def test_cancelling_an_event_tells_everyone_in_their_language(tg: FakeTelegram, app: App) -> None:
    start = start_in()
    await add_event(app, starts_at=start, ends_at=start + 3 * H, capacity=1)
    ana, beto = User(tg, 971_051, "Ana", "es"), User(tg, 971_052, "Beto", "en")
    await join(app, "EV-0001", ana.user_id, "es")
    await join(app, "EV-0001", beto.user_id, "en")
    async with app.session_factory() as s, s.begin():
        event = await events.by_code(s, "EV-0001")
        assert event is not None
        assert await cancel_event(s, event, actor_id=5, reason="lluvias") == 2
    app.worker.wake()
    (to_ana,) = await ana.replies(1, timeout=5)
    (to_beto,) = await beto.replies(1, timeout=5)
    when_es = when_between(start, start + 3 * H, "es")
    assert "Se canceló" in to_ana.plain and when_es in to_ana.plain and "Su inscripción" in to_ana.plain
    assert "has been cancelled" in to_beto.plain and "waiting list" in to_beto.plain
    assert await reminders(app) == []
    async with app.session_factory() as s, s.begin():
        event = await events.by_code(s, "EV-0001")
        assert event is not None and event.status == "cancelado"
        entry = (await s.execute(select(AuditEntry).where(AuditEntry.target == "EV-0001"))).scalar_one()
        assert (entry.actor_id, entry.action, entry.before, entry.after, entry.reason) == (
            5, "event_cancel", "programado", "cancelado", "lluvias",
        )  # fmt: skip
        with pytest.raises(EventError, match="cancelled"):
            await cancel_event(s, event, actor_id=5)
        # and a cancelled event schedules nothing
        reg = (await s.execute(select(Registration).where(Registration.user_id == ana.user_id))).scalar_one()
        assert await event_notices.schedule_reminders(s, reg, event) == []
    await at(app, start - 24 * H + timedelta(seconds=1))
    await quiet(ana, beto)


async def test_rescheduling_tells_everyone_and_moves_the_reminders(tg: FakeTelegram, app: App) -> None:
    start = start_in()
    await add_event(app, starts_at=start, ends_at=start + 3 * H, capacity=1)
    ana, beto = User(tg, 971_061, "Ana", "es"), User(tg, 971_062, "Beto", "en")
    seat = await join(app, "EV-0001", ana.user_id, "es")
    await join(app, "EV-0001", beto.user_id, "en")
    new_start = start + timedelta(days=2, hours=1)
    async with app.session_factory() as s, s.begin():
        event = await events.by_code(s, "EV-0001")
        assert event is not None
        with pytest.raises(EventError, match="bad_times"):
            await reschedule_event(s, event, new_start, new_start - H, actor_id=5)
        assert await reschedule_event(s, event, new_start, new_start + 2 * H, actor_id=5) == 2
        assert event.status == "reprogramado"
    app.worker.wake()
    (to_ana,) = await ana.replies(1, timeout=5)
    (to_beto,) = await beto.replies(1, timeout=5)
    assert "Cambió la fecha" in to_ana.plain and seat.ticket in to_ana.plain
    assert when_between(new_start, new_start + 2 * H, "es") in to_ana.plain
    assert f"antes: {when_between(start, start + 3 * H, 'es')}" in to_ana.plain
    assert "new date" in to_beto.plain and "waiting list" in to_beto.plain
    assert when_between(start, start + 3 * H, "en") in to_beto.plain
    assert {c for c, _k, _r in await reminders(app)} == {ana.user_id} and len(await reminders(app)) == 4

    await at(app, start - 24 * H + timedelta(seconds=1))  # the old time: nothing
    await quiet(ana, beto)
    await at(app, new_start - 24 * H + timedelta(seconds=1))
    text, venue = await ana.replies(2, timeout=5)
    assert when_between(new_start, new_start + 2 * H, "es") in text.plain and venue.method == "sendVenue"
    await quiet(beto)
    async with app.session_factory() as s:
        audit = (await s.execute(select(AuditEntry.action, AuditEntry.after))).all()
        assert [a for a, _after in audit] == ["event_reschedule"] and f"{new_start:%Y-%m-%d %H:%M}" in audit[
            0
        ][1]
        assert await s.scalar(select(func.count()).select_from(Registration)) == 2


def test_the_reminders_setting() -> None:
    assert load_settings(_env_file=None).event_reminders == (24 * H, 2 * H)
    assert parse_reminders("2h, 1d,30m") == (24 * H, 2 * H, timedelta(minutes=30))
    assert parse_reminders("") == ()
    for bad in ("2 horas", "0h", "31d", "1h,2h,3h,4h,5h,6h"):
        with pytest.raises(SettingsError, match="PEAM_EVENT_REMINDERS"):
            load_settings(_env_file=None, event_reminders=bad)
    assert (
        datetime(2026, 1, 1, tzinfo=UTC)
        < clock.set(datetime(2030, 1, 1, tzinfo=UTC))
        < datetime(2030, 1, 2, tzinfo=UTC)
    )
    clock.travel(-timedelta(days=365))
    assert clock.now().year == 2029
