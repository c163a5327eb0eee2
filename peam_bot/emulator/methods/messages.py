"""Sending messages that are not uploads: sendMessage, sendLocation, sendChatAction, copyMessage,
forwardMessage."""

from __future__ import annotations

import copy
import time
from typing import Any

from ..bot_messages import BotMessages
from ..errors import bad
from ..state import Files, Params

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class MessageMethods(BotMessages):
    """Text, locations, chat actions, copies and forwards."""

    async def _m_sendMessage(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        parsed = self._parse_message_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        self._check_rate(chat_id, params)
        content = self._with_entities({}, parsed, "text")
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        msg = self._store_bot_message(chat_id, content, params)
        self._set_raw(chat_id, msg["message_id"], params.get("text"))
        self._record(
            chat_id,
            msg["message_id"],
            "sendMessage",
            params,
            text=params.get("text"),
            plain=parsed.text,
            entities=parsed.entities,
            reply_markup=markup,
        )
        return msg

    @staticmethod
    def _point(params: Params) -> tuple[float, float]:
        """The latitude and longitude of a location or venue, within their ranges."""
        try:
            lat = float(params["latitude"])
            lon = float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            raise bad("wrong latitude or longitude specified") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad("wrong latitude or longitude specified")
        return lat, lon

    async def _m_sendLocation(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        lat, lon = self._point(params)
        markup = self._check_markup(params.get("reply_markup"))
        self._check_rate(chat_id, params)
        content: dict[str, Any] = {"location": {"latitude": lat, "longitude": lon}}
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        msg = self._store_bot_message(chat_id, content, params)
        self._record(
            chat_id, msg["message_id"], "sendLocation", params, location=(lat, lon), reply_markup=markup
        )
        return msg

    async def _m_sendVenue(self, params: Params, files: Files) -> Any:
        """A place on the map with its name and address (both required, 1-64 and 1-255 characters
        here: Telegram refuses empty ones)."""
        chat_id = self._target_chat(params)
        lat, lon = self._point(params)
        title, address = str(params.get("title") or ""), str(params.get("address") or "")
        if not title.strip():
            raise bad("venue title must be non-empty")
        if not address.strip():
            raise bad("venue address must be non-empty")
        markup = self._check_markup(params.get("reply_markup"))
        self._check_rate(chat_id, params)
        location = {"latitude": lat, "longitude": lon}
        content: dict[str, Any] = {
            "location": location,
            "venue": {"location": location, "title": title, "address": address},
        }
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        msg = self._store_bot_message(chat_id, content, params)
        self._record(
            chat_id, msg["message_id"], "sendVenue", params, text=f"{title}\n{address}",
            location=(lat, lon), reply_markup=markup,
        )  # fmt: skip
        return msg

    async def _m_sendChatAction(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self.chat_actions.append((chat_id, str(action), time.monotonic()))
        return True

    async def _m_copyMessage(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        src_chat = self._resolve_chat_id(params.get("from_chat_id"))
        src = self._messages.get((src_chat, int(params.get("message_id") or 0)))
        if src is None:
            raise bad("message to copy not found")
        markup = self._check_markup(params.get("reply_markup"))
        content = {
            k: copy.deepcopy(v)
            for k, v in src.items()
            if k
            in (
                "text",
                "entities",
                "photo",
                "document",
                "location",
                "caption",
                "caption_entities",
                "sticker",
                "voice",
                "contact",
            )
        }
        if params.get("caption") is not None:
            cap = self._parse_caption(params.get("caption"), params.get("parse_mode"))
            content.pop("caption_entities", None)
            if cap is not None:
                self._with_entities(content, cap, "caption")
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        self._check_rate(chat_id, params)
        msg = self._store_bot_message(chat_id, content, params)
        self._record(
            chat_id,
            msg["message_id"],
            "copyMessage",
            params,
            text=content.get("text"),
            plain=content.get("text", content.get("caption")),
            caption=content.get("caption"),
            photo=(content.get("photo") or [{}])[-1].get("file_id"),
            location=self._loc(content),
            document=self._doc_record(content),
            reply_markup=markup,
        )
        return {"message_id": msg["message_id"]}

    async def _m_forwardMessage(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        src_chat = self._resolve_chat_id(params.get("from_chat_id"))
        src = self._messages.get((src_chat, int(params.get("message_id") or 0)))
        if src is None:
            raise bad("message to forward not found")
        self._check_rate(chat_id, params)
        content = {
            k: copy.deepcopy(v)
            for k, v in src.items()
            if k
            not in ("message_id", "from", "chat", "date", "reply_to_message", "edit_date", "reply_markup")
        }
        origin_user = src.get("from") or self.bot_user
        content["forward_origin"] = {"type": "user", "date": src.get("date", 0), "sender_user": origin_user}
        msg = self._store_bot_message(chat_id, content, {})
        self._record(
            chat_id,
            msg["message_id"],
            "forwardMessage",
            params,
            text=content.get("text"),
            plain=content.get("text", content.get("caption")),
            caption=content.get("caption"),
            photo=(content.get("photo") or [{}])[-1].get("file_id"),
            location=self._loc(content),
            document=self._doc_record(content),
            reply_markup=None,
        )
        return msg
