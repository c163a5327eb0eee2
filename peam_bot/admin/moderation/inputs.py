"""What a moderator types after a triage button (a question, a reason, a block reason, the code of
the original): asked with a ForceReply, so it reaches the bot in a group with privacy mode on."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import register_states, staff_routes
from peam_bot.admin.moderation.card import markup_of
from peam_bot.admin.moderation.keyboards import TriageAction, back_row, button
from peam_bot.i18n import gettext as _
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.moderation import announcements, cards, conduct, decisions, workflow
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Initiative

routes = staff_routes("staff-moderation-input")
TRIAGE = {"permission": "triage"}


class ModInput(StatesGroup):
    question = State()
    reason = State()
    block_reason = State()
    dup_code = State()
    template = State()


register_states(ModInput)


# --- typed answers (ForceReply) -------------------------------------------------------------------


async def _input_initiative(message: Message, state: FSMContext, session: AsyncSession) -> Initiative | None:
    ini = await workflow.get(session, int((await state.get_data()).get("ini", 0)))
    if ini is None:
        await state.clear()
        await message.answer(_("Ese elemento ya no existe."))
    return ini


def length_error(exc: InvalidInput, what: str, lo: int, hi: int, given: str) -> str:
    """Why a typed question / reason was not taken, with the numbers."""
    if exc.reason == "too_long":
        return _("{what}: tiene {n} caracteres y el máximo es {max}. Acórtelo y envíelo de nuevo.").format(
            what=what, n=len(given.strip()), max=hi
        )
    if exc.reason == "no_letters":
        return _("{what}: escriba palabras, no solo signos o emojis.").format(what=what)
    return _("{what}: necesita al menos {min} caracteres. Escríbalo de nuevo.").format(what=what, min=lo)


async def _after_input(message: Message, session: AsyncSession, ini: Initiative, note: str) -> None:
    await announcements.refresh_announcement(session, ini)
    await session.commit()
    await message.answer(
        note + "\n\n" + await cards.staff_card(session, ini), reply_markup=await markup_of(session, ini)
    )


@routes.message(Command("cancelar", "cancel"), StateFilter(ModInput), flags=TRIAGE)
async def cancel_input(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Listo, cancelado: no se envió nada."))


@routes.message(ModInput.question, F.text, ~F.text.startswith("/"), flags=TRIAGE)
async def got_question(
    message: Message, state: FSMContext, session: AsyncSession, role: str | None = None
) -> None:
    ini = await _input_initiative(message, state, session)
    if ini is None:
        return
    try:
        await decisions.request_info(session, ini, message.from_user.id, role, message.text or "")  # type: ignore[union-attr]
    except InvalidInput as exc:
        await message.answer(
            length_error(
                exc, _("La pregunta"), decisions.QUESTION_MIN, decisions.QUESTION_MAX, message.text or ""
            )
        )
        return
    except Refused as exc:
        await state.clear()
        await message.answer(exc.message("es"))
        return
    await state.clear()
    await _after_input(
        message, session, ini, _("Pregunta enviada a la persona autora de {code}.").format(code=ini.code)
    )


@routes.message(ModInput.reason, F.text, ~F.text.startswith("/"), flags=TRIAGE)
async def got_reason(message: Message, state: FSMContext, session: AsyncSession) -> None:
    ini = await _input_initiative(message, state, session)
    if ini is None:
        return
    try:
        reason = decisions.validate_reason(message.text or "")
    except InvalidInput as exc:
        await message.answer(
            length_error(exc, _("El motivo"), decisions.REASON_MIN, decisions.REASON_MAX, message.text or "")
        )
        return
    await state.update_data(reason=reason)
    rows = [
        [button(_("📨 Enviar este motivo"), TriageAction.SEND_REASON, ini.id, "c")],
        [button(_("✏️ Escribirlo otra vez"), TriageAction.WRITE_REASON, ini.id)],
        back_row(ini.id),
    ]
    await message.answer(
        _("<b>Motivo que recibirá la persona autora ({code}):</b>\n<i>{body}</i>").format(
            code=ini.code, body=esc(reason)
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


@routes.message(ModInput.block_reason, F.text, ~F.text.startswith("/"), flags=TRIAGE)
async def got_block_reason(message: Message, state: FSMContext, session: AsyncSession) -> None:
    ini = await _input_initiative(message, state, session)
    if ini is None:
        return
    try:
        blocked = await conduct.block(session, ini.author_id, message.from_user.id, message.text or "")  # type: ignore[union-attr]
    except InvalidInput as exc:
        await message.answer(
            length_error(exc, _("El motivo"), decisions.REASON_MIN, decisions.REASON_MAX, message.text or "")
        )
        return
    except Refused:
        await state.clear()
        await message.answer(_("No puede bloquearse a sí mismo."))
        return
    await state.clear()
    note = (
        _("La persona autora de {code} ya no puede enviar iniciativas; se le avisó una vez.")
        if blocked
        else _("La persona autora de {code} ya estaba bloqueada.")
    ).format(code=ini.code)
    await _after_input(message, session, ini, note)


@routes.message(ModInput.dup_code, F.text, ~F.text.startswith("/"), flags=TRIAGE)
async def got_dup_code(
    message: Message, state: FSMContext, session: AsyncSession, role: str | None = None
) -> None:
    ini = await _input_initiative(message, state, session)
    if ini is None:
        return
    original = await workflow.by_code(session, message.text or "")
    if original is None:
        await message.answer(_("No encontré esa iniciativa. Escriba un código como INI-2026-00012."))
        return
    if not decisions.can_be_original(ini, original):  # itself, hidden, declined or a duplicate
        await message.answer(
            _(
                "{code} no puede ser la original (es la misma, está oculta, no fue admitida o ya es "
                "duplicada). Escriba otro código o salga con /cancelar."
            ).format(code=original.code)
        )
        return
    await state.clear()
    # a typed code is easy to get wrong: show the original and let the moderator confirm (or go back)
    await message.answer(
        _("¿Marcar {code} como duplicada de esta?\n<b>{original}</b> · {title}").format(
            code=esc(ini.code), original=esc(original.code), title=esc(truncate(original.title, 100))
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    button(
                        _("♊ Sí, duplicada de {code}").format(code=original.code),
                        TriageAction.DUPLICATE_OF,
                        ini.id,
                        str(original.id),
                    )
                ],
                back_row(ini.id),
            ]
        ),
    )


@routes.message(
    StateFilter(ModInput.question, ModInput.reason, ModInput.block_reason, ModInput.dup_code),
    ~F.text.startswith("/"),
    flags=TRIAGE,
)
async def input_not_text(message: Message) -> None:
    await message.answer(
        _("Escriba el texto en un mensaje, respondiendo a mi pregunta, o salga con /cancelar.")
    )
