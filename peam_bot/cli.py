"""`peam-bot` command line: run, chat, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import locale as pylocale
import logging
import os
import sys

from peam_bot.config import Settings, SettingsError, load_settings

HELP = {
    "es": {
        "prog": "Asistente de Telegram del Plan Estratégico de Arequipa Metropolitana (PEAM).",
        "run": "aplica las migraciones y atiende Telegram (polling, o webhook si PEAM_WEBHOOK_URL está definido)",
        "chat": "conversación de prueba en la terminal, sin token ni internet (emulador + SQLite local)",
        "db": "base de datos",
        "upgrade": "aplica las migraciones pendientes",
        "chat_db": "archivo SQLite de la conversación de prueba (por defecto ./peam-chat.db)",
        "lang": "idioma del vecino simulado (es o en)",
        "no_token": "PEAM_BOT_TOKEN: falta el token del bot (créelo con @BotFather). Para probar sin token: peam-bot chat",
        "webhook_secret": "PEAM_WEBHOOK_SECRET: es obligatorio cuando se usa PEAM_WEBHOOK_URL",
    },
    "en": {
        "prog": "Telegram assistant of the Strategic Plan of Metropolitan Arequipa (PEAM).",
        "run": "apply migrations and serve Telegram (polling, or a webhook when PEAM_WEBHOOK_URL is set)",
        "chat": "try the bot in the terminal, with no token and no internet (emulator + local SQLite)",
        "db": "database",
        "upgrade": "apply pending migrations",
        "chat_db": "SQLite file for the trial conversation (default ./peam-chat.db)",
        "lang": "language of the simulated resident (es or en)",
        "no_token": "PEAM_BOT_TOKEN: the bot token is missing (create it with @BotFather). To try without one: peam-bot chat",
        "webhook_secret": "PEAM_WEBHOOK_SECRET: required when PEAM_WEBHOOK_URL is set",
    },
}


def cli_language() -> str:
    for var in ("PEAM_CLI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "en" if value.lower().startswith("en") else "es"
    lang = (pylocale.getlocale()[0] or "es").lower()
    return "en" if lang.startswith("en") else "es"


def build_parser(lang: str) -> argparse.ArgumentParser:
    h = HELP[lang]
    parser = argparse.ArgumentParser(prog="peam-bot", description=h["prog"])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help=h["run"], description=h["run"])
    chat = sub.add_parser("chat", help=h["chat"], description=h["chat"])
    chat.add_argument("--db", default="./peam-chat.db", help=h["chat_db"])
    chat.add_argument("--lang", default="es", choices=["es", "en"], help=h["lang"])
    db = sub.add_parser("db", help=h["db"], description=h["db"])
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help=h["upgrade"], description=h["upgrade"])
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiogram logs update ids and user ids at INFO; keep its chatter out of operator logs
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)


def fail(message: str) -> int:
    print(f"peam-bot: {message}", file=sys.stderr)
    return 2


async def _db_upgrade(settings: Settings) -> None:
    from peam_bot.storage.db import make_engine, upgrade

    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _run(settings: Settings) -> None:
    from peam_bot.app import App

    app = await App.create(settings)
    if settings.webhook_url:
        from peam_bot.webhook import serve_webhook

        await serve_webhook(app)
    else:
        await app.run_polling()


def main(argv: list[str] | None = None) -> int:
    lang = cli_language()
    args = build_parser(lang).parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return fail(str(exc))
    setup_logging(settings.log_level)
    try:
        if args.command == "db":
            asyncio.run(_db_upgrade(settings))
        elif args.command == "run":
            if not settings.bot_token:
                return fail(HELP[lang]["no_token"])
            if settings.webhook_url and not settings.webhook_secret:
                return fail(HELP[lang]["webhook_secret"])
            asyncio.run(_run(settings))
        elif args.command == "chat":
            logging.getLogger().setLevel(logging.WARNING)  # the terminal is the resident's chat
            from peam_bot.chat import run_chat

            asyncio.run(run_chat(args.db, args.lang))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        return fail(f"{type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
