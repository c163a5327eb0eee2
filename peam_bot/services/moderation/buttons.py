"""Buttons that services queue with a message (through the outbox), as plain data.

The decision: a service never writes callback data — its format belongs to the ``CallbackData``
classes of the Telegram side — and never imports aiogram. It says what each button does (an
:class:`Action`, by name), on which initiative, and what it reads (already translated);
:func:`markup` turns the rows into the Bot API JSON that the outbox row stores, through the one
renderer the Telegram side registers with :func:`set_renderer`:
``peam_bot.admin.moderation.keyboards`` does so when it is imported, which every bot does (through
``peam_bot.admin``). The rows keep the real markup, as they always did: the worker sends what it
finds, rows queued before a restart or by an earlier version still go out, and the staff card a
handler shows in a chat gets its buttons from the same function.

Rejected: an outbox payload naming a keyboard builder for the worker to resolve — the rows would
change form, and the worker would depend on the admin package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """What a button queued by a service does."""

    ACCEPT = "accept"  # the staff card's buttons (Aceptar / Vincular, Pedir información, …)
    REQUEST_INFO = "request_info"
    REJECT = "reject"
    DUPLICATE = "duplicate"
    ASSIGN = "assign"
    HIDE = "hide"
    UNHIDE = "unhide"
    BLOCK = "block"
    UNBLOCK = "unblock"
    ANSWER = "answer"  # the author's Responder, under a moderator's question


@dataclass(frozen=True)
class Button:
    label: str
    action: Action
    initiative_id: int


Rows = Sequence[Sequence[Button]]
Renderer = Callable[[Rows], dict[str, Any]]

_renderer: Renderer | None = None


def set_renderer(renderer: Renderer) -> None:
    """Install the function that turns rows of buttons into Bot API ``reply_markup`` JSON."""
    global _renderer
    _renderer = renderer


def markup(rows: Rows) -> dict[str, Any]:
    """The Bot API ``reply_markup`` JSON of the rows, for an outbox row."""
    if _renderer is None:
        raise RuntimeError("no button renderer: peam_bot.admin.moderation.keyboards installs it")
    return _renderer(rows)
