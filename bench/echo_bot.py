"""The baseline: a bare aiogram bot that answers every message and button press with one message.

PEAM_BOT_TOKEN=... PEAM_TELEGRAM_API_URL=http://127.0.0.1:PORT python -m bench.echo_bot

With ECHO_SESSION=peam it talks to the Bot API through the bot's own client
(`peam_bot.telegram.client.JsonSession`: peam_bot/telegram/transport.py, JSON bodies, lean answers) instead of
aiogram's default aiohttp session: for context only, the ratio's baseline is aiogram's default.
"""

from __future__ import annotations

import asyncio
import html
import os

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message

from peam_bot.telegram.app import ALLOWED_UPDATES


def echo_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(html.escape(message.text or "ok"))

    @dp.callback_query()
    async def echo_button(query: CallbackQuery) -> None:
        if query.message is not None:
            await query.bot.send_message(query.message.chat.id, "ok")  # type: ignore[union-attr]

    return dp


SESSIONS = ("aiohttp", "peam")


def make_bot(token: str, api_url: str, session: str = "aiohttp") -> Bot:
    api = TelegramAPIServer.from_base(api_url)
    if session == "peam":
        from peam_bot.telegram.client import JsonSession, lean_json_loads

        client: AiohttpSession = JsonSession(json_loads=lean_json_loads, api=api)
    else:
        client = AiohttpSession(api=api)
    return Bot(token, session=client, default=DefaultBotProperties(parse_mode="HTML"))


async def main() -> None:
    bot = make_bot(
        os.environ["PEAM_BOT_TOKEN"],
        os.environ["PEAM_TELEGRAM_API_URL"],
        os.environ.get("ECHO_SESSION", "aiohttp"),
    )
    await echo_dispatcher().start_polling(bot, allowed_updates=ALLOWED_UPDATES)


if __name__ == "__main__":
    asyncio.run(main())
