"""Changing what the bot sent: editMessageText, editMessageCaption, editMessageReplyMarkup (with
Telegram's "message is not modified"), deleteMessage and deleteMessages."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from ..bot_messages import BotMessages
from ..errors import bad
from ..state import Files, Params

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class EditingMethods(BotMessages):
    """Edits and deletions of the bot's messages."""

    def _editable(self, params: Params) -> tuple[int, int, dict[str, Any]]:
        if params.get("inline_message_id"):
            raise bad("message to edit not found")
        chat_id = self._target_chat(params)
        mid = params.get("message_id")
        if mid is None:
            raise bad("message identifier is not specified")
        msg = self._messages.get((chat_id, int(mid)))
        if msg is None:
            raise bad("message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise bad("message can't be edited")
        return chat_id, int(mid), msg

    def _finish_edit(
        self,
        chat_id: int,
        mid: int,
        msg: dict[str, Any],
        method: str,
        params: Params,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        msg["edit_date"] = int(time.time())
        raw_text = params.get("text") if method == "editMessageText" else None
        self._record(
            chat_id,
            mid,
            method,
            params,
            text=raw_text if raw_text is not None else self._raw_text(chat_id, mid),
            plain=msg.get("text", msg.get("caption")),
            caption=params.get("caption") if method == "editMessageCaption" else msg.get("caption"),
            photo=(msg.get("photo") or [{}])[-1].get("file_id"),
            location=self._loc(msg),
            document=self._doc_record(msg),
            entities=list(msg.get("entities", msg.get("caption_entities", []))),
            reply_markup=markup,
            edited=True,
        )
        self._raw[(chat_id, mid)] = raw_text if raw_text is not None else self._raw_text(chat_id, mid)
        return copy.deepcopy(msg)

    async def _m_editMessageText(self, params: Params, files: Files) -> Any:
        chat_id, mid, msg = self._editable(params)
        if "text" not in msg:
            raise bad("there is no text in the message to edit")
        parsed = self._parse_message_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if (
            parsed.text == msg.get("text")
            and parsed.entities == msg.get("entities", [])
            and new_markup == msg.get("reply_markup")
        ):
            raise bad(_NOT_MODIFIED[len("Bad Request: ") :])
        msg["text"] = parsed.text
        msg.pop("entities", None)
        if parsed.entities:
            msg["entities"] = parsed.entities
        return self._finish_edit(chat_id, mid, msg, "editMessageText", params, new_markup)

    async def _m_editMessageCaption(self, params: Params, files: Files) -> Any:
        chat_id, mid, msg = self._editable(params)
        if not any(k in msg for k in ("photo", "document", "video", "audio", "animation", "voice")):
            raise bad("there is no caption in the message to edit")
        cap = self._parse_caption(params.get("caption"), params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        new_text = cap.text if cap else None
        new_entities = cap.entities if cap else []
        if (
            new_text == msg.get("caption")
            and new_entities == msg.get("caption_entities", [])
            and new_markup == msg.get("reply_markup")
        ):
            raise bad(_NOT_MODIFIED[len("Bad Request: ") :])
        msg.pop("caption", None)
        msg.pop("caption_entities", None)
        if cap is not None:
            self._with_entities(msg, cap, "caption")
        self._set_raw(chat_id, mid, params.get("caption"))
        return self._finish_edit(chat_id, mid, msg, "editMessageCaption", params, new_markup)

    async def _m_editMessageMedia(self, params: Params, files: Files) -> Any:
        """A photo message's photo (and caption) replaced; only photos are used by the bot."""
        chat_id, mid, msg = self._editable(params)
        media = params.get("media")
        if isinstance(media, str):
            try:
                media = json.loads(media)
            except ValueError:
                raise bad("can't parse InputMedia JSON object") from None
        if not isinstance(media, dict) or media.get("type") != "photo":
            raise bad("wrong type of the media specified")
        if "photo" not in msg:
            raise bad("there is no media in the message to edit")
        stored = self._resolve_file(media.get("media"), files, "media", "photo")  # type: ignore[attr-defined]
        cap = self._parse_caption(media.get("caption"), media.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        msg["photo"] = self._photo_sizes(stored)  # type: ignore[attr-defined]
        msg.pop("caption", None)
        msg.pop("caption_entities", None)
        if cap is not None:
            self._with_entities(msg, cap, "caption")
        self._set_raw(chat_id, mid, media.get("caption"))
        return self._finish_edit(chat_id, mid, msg, "editMessageMedia", params, new_markup)

    async def _m_editMessageReplyMarkup(self, params: Params, files: Files) -> Any:
        chat_id, mid, msg = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if new_markup == msg.get("reply_markup"):
            raise bad(_NOT_MODIFIED[len("Bad Request: ") :])
        return self._finish_edit(chat_id, mid, msg, "editMessageReplyMarkup", params, new_markup)

    async def _m_deleteMessage(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        key = (chat_id, int(params.get("message_id") or 0))
        if key not in self._messages:
            raise bad("message to delete not found")
        del self._messages[key]
        self.deleted.append(key)
        return True

    async def _m_deleteMessages(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        ids = params.get("message_ids") or []
        for mid in ids:
            key = (chat_id, int(mid))
            if self._messages.pop(key, None) is not None:
                self.deleted.append(key)
        return True
