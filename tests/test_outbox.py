"""The outbox worker against the emulator: pacing, 429, 403, 5xx, and resume after a restart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram, Limits
from peam_bot.outbox import queue as outbox
from peam_bot.services import users
from peam_bot.storage.models import OutboxMessage
from peam_bot.storage.models import User as DbUser
from peam_bot.telegram.app import App
from tests.conftest import STAFF_CHAT, StartApp, eventually


async def queue(app: App, chat_id: int, texts: list[str]) -> list[int]:
    async with app.session_factory() as s, s.begin():
        rows = [outbox.enqueue_text(s, chat_id, t) for t in texts]
    app.worker.wake()
    return [r.id for r in rows]


async def statuses(app: App) -> list[str]:
    async with app.session_factory() as s:
        return list((await s.execute(select(OutboxMessage.status).order_by(OutboxMessage.id))).scalars())


async def test_private_chat_gets_one_message_per_second_in_order(app: App, tg: FakeTelegram) -> None:
    u = User(tg, 800_001)
    await queue(app, u.chat_id, ["uno", "dos", "tres"])
    msgs = await u.replies(3, timeout=6)
    assert [m.plain for m in msgs] == ["uno", "dos", "tres"]
    gaps = [b.ts - a.ts for a, b in zip(msgs, msgs[1:], strict=False)]
    assert all(g >= 0.95 for g in gaps), gaps


async def test_group_is_limited_to_twenty_per_minute(app: App, tg: FakeTelegram) -> None:
    await queue(app, STAFF_CHAT, [f"aviso {i}" for i in range(22)])
    assert await tg.wait_until(lambda: len(tg.messages_for(STAFF_CHAT)) >= 20, timeout=5)
    assert not await tg.wait_until(lambda: len(tg.messages_for(STAFF_CHAT)) > 20, timeout=1.5)
    assert (await statuses(app)).count("pending") == 2


async def test_429_is_honoured_and_the_message_still_goes_out(app: App, tg: FakeTelegram) -> None:
    u = User(tg, 800_002)
    tg.inject_fault("sendMessage", "429", count=1, retry_after=1)
    await queue(app, u.chat_id, ["hola"])
    (msg,) = await u.replies(1, timeout=6)
    assert msg.plain == "hola"
    failed = [c for c in tg.calls_of("sendMessage") if c.status == 429]
    assert failed and msg.ts - failed[0].ts >= 0.95

    async def sent() -> bool:
        return await statuses(app) == ["sent"]

    assert await eventually(sent)
    async with app.session_factory() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
        assert row.status == "sent" and row.attempts == 1 and row.telegram_message_id == msg.message_id


async def test_emulator_flood_limit_is_respected_by_the_worker(start_app: StartApp, tg: FakeTelegram) -> None:
    tg.limits = Limits(global_per_s=5, global_burst=5)
    app = await start_app(broadcast_rate=20)  # configured above what the server allows
    people = [User(tg, 810_000 + i) for i in range(12)]
    for p in people:
        await queue(app, p.chat_id, [f"boletín para {p.user_id}"])

    async def all_sent() -> bool:
        return await statuses(app) == ["sent"] * 12

    assert await eventually(all_sent, timeout=15)
    assert all(len(tg.messages_for(p.chat_id)) == 1 for p in people)  # nothing lost, nothing doubled


async def test_403_marks_the_resident_unreachable(app: App, tg: FakeTelegram) -> None:
    u = User(tg, 800_003)
    async with app.session_factory() as s, s.begin():
        await users.accept_consent(s, u.user_id, "es")
    tg.block(u.user_id)
    await queue(app, u.chat_id, ["uno", "dos"])

    async def done() -> bool:
        return await statuses(app) == ["unreachable", "unreachable"]

    assert await eventually(done)
    async with app.session_factory() as s:
        assert (await s.get(DbUser, u.user_id)).unreachable_at is not None  # type: ignore[union-attr]
    assert len([c for c in tg.calls_of("sendMessage") if c.status == 403]) == 1


async def test_server_errors_are_retried_with_backoff(app: App, tg: FakeTelegram) -> None:
    u = User(tg, 800_004)
    tg.inject_fault("sendMessage", "5xx", count=2)
    await queue(app, u.chat_id, ["persistente"])
    (msg,) = await u.replies(1, timeout=10)
    assert msg.plain == "persistente"

    async def sent() -> bool:
        return await statuses(app) == ["sent"]

    assert await eventually(sent)
    async with app.session_factory() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
        assert row.status == "sent" and row.attempts == 3


async def test_bad_request_is_recorded_not_retried(app: App, tg: FakeTelegram) -> None:
    u = User(tg, 800_005)
    await queue(app, u.chat_id, ["<b>sin cerrar"])

    async def failed() -> bool:
        return await statuses(app) == ["failed"]

    assert await eventually(failed)
    async with app.session_factory() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
        assert row.attempts == 1 and "400" in (row.last_error or "")


async def test_unexpected_failure_is_recorded_on_the_row_and_the_queue_goes_on(
    app: App, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed row (here: a text message without its text) fails on its own: it is marked
    failed with what went wrong, nothing is left "sending", and the rows after it still go out."""
    u = User(tg, 800_007)
    async with app.session_factory() as s, s.begin():
        outbox.enqueue(s, u.chat_id, "text", {"texto": "Rosa Quispe, DNI 40404040"})
        outbox.enqueue_text(s, u.chat_id, "después")
    app.worker.wake()
    (msg,) = await u.replies(1, timeout=6)
    assert msg.plain == "después"

    async def settled() -> bool:
        return await statuses(app) == ["failed", "sent"]

    assert await eventually(settled)
    async with app.session_factory() as s:
        bad = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().first()
        assert bad is not None and bad.attempts == 1
        assert (bad.last_error or "").startswith("unexpected: KeyError at peam_bot.outbox.worker:")
    assert "40404040" not in caplog.text and "Rosa" not in caplog.text


async def test_queue_survives_a_restart(start_app: StartApp, tg: FakeTelegram) -> None:
    u = User(tg, 800_006)
    first = await start_app()
    await first.worker.stop()  # the process dies before delivering
    async with first.session_factory() as s, s.begin():
        for t in ("a", "b"):
            outbox.enqueue_text(s, u.chat_id, t)
        # a row caught in the middle of a send when the process died
        stuck = outbox.enqueue_text(s, u.chat_id, "c")
        await s.flush()
        stuck.status = "sending"
    await first.close()
    assert tg.messages_for(u.chat_id) == []

    await start_app()
    msgs = await u.replies(3, timeout=8)
    assert [m.plain for m in msgs] == ["a", "b", "c"]
