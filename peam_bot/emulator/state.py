"""The emulator's state: its users, chats and messages, stored files, the update queue, what the bot
called and was sent, the injected faults and the rate-limit buckets; with the helpers tests use to
create users, messages and updates and to read what the bot did."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .models import ApiCall, SentMessage, StoredFile

FaultKind = Literal["5xx", "timeout", "429"]
Params = dict[str, Any]
Files = dict[str, tuple[bytes, str, str]]  # part name -> (data, filename, content type)

DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


@dataclass
class Limits:
    """Telegram's documented limits, as the emulator enforces them (assign a new one to change them)."""

    max_text: int = 4096  # after entity parsing, UTF-16 code units
    max_caption: int = 1024
    max_callback_data: int = 64  # bytes, UTF-8
    max_callback_answer: int = 200
    global_per_s: float = 30.0  # token bucket, burst = global_burst
    global_burst: int = 30
    per_chat_per_s: float = 1.0  # private chats
    per_chat_burst: int = 20  # short bursts allowed (replies in a fast conversation)
    group_per_min: int = 20  # groups / supergroups (chat_id < 0)
    paid_broadcast_per_s: float = 1000.0  # used when allow_paid_broadcast=true
    enforce_rates: bool = True


class Signal:
    """Broadcast wake-up: every waiter of :meth:`wait` is released by the next :meth:`notify`."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait(self, timeout: float | None) -> bool:
        """Wait for the next notification; False on timeout."""
        if timeout is not None and timeout <= 0:
            return False
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            if fut in self._waiters:
                self._waiters.remove(fut)


class Bucket:
    """A token bucket: `tokens` refill at a rate up to a capacity; a send takes one."""

    def __init__(self, capacity: float) -> None:
        self.tokens = float(capacity)
        self.last = time.monotonic()

    def refill(self, rate: float, capacity: float, now: float) -> None:
        self.tokens = min(float(capacity), self.tokens + max(0.0, now - self.last) * rate)
        self.last = now

    def wait_time(self, rate: float) -> float:
        if self.tokens >= 1:
            return 0.0
        return math.inf if rate <= 0 else (1 - self.tokens) / rate


@dataclass
class Fault:
    """An injected failure for the next `count` calls of `method` (None: of any method)."""

    method: str | None
    kind: FaultKind
    count: int
    retry_after: int


@dataclass
class QueuedUpdate:
    """An update waiting for getUpdates; `delivered` once a poll returned it (dropped by a later offset)."""

    update: dict[str, Any]
    delivered: bool = False


class EmulatorState:
    """Everything the fake Bot API knows and records, and the helpers tests drive it with."""

    def __init__(
        self, token: str = "123456:TEST", limits: Limits | None = None, bot_username: str = "peam_test_bot"
    ) -> None:
        self.token = token
        self.limits = limits or Limits()
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "PEAM Test Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.strict_chats = True  # sending to an unknown chat -> "Bad Request: chat not found"
        self.sent: list[SentMessage] = []
        self.calls: list[ApiCall] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.inline_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.bot_info: dict[str, str] = {}
        self.chat_actions: list[tuple[int, str, float]] = []
        self.deleted: list[tuple[int, int]] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status or 0 on error)
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.blocked: set[int] = set()
        self.changed = Signal()  # any API call finished / update pushed
        self.messages_signal = Signal()  # a message was sent/edited by the bot
        self._updates_signal = Signal()
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._raw: dict[tuple[int, int], str | None] = {}  # raw (unparsed) text/caption of bot messages
        self._by_chat: dict[int, list[SentMessage]] = {}
        self._next_mid: dict[int, int] = {}
        self._next_update_id = 1
        self._pending: list[QueuedUpdate] = []
        self._webhook_queue: asyncio.Queue[dict[str, Any]] | None = None  # while a webhook is set
        self._allowed: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._faults: list[Fault] = []
        self._buckets: dict[Any, Bucket] = {}
        self._rates_for = self.limits
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._answered_callbacks: set[str] = set()
        self._inline_queries: dict[str, dict[str, Any]] = {}
        self._file_counter = itertools.count(1)
        self._query_counter = itertools.count(1)
        self._poll_generation = 0
        self._closing = False

    def block(self, user_id: int) -> None:
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def inject_fault(self, method: str | None, kind: FaultKind, count: int = 1, retry_after: int = 1) -> None:
        if kind not in ("5xx", "timeout", "429"):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._faults.append(Fault(method.lower() if method else None, kind, count, retry_after))

    def reset_rates(self) -> None:
        """Refill every rate-limit bucket (e.g. after changing :attr:`limits`)."""
        self._buckets.clear()

    def clear_faults(self) -> None:
        self._faults.clear()

    def register_user(
        self,
        user_id: int,
        first_name: str = "Ana",
        language_code: str | None = "es",
        username: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """Create (or update) a user and its private chat; returns the Bot API ``User`` object."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        self.chats[user_id] = chat
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        kind: Literal["group", "supergroup"] = "supergroup",
        username: str | None = None,
    ) -> dict[str, Any]:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat: dict[str, Any] = {"id": chat_id, "type": kind, "title": title}
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def register_file(
        self,
        data: bytes,
        kind: str = "document",
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        """Store bytes as a Telegram file (user uploads or bot uploads); getFile/download serve them."""
        n = next(self._file_counter)
        prefix = {
            "photo": "AgACAgEAAxk",
            "document": "BQACAgEAAxk",
            "sticker": "CAACAgIAAxk",
            "voice": "AwACAgEAAxk",
        }.get(kind, "BAACAgEAAxk")
        file_id = f"{prefix}{n:06d}{secrets.token_urlsafe(12)}"
        unique = f"AQAD{n:06d}{secrets.token_hex(4)}"
        folder = {"photo": "photos", "document": "documents", "sticker": "stickers", "voice": "voice"}.get(
            kind, "files"
        )
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            ext = ".jpg"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            file_path=f"{folder}/file_{n}{ext}",
            data=data,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[file_id] = stored
        return stored

    def continue_after(self, update_id: int) -> None:
        """Number the next updates after `update_id` (a bot restarted on an existing database has
        already seen lower ids, as it would have with Telegram)."""
        self._next_update_id = max(self._next_update_id, update_id + 1)

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (or the webhook); returns its update_id."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            uid = int(update["update_id"])
            self._next_update_id = max(self._next_update_id, uid + 1)
        else:
            uid = self._next_update_id
            self._next_update_id += 1
            update["update_id"] = uid
        if self.webhook_url and self._webhook_queue is not None:
            self._webhook_queue.put_nowait(update)
        else:
            self._pending.append(QueuedUpdate(update))
        self._updates_signal.notify()
        self.changed.notify()
        return uid

    def new_user_message(self, user_id: int, chat_id: int | None = None, **content: Any) -> dict[str, Any]:
        """Create and store a message written by a user; returns the Bot API ``Message`` object."""
        chat_id = user_id if chat_id is None else chat_id
        if chat_id not in self.chats:
            raise KeyError(f"unknown chat {chat_id}")
        msg: dict[str, Any] = {
            "message_id": self._new_mid(chat_id),
            "from": self.users[user_id],
            "chat": self.chats[chat_id],
            "date": int(time.time()),
        }
        msg.update(content)
        self._messages[(chat_id, msg["message_id"])] = msg
        return copy.deepcopy(msg)

    def new_callback_query(self, user_id: int, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        """Create a callback_query object for a press on ``message_id`` (stale ids give inaccessible ones)."""
        qid = f"{user_id}{next(self._query_counter):08d}"
        stored = self._messages.get((chat_id, message_id))
        message = (
            copy.deepcopy(stored)
            if stored is not None
            else {
                "chat": self.chats[chat_id],
                "message_id": message_id,
                "date": 0,
            }
        )
        query = {
            "id": qid,
            "from": self.users[user_id],
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919 + self.bot_id),
            "data": data,
        }
        self._callback_queries[qid] = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id}
        return query

    def new_inline_query(self, user_id: int, query: str, offset: str = "") -> dict[str, Any]:
        qid = f"{user_id}{next(self._query_counter):08d}"
        self._inline_queries[qid] = {"user_id": user_id, "query": query}
        return {"id": qid, "from": self.users[user_id], "query": query, "offset": offset}

    def callback_query_owner(self, query_id: str) -> int | None:
        info = self._callback_queries.get(query_id)
        return None if info is None else int(info["user_id"])

    def get_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Current state of a stored message (bot or user), as the Bot API object."""
        msg = self._messages.get((chat_id, message_id))
        return copy.deepcopy(msg) if msg is not None else None

    def messages_for(self, chat_id: int) -> list[SentMessage]:
        return list(self._by_chat.get(chat_id, []))

    def message_count(self, chat_id: int) -> int:
        return len(self._by_chat.get(chat_id, ()))

    def get_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        return list(self.commands.get((self._scope_key(scope), language_code or ""), []))

    def calls_of(self, method: str) -> list[ApiCall]:
        m = method.lower()
        return [c for c in self.calls if c.method.lower() == m]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait (event-driven) until ``predicate()`` is true; re-checked after every API call/update."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await self.changed.wait(remaining)
        return True

    def _new_mid(self, chat_id: int) -> int:
        mid = self._next_mid.get(chat_id, 1)
        self._next_mid[chat_id] = mid + 1
        return mid

    def _scope_key(self, scope: Any) -> str:
        if isinstance(scope, str):
            scope = json.loads(scope) if scope else None
        if not scope:
            scope = {"type": "default"}
        return json.dumps(scope, sort_keys=True)
