"""Every proactive message is a row in the outbox; a worker delivers it later (see peam_bot.outbox.worker)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from peam_bot.storage import hot
from peam_bot.storage.models import OutboxMessage, utcnow

# edit: editMessageText; caption: editMessageCaption (a live count on a photo, e.g. a check-in screen);
# venue: sendVenue (a place with its address on a map)
KINDS = frozenset({"text", "photo", "media_group", "location", "venue", "edit", "caption"})
EXPIRES = "expires_at"  # optional payload key (ISO 8601): a row still unsent by then is dropped


def enqueue(
    session: AsyncSession, chat_id: int, kind: str, payload: dict[str, Any], ref: str | None = None
) -> OutboxMessage:
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind}")
    row = OutboxMessage(chat_id=chat_id, kind=kind, payload=payload, ref=ref)
    session.add(row)
    session.info["outbox_dirty"] = True
    return row


def write_now(
    sync: Session, chat_id: int, kind: str, payload: dict[str, Any], ref: str | None = None
) -> OutboxMessage:
    """`enqueue`, with the row written at once rather than at the commit: for a caller that has
    just written (so holds the database's write lock) and commits next, such as a submission."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind}")
    row = hot.add_new(sync, OutboxMessage, chat_id=chat_id, kind=kind, payload=payload, ref=ref)
    sync.info["outbox_dirty"] = True
    return row


def enqueue_text(
    session: AsyncSession,
    chat_id: int,
    text: str,
    reply_markup: dict[str, Any] | None = None,
    ref: str | None = None,
) -> OutboxMessage:
    return enqueue(session, chat_id, "text", text_payload(text, reply_markup), ref)


def text_payload(text: str, reply_markup: dict[str, Any] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": text}
    if reply_markup:
        payload["reply_markup"] = reply_markup
    return payload



async def replace_or_enqueue(
    session: AsyncSession, chat_id: int, kind: str, payload: dict[str, Any], ref: str, delay_s: float = 2.0
) -> None:
    """An edit of one message that changes often (a live count): a pending row with the same `ref`
    gets the newer content, otherwise a new row is queued `delay_s` from now, so a burst of changes
    makes one edit every few seconds rather than one per change (Telegram limits edits too)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ref == ref, OutboxMessage.status == "pending")
        .values(payload=payload)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        row = enqueue(session, chat_id, kind, payload, ref)
        row.next_attempt_at = utcnow() + timedelta(seconds=delay_s)
