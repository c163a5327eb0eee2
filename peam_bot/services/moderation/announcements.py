"""The staff chat's messages about an initiative: its announcement when it is submitted, one more
message for each answer of its author, and every later edit of them. All go through the outbox, as
rows referenced ``announce:<code>``; the summary message carries the triage buttons.

Imported by ``services.initiatives`` (a submission queues the announcement): nothing here may import
it back (see the package docstring).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from peam_bot.i18n import gettext
from peam_bot.outbox import queue as outbox
from peam_bot.services.moderation.buttons import markup
from peam_bot.services.moderation.cards import (
    ANSWER_HEADING,
    STAFF_LOCALE,
    buttons_for,
    staff_card,
    triage_buttons,
)
from peam_bot.storage.models import Initiative, OutboxMessage


def _ref(ini: Initiative) -> str:
    return f"announce:{ini.code}"


async def announce_to_staff(session: AsyncSession, ini: Initiative, staff_chat_id: int) -> None:
    """Photos and location first, then the summary: the summary message is the one that carries
    the triage buttons, referenced as `announce:<code>` (the moderation keeps it up to date)."""
    card = await staff_card(session, ini, new=True)
    summary = outbox.text_payload(card, markup(triage_buttons(ini)))

    def write(sync: Session) -> None:  # submit has just written: the rows go in at once
        photos = [p.file_id for p in ini.photos]
        if len(photos) == 1:
            outbox.write_now(sync, staff_chat_id, "photo", {"photo": photos[0], "caption": ini.code})
        elif photos:
            media = [{"type": "photo", "media": f} for f in photos]
            media[0]["caption"] = ini.code
            outbox.write_now(sync, staff_chat_id, "media_group", {"media": media})
        if ini.latitude is not None and ini.longitude is not None:
            location = {"latitude": ini.latitude, "longitude": ini.longitude}
            outbox.write_now(sync, staff_chat_id, "location", location)
        outbox.write_now(sync, staff_chat_id, "text", summary, ref=_ref(ini))

    await session.run_sync(write)


async def post_answer(session: AsyncSession, ini: Initiative, staff_chat_id: int) -> None:
    """The author's answer, in a new staff message with the card and the buttons again."""
    outbox.enqueue_text(
        session,
        staff_chat_id,
        await staff_card(session, ini, heading=gettext(ANSWER_HEADING, STAFF_LOCALE)),
        reply_markup=markup(await buttons_for(session, ini)),
        ref=_ref(ini),
    )


async def refresh_announcement(
    session: AsyncSession, ini: Initiative, except_message: tuple[int, int] | None = None
) -> None:
    """Bring the staff chat's messages about the initiative (the announcement, and the message of
    each answer from the author) up to date through the outbox: edited in place once sent,
    rewritten while still queued. ``except_message`` is the one the caller edits itself."""
    rows = (
        await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.ref == _ref(ini), OutboxMessage.kind == "text")
            .order_by(OutboxMessage.id)
        )
    ).scalars()
    reply_markup = markup(await buttons_for(session, ini))
    cards: dict[bool, str] = {}
    for row in rows:
        answer = row.payload.get("text", "").startswith("💬")
        if answer not in cards:
            heading = gettext(ANSWER_HEADING, STAFF_LOCALE) if answer else None
            cards[answer] = await staff_card(session, ini, heading=heading)
        text = cards[answer]
        if row.status == "pending":
            row.payload = {"text": text, "reply_markup": reply_markup}
        elif row.telegram_message_id is not None and except_message != (row.chat_id, row.telegram_message_id):
            outbox.enqueue(
                session,
                row.chat_id,
                "edit",
                {"message_id": row.telegram_message_id, "text": text, "reply_markup": reply_markup},
            )
