"""Every proactive message is a row in the outbox; a worker delivers it later (see peam_bot.outbox.worker)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from peam_bot.storage import hot
from peam_bot.storage.models import OutboxMessage

# edit: editMessageText; venue: sendVenue (a place with its address on a map)
KINDS = frozenset({"text", "photo", "media_group", "location", "venue", "edit"})
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
