"""`peam-bot chat`: one resident's conversation in the terminal, against the real bot running on
the built-in emulator, with a local SQLite file. No token, no internet."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from peam_bot import demo
from peam_bot.config import Settings
from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram, Limits
from peam_bot.emulator.terminal import chat_loop
from peam_bot.services import portfolio_sheet
from peam_bot.storage.models import ProcessedUpdate, utcnow
from peam_bot.telegram.app import App

STAFF_CHAT_ID = -1001000000001
TOKEN = "100000:CHAT-EMULATOR"
RESIDENT_ID = 55_500_001  # the same resident each run: a half-filled form is still there next time


async def run_chat(db_path: str, lang: str = "es", as_staff: bool = False) -> None:
    """``as_staff``: the simulated person is an AQPlan admin and the staff announcements come to
    their own chat, to practise triage (/cola, the buttons of each initiative) without a group."""
    tg = FakeTelegram(token=TOKEN, limits=Limits())
    base_url = await tg.start()
    tg.add_group(STAFF_CHAT_ID, "AQPlan — equipo")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        telegram_api_url=base_url,
        database_url=f"sqlite+aiosqlite:///{Path(db_path).resolve()}",
        staff_chat_id=RESIDENT_ID if as_staff else STAFF_CHAT_ID,
        admin_ids=[RESIDENT_ID] if as_staff else [],
        redis_url=None,
    )
    app = await App.create(settings)
    try:
        async with app.session_factory() as session, session.begin():
            await demo.seed(session, datetime.now(settings.tz).year)
            await demo.seed_events(session, utcnow())
            await portfolio_sheet.load_sample(session)
            last = (await session.execute(select(func.max(ProcessedUpdate.update_id)))).scalar_one()
        tg.continue_after(last or 0)
        await app.start_polling()
        resident = User(tg, user_id=RESIDENT_ID, first_name="Vecina", language_code=lang)
        await chat_loop(tg, resident)
    finally:
        await app.close()
        await tg.stop()
