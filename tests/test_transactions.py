"""No transaction is held across a call to Telegram (storage/transactions.py): while residents and
moderators act, every Bot API call the bot makes finds SQLite's write lock free, i.e. whatever the
update wrote was committed before the call went out."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import staff
from tests.conftest import FAST_PATHS, PG_URL, StartApp, onboard
from tests.test_moderation import accept_as_new, announcement, reject_with_template, submit
from tests.test_propose import fill_until_review

pytestmark = [
    pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock is what is probed"),
    # With SQLAlchemy's aiosqlite adapter every statement yields to the event loop, so the lock seen
    # at a call may be another task's (the outbox worker's) rather than the caller's: the probe is
    # exact only on the inline driver, where a transaction can yield only at a Telegram call.
    pytest.mark.skipif(not FAST_PATHS, reason="the probe needs statements that do not yield"),
]

ADMIN, ANA = 961_000, 961_001


class LockProbe:
    """Called by the emulator as each Bot API call arrives: is SQLite's write lock free right now?"""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        self.calls: list[tuple[str, bool]] = []  # (method, lock was held)

    def __call__(self, method: str) -> None:
        if method == "getUpdates":  # the polling loop's, not an update's
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            self.calls.append((method, True))
            return
        self.conn.execute("ROLLBACK")
        self.calls.append((method, False))

    def held(self) -> list[str]:
        return [m for m, locked in self.calls if locked]


async def test_no_telegram_call_while_the_write_lock_is_held(
    start_app: StartApp, tg: FakeTelegram, tmp_path: Path
) -> None:
    path = tmp_path / "probe.db"
    app = await start_app(database_url=f"sqlite+aiosqlite:///{path}", admin_ids=[ADMIN])
    async with app.session_factory() as s, s.begin():
        await staff.add(s, ANA, "moderador", ADMIN, "Ana Quispe")
    probe = LockProbe(path)

    # the probe can fail: a lock held elsewhere during a call is seen
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    tg.observers.append(probe)
    await app.bot.get_me()
    other.execute("ROLLBACK")
    other.close()
    assert "getMe" in probe.held()
    probe.calls.clear()

    # a resident sends an initiative through the form (Enviar writes, then answers)
    rosa, ana = User(tg, 961_101, "Rosa", "es"), User(tg, ANA, "Ana Quispe")
    await onboard(rosa)
    await fill_until_review(rosa, photos=1, location=True)
    await rosa.press("Enviar")
    _edit, done = await rosa.replies(2)
    (code,) = [re.search(r"INI-\d{4}-\d{5}", done.plain).group(0)]
    other_code = await submit(app, rosa, title="Bancas y sombra en el parque Selva Alegre")
    # a moderator takes, rejects and accepts them from the staff chat (each first press writes)
    first = await announcement(tg, code)
    second = await announcement(tg, other_code)
    await reject_with_template(ana, first, "Falta detalle")
    await accept_as_new(ana, second)
    await rosa.replies(2, timeout=10)  # both decisions reach the resident (outbox)

    tg.observers.remove(probe)
    probe.conn.close()
    methods = {m for m, _ in probe.calls}
    assert {"sendMessage", "editMessageText", "answerCallbackQuery", "sendPhoto"} <= methods
    assert len(probe.calls) > 30
    assert probe.held() == []
