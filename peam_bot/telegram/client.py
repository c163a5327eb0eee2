"""Bot API client set-up shared by the app and the outbox worker."""

from __future__ import annotations

import asyncio
import inspect
import logging
from functools import cache
from typing import Any, TypeVar, cast

import aiogram
import orjson
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup, Message
from aiohttp.http import SERVER_SOFTWARE

from peam_bot.config import TELEGRAM_API_URL, Settings
from peam_bot.storage import transactions
from peam_bot.telegram import transport

log = logging.getLogger("peam_bot.telegram")


def not_modified(exc: TelegramBadRequest) -> bool:
    """Telegram refuses an edit that would leave the message as it is (a double tap, a second look)."""
    return "message is not modified" in exc.message


async def edit_text(message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit a message's text; an edit that changes nothing is not an error."""
    try:
        await message.edit_text(text, reply_markup=reply_markup, disable_web_page_preview=True)
    except TelegramBadRequest as exc:
        if not not_modified(exc):
            raise


class RetryAfterMiddleware(BaseRequestMiddleware):
    """A reply that hits flood control waits the `retry_after` Telegram asks for and is sent again
    (a few times, for short waits), instead of being lost in the middle of a conversation."""

    def __init__(self, attempts: int = 3, max_wait: float = 10.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(self.attempts):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts - 1 or exc.retry_after > self.max_wait:
                    raise
                log.warning("flood control on %s: waiting %ss", type(method).__name__, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")


_RESPONSE_TYPES: list[type] = []
USED_METHODS = (
    "GetUpdates", "GetMe", "DeleteWebhook", "SetWebhook", "SetMyCommands", "SendMessage", "SendPhoto",
    "SendMediaGroup", "SendLocation", "SendDocument", "EditMessageText", "EditMessageReplyMarkup",
    "EditMessageCaption", "DeleteMessage", "AnswerCallbackQuery", "AnswerInlineQuery", "GetFile",
)  # fmt: skip


def warm_response_types() -> None:
    """aiogram parses every answer into `Response[<result type>]`; pydantic caches those generic
    classes only weakly, so they were garbage-collected and rebuilt (1–5 ms each) again and again
    under load. Build them once and keep them."""
    if _RESPONSE_TYPES:
        return
    from aiogram import methods
    from aiogram.methods.base import Response

    for name in USED_METHODS:
        returning = getattr(methods, name).__dict__["__returning__"]
        _RESPONSE_TYPES.append(Response[returning])  # type: ignore[valid-type]


# What the bot reads of its own messages — one it has just sent or edited, one whose button was
# pressed — is their id, chat and text (no handler reads their keyboard, entities or sender: the
# bot itself); the rest is dropped before parsing.
_UNREAD_OF_OWN_MESSAGES = ("reply_markup", "entities", "caption_entities", "from", "link_preview_options")


def _drop_unread(message: Any) -> None:
    if isinstance(message, dict):
        for key in _UNREAD_OF_OWN_MESSAGES:
            message.pop(key, None)


def lean_json_loads(content: str | bytes) -> Any:
    """Bot API answers, without what the bot never reads back of its own messages: the keyboard,
    the text's entities and the sender (the bot), in the result of each send or edit and in the
    message a pressed button belongs to (whose text stays). aiogram's models cost about 7 µs per
    button or entity to build (a Message with a 12-button keyboard: 114 µs parsed, 34 µs without; an
    update with a pressed review screen: 105 µs, 53 µs without its entities and sender); parsing
    answers was the largest single cost of an update."""
    data = orjson.loads(content)
    if not isinstance(data, dict) or not data.get("ok"):
        return data
    result = data.get("result")
    if isinstance(result, dict):
        _drop_unread(result)
    elif isinstance(result, list):
        for item in result:
            if not isinstance(item, dict):
                continue
            if "update_id" in item:
                query = item.get("callback_query")
                if isinstance(query, dict):
                    _drop_unread(query.get("message"))
            else:
                _drop_unread(item)
    return data


M = TypeVar("M")

# Keyboards that many messages share (built once per language: handlers/ui.py), each with its JSON
# form once it was first sent. Keyed by the object's id; the object is kept with it, so the id
# cannot be reused while the entry lives.
_shared_markups: dict[int, tuple[Any, Any]] = {}


def share_markup(markup: M) -> M:
    """`markup` is never changed (aiogram's keyboards are immutable) and is sent often: convert it to
    JSON once (a keyboard's dump was about two thirds of building a call's body)."""
    _shared_markups[id(markup)] = (markup, None)
    return markup


def forget_shared_markups() -> None:
    _shared_markups.clear()


_USER_AGENT = f"{SERVER_SOFTWARE} aiogram/{aiogram.__version__}"  # what aiogram's own session sends


class JsonSession(AiohttpSession):
    """aiogram's aiohttp session, sending each call as one JSON body (which the Bot API accepts)
    instead of an url-encoded form whose nested values are each encoded as JSON first: that form
    building (with a multipart boundary drawn from uuid4 for every call) was about a sixth of the
    bot's cost per call. The exchange itself goes through :mod:`peam_bot.telegram.transport` (a kept-alive
    connection and httptools' parser: 0.31 → 0.15 ms of CPU per call, `python -m bench.costs`);
    calls that upload a file still go as multipart forms through aiohttp.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._http = transport.HttpClient()
        self._targets: dict[tuple[str, str], transport.Target] = {}

    def build_json(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        files: dict[str, Any] = {}
        body: dict[str, Any] = {}
        markup = getattr(method, "reply_markup", None)
        # an entry keeps its keyboard alive, so a hit by id is that very keyboard
        shared = _shared_markups.get(id(markup)) if markup is not None else None
        # Unset (None) fields are left out by pydantic rather than walked and dropped by
        # prepare_value: a keyboard's buttons carry a dozen unset fields each.
        exclude = {"reply_markup"} if shared is not None else None
        for key, value in method.model_dump(warnings=False, exclude_none=True, exclude=exclude).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                body[key] = prepared
        if shared is not None:
            prepared = shared[1]
            if prepared is None:
                dumped = markup.model_dump(warnings=False, exclude_none=True)  # type: ignore[union-attr]
                prepared = self.prepare_value(dumped, bot=bot, files=files, _dumps_json=False)
                _shared_markups[id(markup)] = (markup, prepared)
            body["reply_markup"] = prepared
        if files:
            return None
        return orjson.dumps(body)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        payload = self.build_json(bot, method)
        if payload is None:
            return await super().make_request(bot, method, timeout)
        key = (bot.token, method.__api_method__)
        target = self._targets.get(key)
        if target is None:
            url = self.api.api_url(token=bot.token, method=method.__api_method__)
            target = self._targets[key] = transport.prepare(url, _USER_AGENT)
        try:
            status, raw_result = await self._http.post(
                target, payload, self.timeout if timeout is None else timeout
            )
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except transport.TransportError as e:
            raise TelegramNetworkError(method=method, message=str(e)) from e
        response = self.check_response(bot=bot, method=method, status_code=status, content=raw_result)
        return cast(TelegramType, response.result)

    async def close(self) -> None:
        self._http.close()
        await super().close()


class ProxySession(AiohttpSession):
    """aiogram's own session through `PEAM_TELEGRAM_PROXY`; a proxy that cannot be reached, or that
    fails, is a network error like any other (the outbox retries those), not an unknown exception."""

    def __init__(self, proxy: str, **kwargs: Any) -> None:
        super().__init__(proxy=proxy, **kwargs)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        from aiohttp_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

        try:
            return await super().make_request(bot, method, timeout)
        except (ProxyConnectionError, ProxyError, ProxyTimeoutError) as e:
            raise TelegramNetworkError(method=method, message=f"proxy: {type(e).__name__}") from e


class CommitBeforeCall(BaseRequestMiddleware):
    """Before each Bot API call made while an update is handled, what the update has done so far is
    committed: no transaction is held across a call to Telegram (:mod:`peam_bot.storage.transactions`)."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        await transactions.commit_before_call()
        return await make_request(bot, method)


def _json_session_unfit() -> str | None:
    """Why the aiogram installed does not fit `JsonSession` (None: it fits)."""
    version = aiogram.__version__
    if not version.startswith("3."):
        return f"aiogram {version} is not aiogram 3"
    prepare = inspect.signature(AiohttpSession.prepare_value).parameters
    if "_dumps_json" not in prepare or "files" not in prepare:
        return f"aiogram {version}'s AiohttpSession.prepare_value takes other arguments"
    if not hasattr(AiohttpSession, "check_response"):
        return f"aiogram {version}'s session lacks check_response"
    if "json_loads" not in inspect.signature(BaseSession.__init__).parameters:
        return f"aiogram {version}'s session takes no json_loads"
    return None


@cache
def fast_session_fits() -> bool:
    """aiogram's session internals that `JsonSession` builds on are as expected; otherwise one
    WARNING names the version, and the bot uses aiogram's own session."""
    reason = _json_session_unfit()
    if reason is not None:
        log.warning("fast Bot API client off: %s; using aiogram's own session (slower)", reason)
    return reason is None


def create_bot(settings: Settings, retry_replies: bool = True) -> Bot:
    """A Bot for `settings`; `retry_replies=False` for the outbox worker, which paces itself.

    With `PEAM_FAST_PATHS` on (the default) and no proxy, calls go through `JsonSession` (JSON bodies
    on `transport`'s kept-alive connections, answers parsed without what the bot never reads);
    otherwise through aiogram's own `AiohttpSession`, with `PEAM_TELEGRAM_PROXY` if set."""
    if not settings.bot_token:
        raise ValueError("PEAM_BOT_TOKEN")
    kwargs: dict[str, Any] = {}
    if settings.telegram_api_url.rstrip("/") != TELEGRAM_API_URL:
        kwargs["api"] = TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/"))
    session: AiohttpSession
    if settings.telegram_proxy:
        session = ProxySession(settings.telegram_proxy, **kwargs)
    elif settings.fast_paths and fast_session_fits():
        warm_response_types()
        session = JsonSession(json_loads=lean_json_loads, **kwargs)
    else:
        session = AiohttpSession(**kwargs)
    session.middleware(CommitBeforeCall())
    if retry_replies:
        session.middleware(RetryAfterMiddleware())
    return Bot(settings.bot_token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
