"""What is not an answer to the /proponer step: commands and menu buttons typed in the middle of the
form, Cancelar and its confirmation, a message the step does not expect, a button no longer active.
The draft is kept and the step's question asked again (unless the resident confirms Cancelar).

The commands answered in the middle of the form (/ayuda, /cancelar, /idioma, /mis_iniciativas,
/estado) are in common.py, whose router is tried first."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.handlers.propose_flow import ask, load, settle_press
from peam_bot.handlers.propose_ui import cancel_keyboard
from peam_bot.handlers.ui import MENU_LABELS, FormCb, Propose, main_menu, menu_labels
from peam_bot.i18n import gettext as _
from peam_bot.services.initiatives import MAX_PHOTOS
from peam_bot.telegram.routing import Routes

before_steps = Routes("propose-commands")  # tried before the steps, which would take them as answers
after_steps = Routes("propose-leftovers")  # tried after every step's handlers


@before_steps.message(StateFilter(Propose), F.text.startswith("/"))
@before_steps.message(StateFilter(Propose), F.text.in_(set().union(*(menu_labels(m) for m in MENU_LABELS))))
async def command_in_form(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    draft, _data = await load(state)
    if draft.title is None:  # nothing written yet: nothing to reassure about
        note = _("Está preparando una iniciativa. Para salir, escriba /cancelar.")
    else:
        note = _(
            "Está preparando una iniciativa; lo que ya escribió está guardado. Para salir, escriba /cancelar."
        )
    await ask(message, state, session, locale, note)


# --- Cancelar --------------------------------------------------------------------------------------


@after_steps.callback_query(FormCb.filter(F.action == "cancel"), StateFilter(Propose))
async def cancel_button(query: CallbackQuery) -> None:
    """A tap on Cancelar can be a slip of the finger: ask before throwing the draft away."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _("¿Seguro que quiere cancelar? Se borrará lo que escribió para esta iniciativa."),
            reply_markup=cancel_keyboard(),
        )


@after_steps.callback_query(FormCb.filter(F.action == "cancel_yes"), StateFilter(Propose))
async def cancel_confirmed(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    if (message := await settle_press(query)) is not None:
        await message.answer(
            _("Listo, cancelé la iniciativa. No se guardó nada de lo que había escrito."),
            reply_markup=main_menu(),
        )


@after_steps.callback_query(FormCb.filter(F.action == "cancel_no"), StateFilter(Propose))
async def cancel_declined(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    if (message := await settle_press(query)) is not None:
        await ask(message, state, session, locale, _("Bien, seguimos."))


# --- anything else while the form is open: say what is expected, keep everything -----------------


@after_steps.message(StateFilter(Propose))
async def unexpected_message(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    current = await state.get_state()
    if current in (Propose.title.state, Propose.description.state, Propose.org_name.state) and message.photo:
        note = _("Recibí una foto; las fotos van en el paso 5. Ahora necesito un mensaje de texto.")
    elif current in (Propose.title.state, Propose.description.state, Propose.org_name.state):
        note = _("No pude leer eso. Necesito un mensaje de texto.")
    elif current == Propose.photos.state:
        note = _("Ahora espero una foto.")
    elif current == Propose.location.state and message.photo:
        note = _("Ya tiene sus fotos (máximo {max}).").format(max=MAX_PHOTOS)
    elif current == Propose.location.state:
        note = _(
            "Aquí espero una ubicación compartida desde 📎, no escrita. Si no puede, pulse Omitir; "
            "en la revisión podrá añadir el lugar a la descripción (✏️ Descripción)."
        )
    elif current == Propose.district.state:
        note = _("Elija el distrito con los botones o escriba su nombre.")
    elif current == Propose.theme.state:
        note = _("Elija el tema con los botones o escriba su nombre.")
    else:
        note = _("Para este paso use los botones.")
    await ask(message, state, session, locale, note)


@after_steps.callback_query(StateFilter(Propose))
async def stale_button(query: CallbackQuery, state: FSMContext, session: AsyncSession, locale: str) -> None:
    await query.answer(_("Ese botón ya no está activo. Siga con el paso actual."))
    if isinstance(query.message, Message):
        await ask(query.message, state, session, locale)
