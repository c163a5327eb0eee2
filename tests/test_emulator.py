"""Tests of the fake Telegram server, scripted users and terminal chat, with a real aiogram bot."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
    Message,
)
from aiohttp import web

from peam_bot.emulator import FakeTelegram, Limits, User, chat_loop, parse_html, utf16_len
from peam_bot.emulator.formatting import EntityParseError

pytestmark = pytest.mark.timeout(30)


def make_bot(tg: FakeTelegram) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
    return Bot(tg.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


def build_router() -> Router:
    router = Router()

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        kb = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="Acepto", callback_data="consent:yes"),
                    InlineKeyboardButton(text="No acepto", callback_data="consent:no"),
                ],
                [InlineKeyboardButton(text="Sitio web", url="https://example.org")],
            ]
        )
        await message.answer("<b>¿Acepta</b> los términos?", reply_markup=kb)

    @router.callback_query(F.data.startswith("consent:"))
    async def consent(query: CallbackQuery) -> None:
        assert query.data is not None and isinstance(query.message, Message)
        yes = query.data == "consent:yes"
        await query.answer("Gracias" if yes else "Entendido")
        await query.message.edit_text("Aceptado ✅" if yes else "No aceptado")

    @router.inline_query()
    async def inline(query: InlineQuery) -> None:
        await query.answer(
            [
                InlineQueryResultArticle(
                    id="1", title=query.query, input_message_content=InputTextMessageContent(message_text="x")
                )
            ]
        )

    @router.message(F.photo)
    async def photo(message: Message) -> None:
        assert message.photo
        await message.answer_photo(message.photo[-1].file_id, caption="Recibí su <i>foto</i>")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        assert message.text is not None
        await message.answer(message.text, parse_mode=None)

    return router


@dataclass
class Env:
    tg: FakeTelegram
    bot: Bot
    dp: Dispatcher


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    tg = FakeTelegram()
    await tg.start()
    bot = make_bot(tg)
    dp = Dispatcher()
    dp.include_router(build_router())
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))
    assert await tg.wait_until(lambda: bool(tg.calls_of("getUpdates")), 5)
    try:
        yield Env(tg, bot, dp)
    finally:
        await dp.stop_polling()
        await task
        await tg.stop()


@pytest.fixture
async def tg_bot() -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    """Server + bot without polling (direct API calls)."""
    tg = FakeTelegram()
    await tg.start()
    bot = make_bot(tg)
    try:
        yield tg, bot
    finally:
        await bot.session.close()
        await tg.stop()


# ---------------------------------------------------------------- conversation


async def test_echo_round_trip(env: Env) -> None:
    ana = User(env.tg, 1001)
    await ana.send("hola <mundo> & más")
    reply = await ana.reply()
    assert reply.method == "sendMessage"
    assert reply.text == "hola <mundo> & más" and reply.plain == reply.text
    assert reply.chat_id == 1001 and ana.last() is reply


async def test_press_button_callback_answered_and_edited(env: Env) -> None:
    ana = User(env.tg, 1002)
    await ana.send("/menu")
    menu = await ana.reply()
    assert menu.plain == "¿Acepta los términos?"
    assert menu.entities == [{"type": "bold", "offset": 0, "length": 7}]
    assert menu.buttons() == [
        [("Acepto", "consent:yes"), ("No acepto", "consent:no")],
        [("Sitio web", "https://example.org")],
    ]
    await ana.press("acepto")  # exact match wins over "No acepto"
    edited = await ana.reply()
    assert edited.edited and edited.method == "editMessageText"
    assert edited.message_id == menu.message_id and edited.plain == "Aceptado ✅"
    assert edited.reply_markup is None
    assert [a["text"] for a in ana.callback_answers] == ["Gracias"]
    with pytest.raises(AssertionError, match="available"):
        await ana.press("inexistente")


async def test_repeated_update_id_is_delivered_twice(env: Env) -> None:
    ana = User(env.tg, 1003)
    msg = env.tg.new_user_message(ana.user_id, text="otra vez")
    update = {"update_id": 777, "message": msg}
    assert env.tg.push_update(update) == 777
    await ana.reply()
    assert env.tg.push_update(update) == 777
    replies = [await ana.reply()]
    assert replies[0].plain == "otra vez"
    assert len(ana.history) == 2
    assert env.tg.push_update({"message": env.tg.new_user_message(ana.user_id, text="x")}) == 778


async def test_photo_from_user_file_id_and_download(env: Env) -> None:
    ana = User(env.tg, 1004)
    await ana.send_photo(caption="mi foto")
    user_file_id = ana.sent_messages[-1]["photo"][-1]["file_id"]
    reply = await ana.reply()
    assert reply.method == "sendPhoto" and reply.photo == user_file_id
    assert reply.plain == "Recibí su foto" and reply.caption == "Recibí su <i>foto</i>"
    data = await env.bot.download(user_file_id)
    assert data is not None and data.read() == env.tg.files[user_file_id].data


async def test_inline_query(env: Env) -> None:
    ana = User(env.tg, 1005)
    results = await ana.inline_query("parque")
    assert results[0]["title"] == "parque"


# ---------------------------------------------------------------- limits and errors


async def test_text_limits_and_html(tg_bot: tuple[FakeTelegram, Bot]) -> None:
    tg, bot = tg_bot
    User(tg, 2001)
    tg.limits.enforce_rates = False
    await bot.send_message(2001, "a" * 4096)
    await bot.send_message(2001, "<b>" + "&lt;" * 4096 + "</b>")  # measured after entity parsing
    await bot.send_message(2001, "😀" * 2048)  # 4096 UTF-16 units
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(2001, "😀" * 2048 + "a")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(2001, "a" * 4097)
    for bad in ("a < b", "<foo>x</foo>", "<b>x", "<b>x</i>", "x</b>", '<span class="x">y</span>'):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(2001, bad)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(2001, "<b> </b>")
    # plain text: no parsing at all
    await bot.send_message(2001, "a < b <foo>", parse_mode=None)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(2001, BufferedInputFile(b"jpg", "a.jpg"), caption="c" * 1025)
    assert tg.calls[-1].status == 400


def test_html_parser_details() -> None:
    parsed = parse_html(
        '😀 <b>negrita <i>y cursiva</i></b> <a href="https://x.org/?a=1&amp;b=2">enlace</a> '
        '<pre><code class="language-python">x = 1</code></pre> &#65;&#x42; &nbsp; '
        "<blockquote expandable>cita</blockquote> <tg-spoiler>s</tg-spoiler>"
    )
    assert parsed.text.startswith("😀 negrita y cursiva enlace x = 1 AB &nbsp; cita s")
    types = {e["type"]: e for e in parsed.entities}
    assert types["bold"] == {"type": "bold", "offset": 3, "length": 17}
    assert types["italic"]["offset"] == 11
    assert types["text_link"]["url"] == "https://x.org/?a=1&b=2"
    assert types["pre"]["language"] == "python" and "code" not in types
    assert "expandable_blockquote" in types and "spoiler" in types
    assert utf16_len("😀a") == 3
    with pytest.raises(EntityParseError, match='Unsupported start tag "br"'):
        parse_html("a<br>b")
    with pytest.raises(EntityParseError, match="Can't find end tag"):
        parse_html("<b>x")


async def test_keyboard_and_callback_answer_limits(tg_bot: tuple[FakeTelegram, Bot]) -> None:
    tg, bot = tg_bot
    ana = User(tg, 2002)
    tg.limits.enforce_rates = False

    def kb(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="b", callback_data=data)]])

    msg = await bot.send_message(2002, "ok", reply_markup=kb("x" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(2002, "ok", reply_markup=kb("x" * 65))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(2002, "ok", reply_markup=kb("ñ" * 33))  # 66 bytes
    query = tg.new_callback_query(ana.user_id, 2002, msg.message_id, "x")
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query["id"], text="a" * 201)
    assert await bot.answer_callback_query(query["id"], text="a" * 200)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("ok", chat_id=2002, message_id=msg.message_id, reply_markup=kb("x" * 64))
    await bot.edit_message_reply_markup(chat_id=2002, message_id=msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("nuevo", chat_id=2002, message_id=999)
    assert await bot.delete_message(2002, msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(2002, msg.message_id)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999999, "nadie")


async def test_blocked_user(tg_bot: tuple[FakeTelegram, Bot]) -> None:
    tg, bot = tg_bot
    User(tg, 2003)
    tg.block(2003)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(2003, "hola")
    tg.unblock(2003)
    await bot.send_message(2003, "hola")


async def test_rate_limits(tg_bot: tuple[FakeTelegram, Bot]) -> None:
    tg, bot = tg_bot
    users = [User(tg, 3000 + i) for i in range(6)]
    # per private chat
    tg.limits.per_chat_burst = 1
    await bot.send_message(3000, "1")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(3000, "2")
    assert exc.value.retry_after >= 1
    assert tg.calls[-1].status == 429
    # global cap
    tg.limits = Limits(global_burst=3, global_per_s=0.5, per_chat_burst=10)
    tg.reset_rates()
    for u in users[1:4]:
        await bot.send_message(u.chat_id, "x")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(users[4].chat_id, "x")
    assert exc.value.retry_after >= 2
    # paid broadcast uses its own (much higher) global cap
    for u in users:
        await bot.send_message(u.chat_id, "paid", allow_paid_broadcast=True)
    # groups: 20 per minute
    tg.limits = Limits()
    tg.add_group(-100123, "Vecinos")
    for i in range(20):
        await bot.send_message(-100123, f"g{i}")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(-100123, "g20")
    assert exc.value.retry_after >= 1
    tg.limits.enforce_rates = False
    await bot.send_message(-100123, "sin límites")


async def test_injected_faults(tg_bot: tuple[FakeTelegram, Bot]) -> None:
    tg, bot = tg_bot
    User(tg, 2004)
    tg.inject_fault("sendMessage", "5xx")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(2004, "x")
    tg.inject_fault(None, "429", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.get_me()
    assert exc.value.retry_after == 7
    tg.inject_fault("sendMessage", "timeout")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(2004, "x", request_timeout=1)
    await bot.send_message(2004, "ya funciona")
    assert [c.status for c in tg.calls_of("sendMessage")][:1] == [502]
    assert tg.messages_for(2004)[-1].plain == "ya funciona"


async def test_observers_see_each_call_before_it_is_handled(tg_bot: tuple[FakeTelegram, Bot]) -> None:
    tg, bot = tg_bot
    User(tg, 2005)
    seen: list[tuple[str, int]] = []  # (method, messages already in the chat)

    def observe(method: str) -> None:
        seen.append((method, tg.message_count(2005)))

    tg.observers.append(observe)
    await bot.get_me()
    await bot.send_message(2005, "hola")
    tg.inject_fault("sendMessage", "5xx")
    with pytest.raises(TelegramServerError):
        await bot.send_message(2005, "otra")
    tg.observers.remove(observe)
    await bot.send_message(2005, "sin observar")
    assert seen == [("getMe", 0), ("sendMessage", 0), ("sendMessage", 1)]
    assert tg.message_count(2005) == 2


async def test_unknown_method_and_token(tg_bot: tuple[FakeTelegram, Bot]) -> None:
    tg, _ = tg_bot
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{tg.base_url}/bot{tg.token}/fooBar", json={}) as r:
            assert r.status == 404
            assert await r.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with s.post(f"{tg.base_url}/bot1:WRONG/getMe") as r:
            assert r.status == 401
        async with s.post(f"{tg.base_url}/bot{tg.token}/getMe", json={}) as r:
            assert (await r.json())["result"]["username"] == "peam_test_bot"


async def test_commands_menu_button_media_group(tg_bot: tuple[FakeTelegram, Bot]) -> None:
    tg, bot = tg_bot
    ana = User(tg, 2005)
    await bot.set_my_commands([BotCommand(command="start", description="Inicio")], language_code="es")
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    assert (await bot.get_my_commands(language_code="es"))[0].description == "Inicio"
    assert (await bot.get_my_commands())[0].description == "Start"
    assert tg.get_commands(language_code="es") == [{"command": "start", "description": "Inicio"}]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Mal Comando", description="x")])
    await bot.delete_my_commands(language_code="es")
    assert await bot.get_my_commands(language_code="es") == []
    await bot.set_chat_menu_button()
    await ana.send_photo()
    file_id = ana.sent_messages[-1]["photo"][-1]["file_id"]
    msgs = await bot.send_media_group(
        2005,
        [
            InputMediaPhoto(media=file_id, caption="<b>Plaza</b>"),
            InputMediaPhoto(media=BufferedInputFile(b"\xff\xd8fake\xff\xd9", "b.jpg")),
        ],
    )
    assert len(msgs) == 2 and msgs[0].media_group_id == msgs[1].media_group_id
    album = ana.last()
    assert album.method == "sendMediaGroup" and album.media is not None and len(album.media) == 2
    assert album.media[0]["media"] == file_id and album.plain == "Plaza"
    assert tg.files[album.media[1]["media"]].data == b"\xff\xd8fake\xff\xd9"
    with pytest.raises(TelegramBadRequest):
        await bot.send_media_group(2005, [InputMediaPhoto(media=file_id)])
    doc = await bot.send_document(2005, BufferedInputFile(b"a,b\n1,2\n", "datos.csv"))
    assert doc.document is not None and doc.document.file_name == "datos.csv"
    assert ana.last().document is not None and ana.last().document["data"] == b"a,b\n1,2\n"  # type: ignore[index]
    loc = await bot.send_location(2005, -16.4, -71.5)
    assert loc.location is not None and ana.last().location == (-16.4, -71.5)
    chat = await bot.get_chat(2005)
    assert chat.type == "private"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(2005, "nonexistent-file-id")


async def test_webhook_delivery_with_secret() -> None:
    tg = FakeTelegram()
    await tg.start()
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.json_response({"method": "sendMessage", "chat_id": 4001, "text": "respuesta webhook"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    bot = make_bot(tg)
    try:
        ana = User(tg, 4001)
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        uid = await ana.send("hola webhook")
        reply = await ana.reply()
        assert reply.plain == "respuesta webhook"
        assert received[0][0] == "s3cr3t" and received[0][1]["update_id"] == uid
        assert tg.webhook_deliveries == [(uid, 200)]
        await bot.delete_webhook()
        await ana.send("por polling")
        updates = await bot.get_updates(timeout=1)
        assert updates[0].message is not None and updates[0].message.text == "por polling"
    finally:
        await bot.session.close()
        await tg.stop()
        await runner.cleanup()


# ---------------------------------------------------------------- terminal


async def test_terminal_chat_loop_with_pipe(env: Env) -> None:
    ana = User(env.tg, 5001)
    script = io.StringIO("hola\n/menu\n1\n/foto\n/ubicacion -16.4 -71.5\n")
    out = io.StringIO()
    await asyncio.wait_for(chat_loop(env.tg, ana, stdin_reader=script, out=out, quiet=0.15), 10)
    text = out.getvalue()
    assert text.startswith("Escriba un mensaje, un número para pulsar un botón")
    assert "bot: hola" in text
    assert "bot: *¿Acepta* los términos?" in text
    assert "  [1] Acepto  [2] No acepto" in text
    assert "bot (editado): Aceptado ✅" in text
    assert "[aviso] Gracias" in text
    assert "bot: [foto] Recibí su foto" in text
    # the echo handler ignores locations: nothing is printed for it
    assert text.count("bot") >= 5


async def test_terminal_numbers_press_the_newest_message_even_after_an_older_one_is_edited(env: Env) -> None:
    """In `chat --staff` the bot edits an older notice (with its own buttons) after showing a new
    question: the numbers must still press the question's buttons, as a person would."""
    from peam_bot.emulator.terminal import _Screen

    ana = User(env.tg, 5002)
    await ana.send("hola")
    await ana.replies(1)

    def kb(*labels: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=t) for t in labels]]
        )

    notice = await env.bot.send_message(ana.chat_id, "Aviso", reply_markup=kb("Aceptar", "Rechazar"))
    await env.bot.send_message(ana.chat_id, "¿Por qué?", reply_markup=kb("Falta detalle", "Fuera del ámbito"))
    await env.bot.edit_message_text(
        "Aviso (actualizado)", chat_id=ana.chat_id, message_id=notice.message_id, reply_markup=kb("Aceptar")
    )
    found = _Screen(env.tg, ana, io.StringIO()).latest_keyboard()
    assert found is not None
    _msg, buttons, inline = found
    assert inline and [b["text"] for b in buttons] == ["Falta detalle", "Fuera del ámbito"]


async def test_aiogram_webhook_handler_reply_in_response() -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    tg = FakeTelegram()
    await tg.start()
    bot = make_bot(tg)
    dp = Dispatcher()

    @dp.message()
    async def answer(message: Message) -> object:
        return message.answer(f"eco: {message.text}")  # answered inside the webhook response

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="tok", handle_in_background=False).register(app, path="/wh")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/wh", secret_token="tok")
        ana = User(tg, 4002)
        await ana.send("hola")
        assert (await ana.reply()).plain == "eco: hola"
    finally:
        await bot.session.close()
        await tg.stop()
        await runner.cleanup()
