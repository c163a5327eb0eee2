"""The baseline: a bare aiogram bot that answers every message and button press with one message.

PEAM_BOT_TOKEN=... PEAM_TELEGRAM_API_URL=http://127.0.0.1:PORT python -m bench.echo_bot
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

from peam_bot.app import ALLOWED_UPDATES


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


def make_bot(token: str, api_url: str) -> Bot:
    return Bot(
        token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )


async def main() -> None:
    bot = make_bot(os.environ["PEAM_BOT_TOKEN"], os.environ["PEAM_TELEGRAM_API_URL"])
    await echo_dispatcher().start_polling(bot, allowed_updates=ALLOWED_UPDATES)


if __name__ == "__main__":
    asyncio.run(main())
