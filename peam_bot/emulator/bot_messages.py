"""The bot's messages: storing a sent message in its chat (with the message it replies to), keeping
its raw text, and recording it as a :class:`SentMessage` for tests and the terminal chat."""

from __future__ import annotations

import json
import time
from typing import Any

from .checks import Checks
from .errors import bad
from .formatting import ParsedText
from .models import SentMessage
from .state import Params


class BotMessages(Checks):
    """Storing and recording what the sending and editing methods produce."""

    def _reply_to(self, chat_id: int, params: Params) -> dict[str, Any] | None:
        rp = params.get("reply_parameters")
        if isinstance(rp, str):
            rp = json.loads(rp)
        mid = params.get("reply_to_message_id")
        allow = bool(params.get("allow_sending_without_reply"))
        if isinstance(rp, dict):
            mid = rp.get("message_id")
            allow = allow or bool(rp.get("allow_sending_without_reply"))
            if rp.get("chat_id") not in (None, chat_id):
                return None
        if mid is None:
            return None
        msg = self._messages.get((chat_id, int(mid)))
        if msg is None:
            if allow:
                return None
            raise bad("message to be replied not found")
        return {k: v for k, v in msg.items() if k != "reply_to_message"}

    def _store_bot_message(self, chat_id: int, content: dict[str, Any], params: Params) -> dict[str, Any]:
        mid = self._new_mid(chat_id)
        msg: dict[str, Any] = {
            "message_id": mid,
            "from": self.bot_user,
            "chat": self.chats[chat_id],
            "date": int(time.time()),
        }
        reply_to = self._reply_to(chat_id, params)
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        msg.update(content)
        self._messages[(chat_id, mid)] = msg
        return msg

    def _record(
        self, chat_id: int, message_id: int, method: str, params: Params, **fields: Any
    ) -> SentMessage:
        markup = fields.pop("reply_markup", params.get("reply_markup"))
        if isinstance(markup, str):
            markup = json.loads(markup)
        sm = SentMessage(
            chat_id=chat_id,
            message_id=message_id,
            method=method,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            ts=time.monotonic(),
            params=params,
            **fields,
        )
        if not sm.message_ids:
            sm.message_ids = [message_id]
        self.sent.append(sm)
        self._by_chat.setdefault(chat_id, []).append(sm)
        self.messages_signal.notify()
        return sm

    @staticmethod
    def _with_entities(content: dict[str, Any], parsed: ParsedText, key: str) -> dict[str, Any]:
        content[key] = parsed.text
        if parsed.entities:
            content["entities" if key == "text" else "caption_entities"] = parsed.entities
        return content

    def _set_raw(self, chat_id: int, mid: int, raw: str | None) -> None:
        self._raw[(chat_id, mid)] = raw

    def _raw_text(self, chat_id: int, mid: int) -> str | None:
        return self._raw.get((chat_id, mid))

    @staticmethod
    def _loc(msg: dict[str, Any]) -> tuple[float, float] | None:
        loc = msg.get("location")
        return (loc["latitude"], loc["longitude"]) if loc else None

    def _doc_record(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        doc = msg.get("document")
        if not doc:
            return None
        stored = self.files.get(doc["file_id"])
        return {**doc, "data": stored.data if stored else b""}
