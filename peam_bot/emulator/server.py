"""A fake Telegram Bot API server (aiohttp) that unmodified aiogram bots can talk to.

Usage::

    tg = FakeTelegram()
    base_url = await tg.start()
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    bot = Bot(tg.token, session=session)

The class is assembled here from its parts: the state and the test helpers (``state.py``), the HTTP
layer (``http.py``), the checks the methods share (``checks.py``), storing and recording the bot's
messages (``bot_messages.py``) and the Bot API methods by group (``methods/``).
"""

from __future__ import annotations

from .errors import ApiError
from .http import HttpLayer
from .methods.bot import BotMethods
from .methods.editing import EditingMethods
from .methods.interaction import InteractionMethods
from .methods.media import MediaMethods
from .methods.messages import MessageMethods
from .methods.updates import UpdateMethods
from .models import ApiCall, SentMessage, StoredFile
from .state import FaultKind, Limits, Signal

__all__ = [
    "ApiCall",
    "ApiError",
    "FakeTelegram",
    "FaultKind",
    "Limits",
    "SentMessage",
    "Signal",
    "StoredFile",
]


class FakeTelegram(
    UpdateMethods, MessageMethods, MediaMethods, EditingMethods, InteractionMethods, BotMethods, HttpLayer
):
    """In-process fake of the Telegram Bot API speaking real HTTP.

    ``observers`` is a list of synchronous callables ``(method: str) -> None``: each is called with
    the Bot API method name as the bot sent it (e.g. ``"sendMessage"``) when a call arrives (an HTTP
    request, or a call carried by a webhook reply), after it is appended to ``calls`` and before
    injected faults or the method itself are applied; so an observer sees every call, even one that
    then fails. Requests rejected before that (wrong token, unreadable body) are not observed. An
    observer may add or remove observers; it must not raise: its exception does not become a Bot API
    answer (a request fails with HTTP 500; a webhook reply's call ends the webhook deliveries).
    """
