"""A resident's form survives kill -9; repeated updates are ignored; throttling; language; settings."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.storage.models import Initiative
from peam_bot.telegram.app import App
from tests.conftest import FAST_PATHS, PG_URL, REDIS_URL, STAFF_CHAT, TOKEN, StartApp, onboard


def spawn_bot(tg: FakeTelegram, db_url: str, tmp_path: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEAM_")}
    env.update(
        PEAM_BOT_TOKEN=TOKEN,
        PEAM_TELEGRAM_API_URL=tg.base_url,
        PEAM_DATABASE_URL=db_url,
        PEAM_STAFF_CHAT_ID=str(STAFF_CHAT),
        PEAM_THROTTLE_LIMIT="0",
        PEAM_FAST_PATHS="1" if FAST_PATHS else "0",
        **extra,
    )
    log = open(tmp_path / "bot.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "peam_bot.cli", "run"], env=env, stdout=log, stderr=log, cwd=tmp_path
    )


async def wait_polling(tg: FakeTelegram, since: int) -> None:
    assert await tg.wait_until(lambda: len(tg.calls_of("getUpdates")) > since, timeout=30)


@pytest.mark.parametrize("fsm", ["database", "redis"])
async def test_half_filled_form_survives_kill_9(
    fsm: str, tg: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    extra = {}
    if fsm == "redis":
        if not REDIS_URL:
            pytest.skip("Redis not configured (PEAM_TEST_REDIS_URL)")
        extra["PEAM_REDIS_URL"] = REDIS_URL
        import redis.asyncio as aioredis

        client = aioredis.from_url(REDIS_URL)
        await client.flushdb()
        await client.aclose()
    proc = spawn_bot(tg, db_url, tmp_path, **extra)
    try:
        await wait_polling(tg, 0)
        u = User(tg, 900_001)
        await onboard(u)
        await u.send("/proponer")
        await u.replies(1, timeout=10)
        await u.send("Arborización de la Av. Dolores")
        await u.replies(1, timeout=10)
        await u.send("Plantar molles y queñuas en la berma central de la avenida, con riego tecnificado.")
        (q,) = await u.replies(1, timeout=10)
        assert "Paso 3 de 7" in q.plain
        await asyncio.sleep(0.3)  # the reply goes out just before the commit
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

        polls = len(tg.calls_of("getUpdates"))
        proc = spawn_bot(tg, db_url, tmp_path, **extra)
        await wait_polling(tg, polls)
        await u.press("(el suyo)")
        (q,) = await u.replies(1, timeout=10)
        assert "Paso 4 de 7" in q.plain
        await u.press("Medio ambiente")
        await u.replies(1, timeout=10)
        await u.press("Omitir")
        await u.replies(1, timeout=10)
        await u.press("Omitir")
        await u.replies(1, timeout=10)
        await u.press("título personal")
        (review,) = await u.replies(1, timeout=10)
        assert "Arborización de la Av. Dolores" in review.plain and "molles" in review.plain
        await u.press("Enviar")
        _edit, done = await u.replies(2, timeout=10)
        assert "INI-" in done.plain
    finally:
        proc.kill()
        proc.wait(timeout=10)


async def test_repeated_update_is_handled_once(app: App, resident: User, tg: FakeTelegram) -> None:
    await onboard(resident)
    update = {
        "update_id": 424242,
        "message": tg.new_user_message(
            resident.user_id,
            text="/mis_iniciativas",
            entities=[{"type": "bot_command", "offset": 0, "length": 16}],
        ),
    }
    tg.push_update(update)
    await resident.replies(1)
    assert await app.wait_handled(424242)
    tg.push_update(update)  # Telegram re-delivers it (e.g. after a timeout)
    await asyncio.sleep(0.5)
    assert await resident.settle(quiet=0.2) == []


async def test_language_switch_is_remembered(app: App, tg: FakeTelegram) -> None:
    u = User(tg, 900_002, language_code="en-US")
    await u.send("/start")
    welcome, notice = await u.replies(2)
    assert "Strategic Plan" in welcome.plain and "I agree" in notice.buttons()[0][0][0]
    await u.send("/idioma")
    await u.replies(1)
    await u.press("Español")
    done, welcome, notice = await u.replies(3)  # the notice again, in the language just chosen
    assert "le escribiré en español" in done.plain and "Bienvenido" in welcome.plain
    assert notice.buttons()[0][0][0] == "✅ Acepto"
    await u.send("/start")  # remembered before consent (conversation data)
    welcome, notice = await u.replies(2)
    assert "Bienvenido" in welcome.plain
    await u.press("Acepto")
    await u.replies(2)
    await u.press("Cayma")
    await u.replies(2)
    await u.send("/idioma")
    await u.replies(1)
    await u.press("English")
    done, menu = await u.replies(2)
    assert "English" in done.plain and menu.plain == "What would you like to do?"
    await u.send("/proponer")
    (step,) = await u.replies(1)
    assert step.plain.startswith("Let's prepare") and "1 of 7" in step.plain and "title" in step.plain
    # English commands menu was set at start-up
    assert tg.get_commands({"type": "all_private_chats"}, "en")


async def test_throttling_slows_down_one_resident_only(start_app: StartApp, tg: FakeTelegram) -> None:
    app = await start_app(throttle_limit=5, throttle_window=3)
    fast, calm = User(tg, 900_003), User(tg, 900_004)
    for _ in range(8):
        await fast.send("hola")
    msgs = await fast.settle(quiet=0.5)
    slow_down = [m for m in msgs if "Va muy rápido" in (m.plain or "")]
    assert len(slow_down) == 1
    assert len(msgs) == 2 + 4 + 1  # five handled (welcome + notice, then 4 reminders), one warning
    await calm.send("/start")
    await calm.replies(2)
    assert app


async def test_staff_chat_messages_are_not_answered(app: App, tg: FakeTelegram) -> None:
    staff = User(tg, 900_005)
    uid = await staff.send("hola equipo", chat_id=STAFF_CHAT)
    assert await app.wait_handled(uid)
    assert tg.messages_for(STAFF_CHAT) == []


def test_malformed_setting_stops_with_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEAM_")}
    env["PEAM_STAFF_CHAT_ID"] = "grupo"
    out = subprocess.run(
        [sys.executable, "-m", "peam_bot.cli", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert out.stderr.startswith("peam-bot: PEAM_STAFF_CHAT_ID")
    env.pop("PEAM_STAFF_CHAT_ID")
    out = subprocess.run(
        [sys.executable, "-m", "peam_bot.cli", "run"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 2 and "PEAM_BOT_TOKEN" in out.stderr and "Traceback" not in out.stderr


def test_help_in_spanish_and_english() -> None:
    for lang, word in (("es_PE.UTF-8", "migraciones"), ("en_US.UTF-8", "migrations")):
        env = {**os.environ, "LANG": lang, "LC_ALL": "", "LC_MESSAGES": ""}
        out = subprocess.run(
            [sys.executable, "-m", "peam_bot.cli", "--help"], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0 and word in out.stdout


async def test_db_upgrade_command_creates_schema(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEAM_")}
    url = PG_URL or f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    env["PEAM_DATABASE_URL"] = url
    out = subprocess.run(
        [sys.executable, "-m", "peam_bot.cli", "db", "upgrade"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    from peam_bot.storage.db import make_engine

    engine = make_engine(url, fast_paths=FAST_PATHS)
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(Initiative))).scalar_one() == 0
    await engine.dispose()


async def test_command_menu_failure_does_not_stop_the_bot(
    start_app: StartApp, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    tg.inject_fault("setMyCommands", "5xx", count=5)
    await start_app()
    assert "setMyCommands failed" in caplog.text
    u = User(tg, 900_006)
    await u.send("/start")
    welcome, _notice = await u.replies(2)
    assert "Bienvenido" in welcome.plain
