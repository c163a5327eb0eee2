"""`peam-bot` command line: run, chat, db upgrade, portfolio import/export, events import/export, staff,
export audit, export attendance."""

from __future__ import annotations

import argparse
import asyncio
import locale as pylocale
import logging
import os
import sys

from peam_bot.config import Settings, SettingsError, load_settings

STAFF_ROLES = ("admin", "moderador", "organizador")  # = services.staff.ROLES, without importing the DB layer
EXPORT_FORMATS = (".csv", ".xlsx")
ATTENDANCE_FORMATS = (".csv", ".xlsx", ".pdf")

HELP: dict[str, dict[str, str]] = {
    "es": {
        "prog": "Asistente de Telegram del Plan Estratégico de Arequipa Metropolitana (PEAM).",
        "run": "aplica las migraciones y atiende Telegram (polling, o webhook si PEAM_WEBHOOK_URL está definido)",
        "chat": "conversación de prueba en la terminal, sin token ni internet (emulador + SQLite local)",
        "db": "base de datos",
        "upgrade": "aplica las migraciones pendientes",
        "chat_db": "archivo SQLite de la conversación de prueba (por defecto ./peam-chat.db)",
        "lang": "idioma del vecino simulado (es o en)",
        "chat_staff": "practicar la moderación: usted es administrador y los avisos al equipo llegan a su chat",
        "no_token": "PEAM_BOT_TOKEN: falta el token del bot (créelo con @BotFather). Para probar sin token: peam-bot chat",
        "webhook_secret": "PEAM_WEBHOOK_SECRET: es obligatorio cuando se usa PEAM_WEBHOOK_URL",
        "portfolio": "Cartera Abierta de Proyectos: importar o exportar una hoja de cálculo (CSV o XLSX)",
        "portfolio_import": "valida todo el archivo y, si no tiene errores, crea o actualiza los proyectos por su código",
        "portfolio_export": "escribe todos los proyectos en el archivo (.csv o .xlsx), en el mismo formato que la importación",
        "portfolio_file": "archivo .csv o .xlsx",
        "exported": "Se exportaron {n} proyectos a {path}.",
        "bad_format": "use un archivo .csv o .xlsx",
        "staff": "equipo de AQPlan: agregar, quitar o listar a quienes atienden el bot (admin, moderador, organizador)",
        "staff_add": "agrega a alguien al equipo con un rol, o cambia su rol si ya es parte",
        "staff_remove": "quita a alguien del equipo (no a los administradores de PEAM_ADMIN_IDS)",
        "staff_list": "muestra el equipo: id de Telegram, rol y nombre",
        "staff_id": "id numérico de Telegram de la persona (p. ej. 123456789)",
        "staff_role": "rol: admin, moderador u organizador (por defecto moderador)",
        "staff_name": "nombre que verán sus colegas (opcional; el bot lo actualiza cuando la persona escribe)",
        "bad_id": "«{value}» no es un id de Telegram (un número positivo, p. ej. 123456789)",
        "staff_added": "Se agregó {id} como {role}.",
        "staff_changed": "{id} ahora es {role} (antes {before}).",
        "staff_unchanged": "{id} ya era {role}; no hubo cambios.",
        "staff_still_admin": "Nota: {id} está en PEAM_ADMIN_IDS y sigue siendo admin mientras esté ahí.",
        "staff_removed": "Se quitó a {id} del equipo (era {role}).",
        "staff_not_member": "{id} no es parte del equipo.",
        "staff_bootstrap": "{id} está en PEAM_ADMIN_IDS: la línea de comandos no puede quitarlo; sáquelo de esa variable y reinicie el bot.",
        "staff_empty": "El equipo está vacío (y PEAM_ADMIN_IDS no tiene ids).",
        "col_role": "rol",
        "col_name": "nombre",
        "export": "exportar datos a una hoja de cálculo (CSV o XLSX)",
        "export_audit": "escribe todo el registro de auditoría (quién hizo qué, cuándo, antes → después) en el archivo",
        "exported_audit": "Se exportaron {n} registros de auditoría a {path}.",
        "events": "talleres, sesiones de mesa y demás eventos: importar o exportar una hoja de cálculo (CSV o XLSX)",
        "events_import": "valida todo el archivo y, si no tiene errores, crea o actualiza los eventos por su código "
        "(una fila sin código es un evento nuevo); no avisa a nadie",
        "events_export": "escribe todos los eventos en el archivo (.csv o .xlsx), en el mismo formato que la importación",
        "exported_events": "Se exportaron {n} eventos a {path}.",
        "export_attendance": "escribe la lista de asistentes de un evento (.csv, .xlsx o .pdf para imprimir y firmar)",
        "event_code": "código del evento (p. ej. EV-0001)",
        "attendance_file": "archivo .csv, .xlsx o .pdf",
        "bad_attendance_format": "use un archivo .csv, .xlsx o .pdf",
        "no_event": "no hay ningún evento con el código {code}",
        "exported_attendance": "Lista de asistentes de {code} en {path}: {listed} personas, {present} presentes.",
    },
    "en": {
        "prog": "Telegram assistant of the Strategic Plan of Metropolitan Arequipa (PEAM).",
        "run": "apply migrations and serve Telegram (polling, or a webhook when PEAM_WEBHOOK_URL is set)",
        "chat": "try the bot in the terminal, with no token and no internet (emulator + local SQLite)",
        "db": "database",
        "upgrade": "apply pending migrations",
        "chat_db": "SQLite file for the trial conversation (default ./peam-chat.db)",
        "lang": "language of the simulated resident (es or en)",
        "chat_staff": "practise moderation: you are an admin and the staff announcements come to your chat",
        "no_token": "PEAM_BOT_TOKEN: the bot token is missing (create it with @BotFather). To try without one: peam-bot chat",
        "webhook_secret": "PEAM_WEBHOOK_SECRET: required when PEAM_WEBHOOK_URL is set",
        "portfolio": "Open Project Portfolio: import or export a spreadsheet (CSV or XLSX)",
        "portfolio_import": "check the whole file and, if it has no errors, create or update the projects by code",
        "portfolio_export": "write every project to the file (.csv or .xlsx), in the same format the import reads",
        "portfolio_file": ".csv or .xlsx file",
        "exported": "Exported {n} projects to {path}.",
        "bad_format": "use a .csv or .xlsx file",
        "staff": "AQPlan staff: add, remove or list the people who run the bot (admin, moderador, organizador)",
        "staff_add": "add someone to the staff with a role, or change their role if they are already staff",
        "staff_remove": "remove someone from the staff (not the administrators in PEAM_ADMIN_IDS)",
        "staff_list": "show the staff: Telegram id, role and name",
        "staff_id": "the person's numeric Telegram id (e.g. 123456789)",
        "staff_role": "role: admin, moderador or organizador (default moderador)",
        "staff_name": "name their colleagues see (optional; the bot updates it when the person writes)",
        "bad_id": "'{value}' is not a Telegram id (a positive number, e.g. 123456789)",
        "staff_added": "Added {id} as {role}.",
        "staff_changed": "{id} is now {role} (was {before}).",
        "staff_unchanged": "{id} was already {role}; nothing changed.",
        "staff_still_admin": "Note: {id} is in PEAM_ADMIN_IDS and stays admin as long as it is there.",
        "staff_removed": "Removed {id} from the staff (was {role}).",
        "staff_not_member": "{id} is not on the staff.",
        "staff_bootstrap": "{id} is in PEAM_ADMIN_IDS: the command line cannot remove it; take it out of that variable and restart the bot.",
        "staff_empty": "The staff is empty (and PEAM_ADMIN_IDS has no ids).",
        "col_role": "role",
        "col_name": "name",
        "export": "export data to a spreadsheet (CSV or XLSX)",
        "export_audit": "write the whole audit trail (who did what, when, before → after) to the file",
        "exported_audit": "Exported {n} audit entries to {path}.",
        "events": "workshops, mesa sessions and other events: import or export a spreadsheet (CSV or XLSX)",
        "events_import": "check the whole file and, if it has no errors, create or update the events by code "
        "(a row without a code is a new event); nobody is notified",
        "events_export": "write every event to the file (.csv or .xlsx), in the same format the import reads",
        "exported_events": "Exported {n} events to {path}.",
        "export_attendance": "write an event's attendance list (.csv, .xlsx, or .pdf to print and sign)",
        "event_code": "the event's code (e.g. EV-0001)",
        "attendance_file": ".csv, .xlsx or .pdf file",
        "bad_attendance_format": "use a .csv, .xlsx or .pdf file",
        "no_event": "there is no event with the code {code}",
        "exported_attendance": "Attendance list of {code} in {path}: {listed} people, {present} present.",
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
    chat.add_argument("--staff", action="store_true", help=h["chat_staff"])
    db = sub.add_parser("db", help=h["db"], description=h["db"])
    dbsub = db.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help=h["upgrade"], description=h["upgrade"])
    portfolio = sub.add_parser("portfolio", help=h["portfolio"], description=h["portfolio"])
    psub = portfolio.add_subparsers(dest="portfolio_command", required=True)
    for name in ("import", "export"):
        cmd = psub.add_parser(name, help=h[f"portfolio_{name}"], description=h[f"portfolio_{name}"])
        cmd.add_argument("file", metavar="FILE", help=h["portfolio_file"])
    events = sub.add_parser("events", help=h["events"], description=h["events"])
    evsub = events.add_subparsers(dest="events_command", required=True)
    for name in ("import", "export"):
        cmd = evsub.add_parser(name, help=h[f"events_{name}"], description=h[f"events_{name}"])
        cmd.add_argument("file", metavar="FILE", help=h["portfolio_file"])

    def telegram_id(value: str) -> int:
        if not value.strip().isdecimal() or not 0 < int(value) < 2**63:  # a BIGINT, like the column
            raise argparse.ArgumentTypeError(h["bad_id"].format(value=value))
        return int(value)

    staff = sub.add_parser("staff", help=h["staff"], description=h["staff"])
    ssub = staff.add_subparsers(dest="staff_command", required=True)
    add = ssub.add_parser("add", help=h["staff_add"], description=h["staff_add"])
    add.add_argument("user_id", metavar="TELEGRAM_ID", type=telegram_id, help=h["staff_id"])
    add.add_argument("--role", default="moderador", choices=STAFF_ROLES, help=h["staff_role"])
    add.add_argument("--name", default="", help=h["staff_name"])
    remove = ssub.add_parser("remove", help=h["staff_remove"], description=h["staff_remove"])
    remove.add_argument("user_id", metavar="TELEGRAM_ID", type=telegram_id, help=h["staff_id"])
    ssub.add_parser("list", help=h["staff_list"], description=h["staff_list"])

    export = sub.add_parser("export", help=h["export"], description=h["export"])
    esub = export.add_subparsers(dest="export_command", required=True)
    audit = esub.add_parser("audit", help=h["export_audit"], description=h["export_audit"])
    audit.add_argument("file", metavar="FILE", help=h["portfolio_file"])
    attendance = esub.add_parser("attendance", help=h["export_attendance"], description=h["export_attendance"])
    attendance.add_argument("code", metavar="EVENT", help=h["event_code"])
    attendance.add_argument("file", metavar="FILE", help=h["attendance_file"])
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiogram logs update ids and user ids at INFO; keep its chatter out of operator logs
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)


