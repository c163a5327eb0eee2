"""The outbox worker: delivers queued proactive messages within Telegram's limits.

- a global token bucket at PEAM_BROADCAST_RATE messages/s;
- at least 1 s between two messages to the same private chat, at most 20 per minute to a group;
- 429 → wait `retry_after` (the whole worker pauses: Telegram asks the bot to slow down);
- 5xx / network / timeout → retry with exponential backoff, up to MAX_ATTEMPTS;
- 403 → the resident blocked the bot: marked unreachable, their queued messages are not sent;
- 400 → a permanent error: recorded on the row, never retried;
- any other exception (a malformed row, a bug) → recorded on the row as failed (its type and where it
  was raised, nothing of its message), and the worker carries on with the next rows.
Rows of one chat go out in the order they were queued (a row scheduled for later on purpose waits
without holding the others back). A row whose payload has `expires_at` (ISO 8601; a reminder: the
event's start) and is still unsent by then is marked "expired", not sent. A crash while a row is "sending" puts it
back to "pending" at the next start (delivery is at least once: Telegram has no idempotency key).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, InputMediaPhoto
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peam_bot.diagnostics import describe
from peam_bot.outbox.queue import EXPIRES
from peam_bot.services import users
from peam_bot.storage.models import OutboxMessage, ProcessedUpdate, utcnow
from peam_bot.telegram.client import not_modified

log = logging.getLogger("peam_bot.outbox")

MAX_ATTEMPTS = 8
PRIVATE_GAP_S = 1.0
GROUP_WINDOW_S = 60.0
GROUP_PER_WINDOW = 20
BATCH = 200
STOP_GRACE_S = 10.0  # how long a stop waits for the delivery under way


def _expired(row: OutboxMessage) -> bool:
    expires = row.payload.get(EXPIRES) if isinstance(row.payload, dict) else None
    return bool(expires) and utcnow() >= datetime.fromisoformat(str(expires))


class TokenBucket:
    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def wait_time(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class OutboxWorker:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        rate: float = 25.0,
        poll_interval: float = 0.5,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.bucket = TokenBucket(rate)
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._last_private: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._paused_until = 0.0
        self._task: asyncio.Task[None] | None = None
        self._last_prune = 0.0
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        await self.recover()
        self._task = asyncio.create_task(self.run(), name="outbox-worker")

    async def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Stop after the delivery under way (its row is recorded as sent, not left "sending" to be
        sent again at the next start); cancelled if it takes longer than `grace` seconds."""
        if self._task:
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=grace)
            except TimeoutError:
                self._task.cancel()
                try:
                    await self._task
                except asyncio.CancelledError:
                    pass
            self._task = None
            self._stopping = False

    async def recover(self) -> int:
        """Rows left "sending" by a crash go back to the queue."""
        async with self.session_factory() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage).where(OutboxMessage.status == "sending").values(status="pending")
            )
        return result.rowcount or 0  # type: ignore[attr-defined]

    async def run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.drain_once()
                await self._prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox loop error")
                sent = 0
            if sent == 0 and not self._stopping:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
                except TimeoutError:
                    pass
                self._wake.clear()

    def _chat_wait(self, chat_id: int, now: float) -> float:
        if chat_id < 0:
            window = self._group_sends.setdefault(chat_id, deque())
            while window and now - window[0] >= GROUP_WINDOW_S:
                window.popleft()
            return 0.0 if len(window) < GROUP_PER_WINDOW else GROUP_WINDOW_S - (now - window[0])
        last = self._last_private.get(chat_id)
        return 0.0 if last is None else max(0.0, PRIVATE_GAP_S - (now - last))

    def _note_sent(self, chat_id: int, now: float) -> None:
        if chat_id < 0:
            self._group_sends.setdefault(chat_id, deque()).append(now)
        else:
            self._last_private[chat_id] = now

    async def drain_once(self) -> int:
        """Send what is due now; returns how many rows were handled."""
        if time.monotonic() < self._paused_until:
            await asyncio.sleep(self._paused_until - time.monotonic())
        async with self.session_factory() as session:
            rows = (
                await session.execute(
                    select(
                        OutboxMessage.id,
                        OutboxMessage.chat_id,
                        OutboxMessage.next_attempt_at,
                        OutboxMessage.attempts,
                    )
                    .where(OutboxMessage.status == "pending")
                    .order_by(OutboxMessage.id)
                    .limit(BATCH)
                )
            ).all()
        now_utc = utcnow()
        held: set[int] = set()
        handled = 0
        for row_id, chat_id, due, attempts in rows:
            if self._stopping:
                break
            if chat_id in held:
                continue
            if due > now_utc and attempts == 0:
                continue  # scheduled for later on purpose: it does not hold the chat's queue
            if due > now_utc or self._chat_wait(chat_id, time.monotonic()) > 0:
                held.add(chat_id)  # keep the chat's order: nothing after this row goes first
                continue
            wait = self.bucket.wait_time()
            if wait > 0:
                await asyncio.sleep(wait)
                self.bucket.wait_time()
            self.bucket.take()
            outcome = await self._deliver(row_id)
            handled += 1
            if outcome not in ("sent", "expired"):
                held.add(chat_id)
            if outcome == "paused":
                break
        return handled

    async def _claim(self, row_id: int) -> OutboxMessage | None:
        async with self.session_factory() as session, session.begin():
            claimed = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status == "pending")
                .values(status="sending", attempts=OutboxMessage.attempts + 1)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return None
            return await session.get(OutboxMessage, row_id)

    async def _deliver(self, row_id: int) -> str:
        row = await self._claim(row_id)
        if row is None:
            return "skipped"
        started = time.monotonic()
        values: dict[str, Any] = {}
        outcome = "sent"
        if _expired(row):
            async with self.session_factory() as session, session.begin():
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id)
                    .values(status="expired", last_error="not sent before its expires_at")
                )
            log.info("outbox id=%s kind=%s outcome=expired", row.id, row.kind)
            return "expired"
        try:
            message_id = await self._send(row)
            values = {
                "status": "sent",
                "sent_at": utcnow(),
                "telegram_message_id": message_id,
                "last_error": None,
            }
            if row.kind not in ("edit", "caption"):  # edits are not new messages in the chat's quota
                self._note_sent(row.chat_id, time.monotonic())
        except TelegramRetryAfter as exc:
            outcome = "paused"
            self._paused_until = time.monotonic() + exc.retry_after
            values = {
                "status": "pending",
                "attempts": row.attempts - 1,  # a 429 is Telegram pacing us, not a failed attempt
                "next_attempt_at": utcnow() + timedelta(seconds=exc.retry_after),
                "last_error": f"429 retry_after={exc.retry_after}",
            }
        except TelegramForbiddenError:
            outcome = "unreachable"
            values = {"status": "unreachable", "last_error": "403 forbidden"}
        except TelegramBadRequest as exc:
            outcome = "failed"
            values = {"status": "failed", "last_error": f"400 {exc.message}"[:255]}
        except ValueError as exc:
            outcome = "failed"
            values = {"status": "failed", "last_error": str(exc)[:255]}
        except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError) as exc:
            outcome = "retry"
            if row.attempts >= MAX_ATTEMPTS:
                values = {"status": "failed", "last_error": f"gave up: {type(exc).__name__}"[:255]}
            else:
                backoff = min(300.0, 2.0 ** (row.attempts - 1))
                values = {
                    "status": "pending",
                    "next_attempt_at": utcnow() + timedelta(seconds=backoff),
                    "last_error": f"{type(exc).__name__}"[:255],
                }
        except Exception as exc:  # noqa: BLE001 - a bug or a malformed row: recorded, the queue goes on
            # not retried: the message may have gone out before the failure (a duplicate is worse)
            outcome = "failed"
            values = {"status": "failed", "last_error": f"unexpected: {describe(exc)}"[:255]}
            log.error("outbox id=%s kind=%s unexpected %s", row.id, row.kind, describe(exc))
        async with self.session_factory() as session, session.begin():
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
            if outcome == "unreachable":
                await users.mark_unreachable(session, row.chat_id)
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.chat_id == row.chat_id, OutboxMessage.status == "pending")
                    .values(status="unreachable", last_error="403 forbidden (earlier message)")
                )
        log.info(
            "outbox id=%s kind=%s chat=%s attempt=%s outcome=%s ms=%.1f",
            row.id,
            row.kind,
            "group" if row.chat_id < 0 else "private",
            row.attempts,
            values.get("status", outcome),
            (time.monotonic() - started) * 1000,
        )
        return outcome

    async def _send(self, row: OutboxMessage) -> int:
        p = row.payload
        markup = InlineKeyboardMarkup.model_validate(p["reply_markup"]) if p.get("reply_markup") else None
        if row.kind == "text":
            msg = await self.bot.send_message(
                row.chat_id, p["text"], reply_markup=markup, disable_web_page_preview=True
            )
            return msg.message_id
        if row.kind == "photo":
            msg = await self.bot.send_photo(
                row.chat_id, p["photo"], caption=p.get("caption"), reply_markup=markup
            )
            return msg.message_id
        if row.kind == "media_group":
            media = [InputMediaPhoto(media=m["media"], caption=m.get("caption")) for m in p["media"]]
            msgs = await self.bot.send_media_group(row.chat_id, media)
            return msgs[0].message_id
        if row.kind == "edit":  # an earlier message brought up to date (e.g. a staff announcement)
            try:
                await self.bot.edit_message_text(
                    p["text"],
                    chat_id=row.chat_id,
                    message_id=p["message_id"],
                    reply_markup=markup,
                    disable_web_page_preview=True,
                )
            except TelegramBadRequest as exc:
                if not not_modified(exc):
                    raise
            return int(p["message_id"])
        if row.kind == "caption":  # a photo's caption brought up to date (a check-in screen's count)
            try:
                await self.bot.edit_message_caption(
                    chat_id=row.chat_id, message_id=p["message_id"], caption=p["caption"], reply_markup=markup
                )
            except TelegramBadRequest as exc:
                if not not_modified(exc):
                    raise
            return int(p["message_id"])
        if row.kind == "location":
            msg = await self.bot.send_location(row.chat_id, p["latitude"], p["longitude"])
            return msg.message_id
        if row.kind == "venue":
            msg = await self.bot.send_venue(
                row.chat_id, p["latitude"], p["longitude"], p["title"], p["address"]
            )
            return msg.message_id
        raise ValueError(f"unknown outbox kind {row.kind}")

    async def _prune(self) -> None:
        """Forget handled update ids after two days (Telegram keeps updates for 24 h)."""
        if time.monotonic() - self._last_prune < 3600:
            return
        self._last_prune = time.monotonic()
        async with self.session_factory() as session, session.begin():
            await session.execute(
                delete(ProcessedUpdate).where(ProcessedUpdate.created_at < utcnow() - timedelta(days=2))
            )
