"""Per-update plumbing: logging, throttling, DB session, idempotency, locale.

Updates of one resident are handled one at a time, in order, by aiogram's event isolation
(configured in peam_bot.telegram.app), which wraps all of these middlewares."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import CallbackQuery, Message, TelegramObject, Update
from sqlalchemy import bindparam, event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from peam_bot.i18n import current_locale, gettext, pick_locale
from peam_bot.services import users
from peam_bot.storage import hot, transactions
from peam_bot.storage.fsm import update_session
from peam_bot.storage.models import ProcessedUpdate, utcnow
from peam_bot.storage.transactions import UpdateCommitter

log = logging.getLogger("peam_bot.updates")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _actor_id(update: Update) -> int | None:
    event = update.event
    user = getattr(event, "from_user", None)
    return user.id if user else None


class UpdateLogMiddleware(BaseMiddleware):
    """One line per update: id, type, outcome, time. Never names, ids of people or text.

    It also remembers the ids of recently finished updates (committed or rolled back), so a
    supervisor or a test can wait until an update has been fully handled."""

    def __init__(self) -> None:
        self.finished: deque[int] = deque(maxlen=10_000)
        self._changed = asyncio.Event()

    async def wait_finished(self, update_id: int, timeout: float = 5.0) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while update_id not in self.finished:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return update_id in self.finished
        return True

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        started = time.perf_counter()
        outcome = "ok"
        try:
            result = await handler(event, data)
            if result is UNHANDLED:
                outcome = "unhandled"
            elif data.get("duplicate_update"):
                outcome = "duplicate"
            elif data.get("throttled"):
                outcome = "throttled"
            return result
        except Exception as exc:
            outcome = f"error:{type(exc).__name__}"
            raise
        finally:
            self.finished.append(event.update_id)
            self._changed.set()
            log.info(
                "update id=%s type=%s outcome=%s ms=%.1f",
                event.update_id,
                event.event_type,
                outcome,
                (time.perf_counter() - started) * 1000,
            )


class ThrottleMiddleware(BaseMiddleware):
    """A resident sending faster than a person can (over `limit` updates in `window` s) is slowed
    down: the extra updates are dropped and one polite message says so, once per window."""

    def __init__(self, limit: int = 15, window: float = 3.0) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        uid = _actor_id(event)
        if uid is None or self.limit <= 0:
            return await handler(event, data)
        now = time.monotonic()
        seen = self._seen.setdefault(uid, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            if len(self._seen) > 10_000:
                self._forget_idle(now)
            return await handler(event, data)
        data["throttled"] = True
        if now - self._warned.get(uid, 0.0) > self.window * 2:
            self._warned[uid] = now
            inner = event.event
            user = getattr(inner, "from_user", None)
            locale = pick_locale(user.language_code if user else None)
            text = gettext("Va muy rápido 🙂. Espere unos segundos y vuelva a intentarlo.", locale)
            if isinstance(inner, Message):
                await inner.answer(text)
            elif isinstance(inner, CallbackQuery):
                await inner.answer(text)
        return None

    def _forget_idle(self, now: float) -> None:
        for uid in [u for u, q in self._seen.items() if not q or now - q[-1] > self.window]:
            del self._seen[uid]


UPDATE_ID = "update_id"
_INSERT_UPDATE_ID = insert(ProcessedUpdate).values(
    update_id=bindparam("update_id"), created_at=bindparam("created_at")
)


@event.listens_for(Session, "before_commit")
def _store_update_id(sync: Session) -> None:
    """The handled update's id goes in with the update's first commit: one statement, no ORM object
    to track, on the short path of :mod:`peam_bot.storage.hot`."""
    update_id = sync.info.pop(UPDATE_ID, None)
    if update_id is not None:
        hot.execute(sync.connection(), _INSERT_UPDATE_ID, {"update_id": update_id, "created_at": utcnow()})


class DbSessionMiddleware(BaseMiddleware):
    """One session per update: what the update did commits before each of its calls to Telegram and
    at its end, and rolls back on error (:mod:`peam_bot.storage.transactions`). The update id and the
    conversation state go in with the first commit, so a repeated update is recognised and ignored.
    Sessions do not autoflush: writes reach the database at a commit, which keeps SQLite's single
    write lock short."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], committer: UpdateCommitter) -> None:
        self.session_factory = session_factory
        self.committer = committer
        # Telegram's update ids grow. Ids above the highest one stored before this process started
        # can only have been handled by this process, and those are remembered here: only older ids
        # need a database look-up.
        self._floor: int | None = None
        self._recent: set[int] = set()
        self._recent_order: deque[int] = deque()

    async def _seen(self, session: AsyncSession, update_id: int) -> bool:
        if self._floor is None:
            self._floor = (await session.execute(select(func.max(ProcessedUpdate.update_id)))).scalar() or 0
        if update_id in self._recent:
            return True
        if update_id > self._floor:
            return False
        return await session.get(ProcessedUpdate, update_id) is not None

    def _remember(self, update_id: int) -> None:
        self._recent.add(update_id)
        self._recent_order.append(update_id)
        if len(self._recent_order) > 100_000:
            self._recent.discard(self._recent_order.popleft())

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        # Not `async with session`: SQLAlchemy closes a session left that way in a task of its own,
        # shielded from cancellation, which took the event loop three extra turns per update (a
        # tenth or more of what an update's database work cost: `python -m bench.costs`). The
        # session is closed here in place; a handler cancelled (only at shutdown) still has its
        # transaction rolled back.
        session = self.session_factory()
        try:
            if await self._seen(session, event.update_id):
                data["duplicate_update"] = True
                return None
            session.info[UPDATE_ID] = event.update_id  # stored by _store_update_id at the first commit
            transactions.defer(session)
            data["session"] = session
            token = update_session.set(session)
            handling = transactions.handling(session, self.committer)
            try:
                result = await handler(event, data)
                await self.committer.commit(session)
                self._remember(event.update_id)
            except BaseException:
                await session.rollback()
                raise
            finally:
                transactions.done_handling(handling)
                update_session.reset(token)
            return result
        finally:
            await transactions.close_update_session(session)


class UserLocaleMiddleware(BaseMiddleware):
    """Loads the resident (if they accepted the notice) and sets the language of the reply."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        inner = event.event
        tg_user = getattr(inner, "from_user", None)
        session: AsyncSession = data["session"]
        user = await users.get(session, tg_user.id) if tg_user else None
        if user is not None:
            locale = user.locale
            await users.mark_reachable(session, user)
        else:
            locale = pick_locale(tg_user.language_code if tg_user else None)
            state = data.get("state")
            if state is not None:
                locale = (await state.get_data()).get("locale", locale)
        data["user"] = user
        data["locale"] = locale
        token = current_locale.set(locale)
        try:
            return await handler(event, data)
        finally:
            current_locale.reset(token)
