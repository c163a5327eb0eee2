"""Assembly: bot, dispatcher, middlewares, routers, FSM storage, outbox worker."""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peam_bot import admin, handlers
from peam_bot.config import Settings
from peam_bot.outbox.worker import OutboxWorker
from peam_bot.services import event_notices
from peam_bot.storage.db import WalCheckpointer, make_engine, make_session_factory, upgrade
from peam_bot.storage.fsm import DatabaseStorage
from peam_bot.storage.transactions import UpdateCommitter
from peam_bot.telegram.client import create_bot
from peam_bot.telegram.commands import set_commands, set_staff_commands
from peam_bot.telegram.errors import setup_errors
from peam_bot.telegram.middlewares import (
    DbSessionMiddleware,
    ThrottleMiddleware,
    UpdateLogMiddleware,
    UserLocaleMiddleware,
)

log = logging.getLogger("peam_bot")

# Net allocations of tracked objects between two young-generation collections (Python: 700).
GC_YOUNG_THRESHOLD = 50_000

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "inline_query"]



def make_storage(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True))
    return DatabaseStorage(session_factory)


def make_isolation(settings: Settings) -> BaseEventIsolation:
    """One update at a time per resident (album photos, double taps), the state read under the lock."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation

        return RedisEventIsolation.from_url(settings.redis_url)
    return SimpleEventIsolation()


def build_dispatcher(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    storage: BaseStorage,
    worker: OutboxWorker | None,
) -> Dispatcher:
    dp = Dispatcher(storage=storage, events_isolation=make_isolation(settings), settings=settings)
    dp["update_log"] = update_log = UpdateLogMiddleware()
    dp.update.outer_middleware(update_log)
    dp.update.outer_middleware(ThrottleMiddleware(settings.throttle_limit, settings.throttle_window))
    committer = UpdateCommitter(
        serialize=settings.database_url.startswith("sqlite"), on_commit=worker.wake if worker else None
    )
    dp.update.outer_middleware(DbSessionMiddleware(session_factory, committer))
    dp.update.outer_middleware(UserLocaleMiddleware())
    setup_errors(dp)
    dp.include_router(admin.setup())
    dp.include_routers(*handlers.routers())
    return dp


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    bot: Bot
    dp: Dispatcher
    worker: OutboxWorker
    storage: BaseStorage
    checkpointer: WalCheckpointer | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def create(cls, settings: Settings, migrate: bool = True) -> App:
        engine = make_engine(settings.database_url, background_checkpoints=True, fast_paths=settings.fast_paths)
        event_notices.configure(settings.event_reminders)
        if migrate:
            await upgrade(engine)
        session_factory = make_session_factory(engine)
        update_sessions = make_session_factory(engine, autoflush=False)
        bot = create_bot(settings)
        worker = OutboxWorker(
            create_bot(settings, retry_replies=False), session_factory, rate=settings.broadcast_rate
        )
        storage = make_storage(settings, session_factory)
        dp = build_dispatcher(settings, update_sessions, storage, worker)
        return cls(
            settings, engine, session_factory, bot, dp, worker, storage, WalCheckpointer.for_engine(engine)
        )

    async def start_background(self) -> None:
        """The outbox worker and, on SQLite, the log checkpointer."""
        await self.worker.start()
        if self.checkpointer is not None:
            self.checkpointer.start()

    async def wait_handled(self, update_id: int, timeout: float = 5.0) -> bool:
        """True once the update has been fully handled (its transaction committed or rolled back)."""
        update_log: UpdateLogMiddleware = self.dp["update_log"]
        return await update_log.wait_finished(update_id, timeout)

    @staticmethod
    def freeze_startup_objects() -> None:
        """Move everything allocated at start-up out of the garbage collector's view (full
        collections otherwise walk ~250 000 long-lived objects and pause the bot for 150–200 ms),
        and collect the young generation less often.

        With Python's default thresholds (700, 10, 10) the bot under load ran a young collection
        every few updates, each walking the objects of every update in flight, and an older one
        every second or so: about 7% of its CPU time, with pauses of 20–60 ms. Almost everything an
        update allocates is freed by reference counting when it ends, so collecting after 50 000
        net allocations instead finds the same garbage about seventy times less often (measured in
        `bench/README.md`); reference cycles are still collected, and the older generations keep
        their usual ratios."""
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 10)

    async def start_polling(self) -> None:
        """Start the outbox worker and long polling in the background (used by tests and `chat`)."""
        self.freeze_startup_objects()
        await set_commands(self.bot)
        await set_staff_commands(self.bot, self.session_factory, self.settings)
        await self.bot.delete_webhook()
        await self.start_background()
        self._tasks.append(
            asyncio.create_task(
                self.dp.start_polling(
                    self.bot, allowed_updates=ALLOWED_UPDATES, handle_signals=False, close_bot_session=False
                )
            )
        )
        await asyncio.sleep(0)

    async def run_polling(self) -> None:
        self.freeze_startup_objects()
        await set_commands(self.bot)
        await set_staff_commands(self.bot, self.session_factory, self.settings)
        await self.bot.delete_webhook()
        await self.start_background()
        try:
            await self.dp.start_polling(self.bot, allowed_updates=ALLOWED_UPDATES, close_bot_session=False)
        finally:
            await self.close()

    async def close(self) -> None:
        if self.dp._running_lock.locked():  # noqa: SLF001 - aiogram exposes no public "is running"
            try:
                await self.dp.stop_polling()
            except RuntimeError:
                pass
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        self._tasks.clear()
        await self.worker.stop()
        if self.checkpointer is not None:
            await self.checkpointer.stop()
        await self.worker.bot.session.close()
        await self.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()