def fail(message: str, code: int = 2) -> int:
    print(f"peam-bot: {message}", file=sys.stderr)
    return code


async def _db_upgrade(settings: Settings) -> None:
    from peam_bot.storage.db import make_engine, upgrade

    engine = make_engine(settings.database_url, fast_paths=settings.fast_paths)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _portfolio(settings: Settings, command: str, file: str, lang: str) -> int:
    """Import (exit 1 if the file has errors: nothing is imported) or export the project portfolio."""
    from pathlib import Path

    from peam_bot.services import portfolio_sheet
    from peam_bot.storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(settings.database_url, fast_paths=settings.fast_paths)
    try:
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            if command == "import":
                report = await portfolio_sheet.import_file(session, Path(file), actor_id=None)
                if report.ok:
                    await session.commit()
                print(report.summary(lang))
                return 0 if report.ok else 1
            n = await portfolio_sheet.export_file(session, Path(file))
            print(HELP[lang]["exported"].format(n=n, path=file))
            return 0
    finally:
        await engine.dispose()


async def _events(settings: Settings, command: str, file: str, lang: str) -> int:
    """Import (exit 1 if the file has errors: nothing is imported; nobody is notified) or export events."""
    from pathlib import Path

    from peam_bot.services import event_sheet
    from peam_bot.storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(settings.database_url, fast_paths=settings.fast_paths)
    try:
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            if command == "import":
                report = await event_sheet.import_file(session, Path(file), actor_id=None)
                if report.ok:
                    await session.commit()
                print(report.summary(lang))
                return 0 if report.ok else 1
            n = await event_sheet.export_file(session, Path(file))
            print(HELP[lang]["exported_events"].format(n=n, path=file))
            return 0
    finally:
        await engine.dispose()


