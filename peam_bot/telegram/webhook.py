"""Webhook mode: an aiohttp server that Telegram calls; the secret header is checked by aiogram."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from peam_bot.telegram.app import ALLOWED_UPDATES, App
from peam_bot.telegram.commands import set_commands, set_staff_commands


async def serve_webhook(app: App) -> None:
    settings = app.settings
    assert settings.webhook_url
    path = urlparse(settings.webhook_url).path or "/"
    web_app = web.Application()
    SimpleRequestHandler(dispatcher=app.dp, bot=app.bot, secret_token=settings.webhook_secret).register(
        web_app, path=path
    )
    setup_application(web_app, app.dp, bot=app.bot)
    app.freeze_startup_objects()
    await set_commands(app.bot)
    await set_staff_commands(app.bot, app.session_factory, app.settings)
    await app.bot.set_webhook(
        settings.webhook_url, secret_token=settings.webhook_secret, allowed_updates=ALLOWED_UPDATES
    )
    await app.start_background()
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await app.close()
