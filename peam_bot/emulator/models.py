"""Records kept by the fake Telegram server (shared by the server and the scripted clients)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SentMessage:
    """A message the bot sent or edited (one record per successful call)."""

    chat_id: int
    message_id: int
    method: str
    text: str | None = None  # raw, as sent by the bot (HTML / Markdown markup included)
    plain: str | None = None  # text or caption after entity parsing
    caption: str | None = None  # raw caption
    photo: str | None = None  # file_id of the photo
    media: list[dict[str, Any]] | None = None  # sendMediaGroup items (``media`` resolved to file ids)
    location: tuple[float, float] | None = None
    document: dict[str, Any] | None = None  # {"file_id", "file_name", "mime_type", "data"}
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    edited: bool = False
    ts: float = 0.0
    entities: list[dict[str, Any]] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)  # all ids (media groups produce several)
    params: dict[str, Any] = field(default_factory=dict)  # decoded request parameters

    def buttons(self) -> list[list[tuple[str, str]]]:
        """Keyboard rows as ``(text, callback_data | url | "")``; works for inline and reply keyboards."""
        markup = self.reply_markup or {}
        rows: list[list[tuple[str, str]]] = []
        for row in markup.get("inline_keyboard") or []:
            out: list[tuple[str, str]] = []
            for b in row:
                value = b.get("callback_data")
                if value is None:
                    value = b.get("url")
                if value is None:
                    value = b.get("switch_inline_query", b.get("switch_inline_query_current_chat", ""))
                out.append((str(b.get("text", "")), str(value or "")))
            rows.append(out)
        for row in markup.get("keyboard") or []:
            rows.append([(b if isinstance(b, str) else str(b.get("text", "")), "") for b in row])
        return rows

    @property
    def has_inline_keyboard(self) -> bool:
        return bool((self.reply_markup or {}).get("inline_keyboard"))

    @property
    def has_reply_keyboard(self) -> bool:
        return bool((self.reply_markup or {}).get("keyboard"))

    @property
    def body(self) -> str:
        """Readable text of the message (plain text or caption), empty string when none."""
        return self.plain or ""


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    kind: str = "document"
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)


class ApiCall(tuple):  # type: ignore[type-arg]
    """``(method, params)`` tuple with the outcome attached as attributes."""

    method: str
    params: dict[str, Any]
    ts: float
    status: int  # HTTP status (0 while pending / when the request timed out)
    description: str | None
    result: Any

    def __new__(cls, method: str, params: dict[str, Any], ts: float) -> ApiCall:
        obj = super().__new__(cls, (method, params))
        obj.method = method
        obj.params = params
        obj.ts = ts
        obj.status = 0
        obj.description = None
        obj.result = None
        return obj

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        return f"ApiCall({self.method!r}, status={self.status}, description={self.description!r})"