async def _export_attendance(settings: Settings, code: str, file: str, lang: str) -> int:
    from pathlib import Path

    from peam_bot.services import attendance_list, events
    from peam_bot.storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(settings.database_url, fast_paths=settings.fast_paths)
    try:
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            event = await events.by_code(session, code)
            if event is None:
                return fail(HELP[lang]["no_event"].format(code=code.strip().upper()), 1)
            listing = await attendance_list.build(session, event)
            path = Path(file)
            path.write_bytes(attendance_list.render(listing, path.suffix.lower().lstrip(".")))
        totals = listing.totals
        print(
            HELP[lang]["exported_attendance"].format(
                code=event.code, path=file, listed=len(listing.rows), present=totals.present
            )
        )
        return 0
    finally:
        await engine.dispose()


async def _staff(settings: Settings, args: argparse.Namespace, lang: str) -> int:
    """Add (or change the role of), remove or list staff members; every change is audited (actor: none)."""
    from peam_bot.services import staff
    from peam_bot.storage.db import make_engine, make_session_factory, upgrade
    from peam_bot.storage.models import StaffMember

    h = HELP[lang]
    engine = make_engine(settings.database_url, fast_paths=settings.fast_paths)
    try:
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            if args.staff_command == "list":
                members = await staff.members(session, settings.admin_ids)
                if not members:
                    print(h["staff_empty"])
                    return 0
                rows = [("id", h["col_role"], h["col_name"])]
                for m in members:
                    if m.user_id in settings.admin_ids:  # admin whatever its row says (staff.role_of)
                        rows.append((str(m.user_id), "admin", f"{m.name} (PEAM_ADMIN_IDS)".strip()))
                    else:
                        rows.append((str(m.user_id), m.role, m.name))
                w_id = max(len(r[0]) for r in rows)
                w_role = max(len(r[1]) for r in rows)
                for uid, role, name in rows:
                    print(f"{uid:>{w_id}}  {role:<{w_role}}  {name}".rstrip())
                return 0
            uid: int = args.user_id
            if args.staff_command == "add":
                current = await session.get(StaffMember, uid)
                before = current.role if current and current.role in staff.ROLES else None
                await staff.add(session, uid, args.role, added_by=None, name=args.name)
                await session.commit()
                if before is None:
                    print(h["staff_added"].format(id=uid, role=args.role))
                elif before == args.role:
                    print(h["staff_unchanged"].format(id=uid, role=args.role))
                else:
                    print(h["staff_changed"].format(id=uid, role=args.role, before=before))
                if uid in settings.admin_ids and args.role != "admin":
                    print(h["staff_still_admin"].format(id=uid))
                return 0
            # remove
            if uid in settings.admin_ids:
                return fail(h["staff_bootstrap"].format(id=uid), 1)
            current = await session.get(StaffMember, uid)
            role = current.role if current else None
            if not await staff.remove(session, uid, removed_by=None):
                return fail(h["staff_not_member"].format(id=uid), 1)
            await session.commit()
            print(h["staff_removed"].format(id=uid, role=role))
            return 0
    finally:
        await engine.dispose()


