"""`peam-bot` command line: run, chat, db upgrade, portfolio import/export."""

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
        "portfolio": "Cartera Abierta de Proyectos: importar o exportar una hoja de cálculo (CSV o XLSX)",
        "portfolio_import": "valida todo el archivo y, si no tiene errores, crea o actualiza los proyectos por su código",
        "portfolio_export": "escribe todos los proyectos en el archivo (.csv o .xlsx), en el mismo formato que la importación",
        "portfolio_file": "archivo .csv o .xlsx",
        "exported": "Se exportaron {n} proyectos a {path}.",
        "bad_format": "use un archivo .csv o .xlsx",
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
        "portfolio": "Open Project Portfolio: import or export a spreadsheet (CSV or XLSX)",
        "portfolio_import": "check the whole file and, if it has no errors, create or update the projects by code",
        "portfolio_export": "write every project to the file (.csv or .xlsx), in the same format the import reads",
        "portfolio_file": ".csv or .xlsx file",
        "exported": "Exported {n} projects to {path}.",
        "bad_format": "use a .csv or .xlsx file",
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
    portfolio = sub.add_parser("portfolio", help=h["portfolio"], description=h["portfolio"])
    psub = portfolio.add_subparsers(dest="portfolio_command", required=True)
    for name in ("import", "export"):
        cmd = psub.add_parser(name, help=h[f"portfolio_{name}"], description=h[f"portfolio_{name}"])
        cmd.add_argument("file", metavar="FILE", help=h["portfolio_file"])
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


async def _portfolio(settings: Settings, command: str, file: str, lang: str) -> int:
    """Import (exit 1 if the file has errors: nothing is imported) or export the project portfolio."""
    from pathlib import Path

    from peam_bot.services import spreadsheet
    from peam_bot.storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            if command == "import":
                report = await spreadsheet.import_file(session, Path(file), actor_id=None)
                if report.ok:
                    await session.commit()
                print(report.summary(lang))
                return 0 if report.ok else 1
            n = await spreadsheet.export_file(session, Path(file))
            print(HELP[lang]["exported"].format(n=n, path=file))
            return 0
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
        elif args.command == "portfolio":
            if args.portfolio_command == "export" and not args.file.lower().endswith((".csv", ".xlsx")):
                return fail(HELP[lang]["bad_format"])
            return asyncio.run(_portfolio(settings, args.portfolio_command, args.file, lang))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        return fail(f"{type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
