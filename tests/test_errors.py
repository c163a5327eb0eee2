"""The safety net under the handlers: when handling an update fails, the resident is answered in
their language, nothing of theirs reaches the log, what was stored stays, and the bot carries on."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.telegram.app import App
from tests.conftest import onboard

SORRY_ES = "Algo falló de nuestro lado; lo que escribió está guardado. Intente otra vez."


async def _rename(app: App, old: str, new: str) -> None:
    """A real failure under a handler: the table it reads is not there."""
    async with app.engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def test_a_failing_handler_gets_an_apology_and_the_bot_goes_on(
    app: App, tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    rosa = User(tg, 730_001, first_name="Rosalinda", language_code="es")
    await onboard(rosa)
    await rosa.send("/proponer")
    await rosa.replies(1)
    await rosa.send("Vereda rota en la calle Mercaderes")  # step 1 of the form, stored
    await rosa.replies(1)
    caplog.set_level(logging.INFO)
    await _rename(app, "initiatives", "initiatives_away")
    try:
        await rosa.send("/mis_iniciativas")
        (sorry,) = await rosa.replies(1)
        assert sorry.plain == SORRY_ES
    finally:
        await _rename(app, "initiatives_away", "initiatives")
    failure = [r.getMessage() for r in caplog.records if r.name == "peam_bot.errors"]
    assert len(failure) == 1 and "failed:" in failure[0] and " at peam_bot." in failure[0]
    assert "730001" not in caplog.text and "Rosalinda" not in caplog.text and "Mercaderes" not in caplog.text

    # the bot carries on, and the form's step stored before the failure is still there
    await rosa.send("Hace meses que la vereda está rota y la gente se cae al pasar.")
    (step,) = await rosa.replies(1)
    assert "Paso 3 de 7" in step.plain


async def test_a_failing_button_is_answered_in_the_residents_language(app: App, tg: FakeTelegram) -> None:
    john = User(tg, 730_002, first_name="John", language_code="en")
    await john.send("/start")
    await john.replies(2)
    await john.press("I agree")
    await john.replies(2)
    await john.press("Cayma")
    await john.replies(2)
    await john.send("/proyectos")
    await john.replies(1)
    before = len(john.callback_answers)
    await _rename(app, "users", "users_away")
    try:
        await john.press(john.last().buttons()[0][0][0])
        # an alert on the button, or (when the press had been answered already) a message
        assert await tg.wait_until(
            lambda: any("went wrong on our side" in (a["text"] or "") for a in john.callback_answers[before:])
            or "went wrong on our side" in john.last().plain,
            timeout=5,
        )
    finally:
        await _rename(app, "users_away", "users")