async def _export_audit(settings: Settings, file: str, lang: str) -> int:
    from pathlib import Path

    from peam_bot.services import audit
    from peam_bot.storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(settings.database_url, fast_paths=settings.fast_paths)
    try:
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            n = await audit.export_file(session, Path(file))
        print(HELP[lang]["exported_audit"].format(n=n, path=file))
        return 0
    finally:
        await engine.dispose()


async def _run(settings: Settings) -> None:
    from peam_bot.telegram.app import App

    app = await App.create(settings)
    if settings.webhook_url:
        from peam_bot.telegram.webhook import serve_webhook

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

            asyncio.run(run_chat(args.db, args.lang, args.staff))
        elif args.command == "portfolio":
            if args.portfolio_command == "export" and not args.file.lower().endswith(EXPORT_FORMATS):
                return fail(HELP[lang]["bad_format"])
            return asyncio.run(_portfolio(settings, args.portfolio_command, args.file, lang))
        elif args.command == "events":
            if args.events_command == "export" and not args.file.lower().endswith(EXPORT_FORMATS):
                return fail(HELP[lang]["bad_format"])
            return asyncio.run(_events(settings, args.events_command, args.file, lang))
        elif args.command == "staff":
            return asyncio.run(_staff(settings, args, lang))
        elif args.command == "export" and args.export_command == "attendance":
            if not args.file.lower().endswith(ATTENDANCE_FORMATS):
                return fail(HELP[lang]["bad_attendance_format"])
            return asyncio.run(_export_attendance(settings, args.code, args.file, lang))
        elif args.command == "export":
            if not args.file.lower().endswith(EXPORT_FORMATS):
                return fail(HELP[lang]["bad_format"])
            return asyncio.run(_export_audit(settings, args.file, lang))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        return fail(f"{type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
