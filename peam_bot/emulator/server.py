"""A fake Telegram Bot API server (aiohttp) that unmodified aiogram bots can talk to.

Usage::

    tg = FakeTelegram()
    base_url = await tg.start()
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    bot = Bot(tg.token, session=session)
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from typing import Any

from .bot_messages import BotMessages
from .errors import ApiError, bad
from .formatting import ParsedText, utf16_len
from .http import HttpLayer
from .models import ApiCall, SentMessage, StoredFile
from .state import (
    DEFAULT_ALLOWED_UPDATES,
    FaultKind,
    Files,
    Limits,
    Params,
    Signal,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "FakeTelegram",
    "FaultKind",
    "Limits",
    "SentMessage",
    "Signal",
    "StoredFile",
]

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
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
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class FakeTelegram(HttpLayer, BotMessages):
    """In-process fake of the Telegram Bot API speaking real HTTP."""

    def _resolve_file(self, value: Any, files: Files, field: str, kind: str) -> StoredFile:
        upload: tuple[bytes, str, str] | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise bad(f"file of field {field} not found in the request")  # wording approximates Telegram
        elif value is None and field in files:
            upload = files[field]
        if upload is not None:
            data, filename, ctype = upload
            if not data:
                raise bad("file must be non-empty")
            return self.register_file(
                data,
                kind=kind,
                file_name=filename,
                mime_type=ctype,
                width=800 if kind == "photo" else 0,
                height=600 if kind == "photo" else 0,
            )
        if not isinstance(value, str) or not value:
            raise bad(f"there is no {field} in the request")
        if value in self.files:
            stored = self.files[value]
            if kind == "photo" and stored.kind not in ("photo",):
                raise bad("type of file mismatch")
            return stored
        if re.match(r"^https?://\S+$", value):
            return self.register_file(
                b"",
                kind=kind,
                file_name=value.rsplit("/", 1)[-1] or None,
                width=800 if kind == "photo" else 0,
                height=600 if kind == "photo" else 0,
            )
        raise bad("wrong file identifier/HTTP URL specified")

    @staticmethod
    def _photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": stored.width or 800,
                "height": stored.height or 600,
                "file_size": stored.size,
            }
        ]

    @staticmethod
    def _document_obj(stored: StoredFile) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.file_name:
            doc["file_name"] = stored.file_name
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc

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

    # ------------------------------------------------------------------ Bot API methods
    async def _m_getMe(self, params: Params, files: Files) -> Any:
        return self.bot_user

    async def _m_logOut(self, params: Params, files: Files) -> Any:
        return True

    async def _m_close(self, params: Params, files: Files) -> Any:
        return True

    async def _m_getUpdates(self, params: Params, files: Files) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.notify()  # an older long poll (if any) is terminated
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if offset > 0:
                self._pending = [
                    q for q in self._pending if not (q.delivered and q.update["update_id"] < offset)
                ]
            self._pending = [q for q in self._pending if self._update_type(q.update) in self._allowed]
            if self._pending:
                batch = self._pending[:limit]
                for q in batch:
                    q.delivered = True
                return [copy.deepcopy(q.update) for q in batch]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return []
            await self._updates_signal.wait(remaining)

    @staticmethod
    def _update_type(update: dict[str, Any]) -> str:
        for key in update:
            if key != "update_id":
                return key
        return ""

    async def _m_setWebhook(self, params: Params, files: Files) -> Any:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise bad("secret token contains unallowed characters")
        if url and not re.match(r"^https?://\S+$", url):
            raise bad("bad webhook: invalid webhook URL specified")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if not url:
            await self._stop_webhook_worker()
            self.webhook_url = ""
            self.webhook_secret = None
            return True
        self.webhook_url = url
        self.webhook_secret = str(secret) if secret else None
        if self._webhook_task is None:
            self._webhook_queue = asyncio.Queue()
            for q in self._pending:
                self._webhook_queue.put_nowait(q.update)
            self._pending.clear()
            self._webhook_task = asyncio.create_task(self._webhook_worker())
        self._poll_generation += 1
        self._updates_signal.notify()
        return True

    async def _m_deleteWebhook(self, params: Params, files: Files) -> Any:
        await self._stop_webhook_worker()
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _m_getWebhookInfo(self, params: Params, files: Files) -> Any:
        pending = self._webhook_queue.qsize() if self._webhook_queue is not None else len(self._pending)
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if self.webhook_url:
            info["max_connections"] = 40
            info["allowed_updates"] = sorted(self._allowed)
        return info

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

    async def _m_sendPhoto(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        caption = self._parse_caption(params.get("caption"), params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        stored = self._resolve_file(params.get("photo"), files, "photo", "photo")
        self._check_rate(chat_id, params)
        content: dict[str, Any] = {"photo": self._photo_sizes(stored)}
        if caption is not None:
            self._with_entities(content, caption, "caption")
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        msg = self._store_bot_message(chat_id, content, params)
        self._set_raw(chat_id, msg["message_id"], params.get("caption"))
        self._record(
            chat_id,
            msg["message_id"],
            "sendPhoto",
            params,
            caption=params.get("caption"),
            plain=caption.text if caption else None,
            photo=stored.file_id,
            entities=caption.entities if caption else [],
            reply_markup=markup,
        )
        return msg

    async def _m_sendDocument(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        caption = self._parse_caption(params.get("caption"), params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        stored = self._resolve_file(params.get("document"), files, "document", "document")
        self._check_rate(chat_id, params)
        content: dict[str, Any] = {"document": self._document_obj(stored)}
        if caption is not None:
            self._with_entities(content, caption, "caption")
        if markup and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        msg = self._store_bot_message(chat_id, content, params)
        self._set_raw(chat_id, msg["message_id"], params.get("caption"))
        self._record(
            chat_id,
            msg["message_id"],
            "sendDocument",
            params,
            caption=params.get("caption"),
            plain=caption.text if caption else None,
            document={**content["document"], "data": stored.data},
            entities=caption.entities if caption else [],
            reply_markup=markup,
        )
        return msg

    async def _m_sendMediaGroup(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        media = params.get("media")
        if isinstance(media, str):
            try:
                media = json.loads(media)
            except ValueError:
                raise bad("can't parse media JSON object") from None
        if not isinstance(media, list):
            raise bad("can't parse media JSON object")
        if len(media) < 2:
            raise bad("wrong number of media in the group: must include 2-10 items")
        if len(media) > 10:
            raise bad("too much messages to send as an album")
        items: list[tuple[dict[str, Any], StoredFile, ParsedText | None]] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "video", "document", "audio"):
                raise bad("can't parse InputMedia: unsupported media type")
            kind = item["type"]
            cap = self._parse_caption(item.get("caption"), item.get("parse_mode"))
            stored = self._resolve_file(
                item.get("media"), files, "media", kind if kind != "video" else "video"
            )
            items.append((item, stored, cap))
        self._check_rate(chat_id, params)
        group_id = str(10**17 + next(self._file_counter))
        result: list[dict[str, Any]] = []
        record_media: list[dict[str, Any]] = []
        for item, stored, cap in items:
            kind = item["type"]
            content: dict[str, Any] = {"media_group_id": group_id}
            if kind == "photo":
                content["photo"] = self._photo_sizes(stored)
            elif kind == "document":
                content["document"] = self._document_obj(stored)
            else:
                content[kind] = {
                    **self._document_obj(stored),
                    "duration": 1,
                    **({"width": 640, "height": 480} if kind == "video" else {}),
                }
            if cap is not None:
                self._with_entities(content, cap, "caption")
            msg = self._store_bot_message(chat_id, content, params)
            result.append(msg)
            record_media.append(
                {
                    "type": kind,
                    "media": stored.file_id,
                    "caption": item.get("caption"),
                    "plain": cap.text if cap else None,
                }
            )
        first = result[0]
        captions = [m["plain"] for m in record_media if m["plain"]]
        self._record(
            chat_id,
            first["message_id"],
            "sendMediaGroup",
            params,
            media=record_media,
            plain=captions[0] if captions else None,
            caption=record_media[0]["caption"],
            photo=record_media[0]["media"] if record_media[0]["type"] == "photo" else None,
            message_ids=[m["message_id"] for m in result],
            reply_markup=None,
        )
        return result

    async def _m_sendLocation(self, params: Params, files: Files) -> Any:
        chat_id = self._target_chat(params)
        try:
            lat = float(params["latitude"])
            lon = float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            raise bad("wrong latitude or longitude specified") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad("wrong latitude or longitude specified")
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

    async def _m_answerCallbackQuery(self, params: Params, files: Files) -> Any:
        qid = str(params.get("callback_query_id") or "")
        info = self._callback_queries.get(qid)
        if info is None or qid in self._answered_callbacks:
            raise bad(_QUERY_TOO_OLD[len("Bad Request: ") :])
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > self.limits.max_callback_answer:
            raise bad("MESSAGE_TOO_LONG")
        self._answered_callbacks.add(qid)
        answer = {
            "callback_query_id": qid,
            "text": text,
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
            "cache_time": params.get("cache_time"),
            "user_id": info["user_id"],
            "ts": time.monotonic(),
        }
        self.callback_answers.append(answer)
        self.messages_signal.notify()
        return True

    async def _m_answerInlineQuery(self, params: Params, files: Files) -> Any:
        qid = str(params.get("inline_query_id") or "")
        if qid not in self._inline_queries or qid in self.inline_answers:
            raise bad(_QUERY_TOO_OLD[len("Bad Request: ") :])
        results = params.get("results")
        if isinstance(results, str):
            results = json.loads(results)
        if not isinstance(results, list) or len(results) > 50:
            raise bad("RESULTS_TOO_MUCH" if isinstance(results, list) else "can't parse results JSON object")
        seen: set[str] = set()
        for r in results:
            if not isinstance(r, dict) or not r.get("type") or not r.get("id"):
                raise bad("can't parse InlineQueryResult")
            if r["id"] in seen:
                raise bad("RESULT_ID_DUPLICATE")
            seen.add(r["id"])
            if "reply_markup" in r:
                self._check_markup(r["reply_markup"])
        self.inline_answers[qid] = {**params, "results": results}
        self.messages_signal.notify()
        return True

    async def _m_setMyCommands(self, params: Params, files: Files) -> Any:
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = json.loads(commands)
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list) else "can't parse commands")
        for c in commands:
            if not isinstance(c, dict) or not _COMMAND_RE.match(str(c.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not (1 <= len(str(c.get("description", ""))) <= 256):
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        lang = str(params.get("language_code") or "")
        key = (self._scope_key(params.get("scope")), lang)
        self.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def _m_getMyCommands(self, params: Params, files: Files) -> Any:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return list(self.commands.get(key, []))

    async def _m_deleteMyCommands(self, params: Params, files: Files) -> Any:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.commands.pop(key, None)
        return True

    async def _m_setChatMenuButton(self, params: Params, files: Files) -> Any:
        chat_id = params.get("chat_id")
        cid = self._resolve_chat_id(chat_id) if chat_id not in (None, "") else None
        button = params.get("menu_button") or {"type": "default"}
        if isinstance(button, str):
            button = json.loads(button)
        if button.get("type") not in ("default", "commands", "web_app"):
            raise bad("can't parse menu button")
        self.menu_buttons[cid] = button
        return True

    async def _m_getChatMenuButton(self, params: Params, files: Files) -> Any:
        chat_id = params.get("chat_id")
        cid = self._resolve_chat_id(chat_id) if chat_id not in (None, "") else None
        button = self.menu_buttons.get(cid) or self.menu_buttons.get(None) or {"type": "commands"}
        return button if button.get("type") != "default" else {"type": "commands"}

    async def _set_info(self, key: str, params: Params, limit: int) -> Any:
        value = str(params.get(key) or "")
        if len(value) > limit:
            raise bad(f"{key.upper()}_INVALID")
        self.bot_info[f"{key}:{params.get('language_code') or ''}"] = value
        return True

    async def _m_setMyDescription(self, params: Params, files: Files) -> Any:
        return await self._set_info("description", params, 512)

    async def _m_setMyShortDescription(self, params: Params, files: Files) -> Any:
        return await self._set_info("short_description", params, 120)

    async def _m_setMyName(self, params: Params, files: Files) -> Any:
        return await self._set_info("name", params, 64)

    async def _m_getMyDescription(self, params: Params, files: Files) -> Any:
        return {"description": self.bot_info.get(f"description:{params.get('language_code') or ''}", "")}

    async def _m_getMyShortDescription(self, params: Params, files: Files) -> Any:
        key = f"short_description:{params.get('language_code') or ''}"
        return {"short_description": self.bot_info.get(key, "")}

    async def _m_getMyName(self, params: Params, files: Files) -> Any:
        return {
            "name": self.bot_info.get(
                f"name:{params.get('language_code') or ''}", self.bot_user["first_name"]
            )
        }

    async def _m_getChat(self, params: Params, files: Files) -> Any:
        chat_id = self._resolve_chat_id(params.get("chat_id"))
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad("chat not found")
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _m_getChatMember(self, params: Params, files: Files) -> Any:
        chat_id = self._resolve_chat_id(params.get("chat_id"))
        if chat_id not in self.chats:
            raise bad("chat not found")
        user_id = int(params.get("user_id") or 0)
        if user_id == self.bot_id:
            return {"status": "member", "user": self.bot_user}
        user = self.users.get(user_id)
        if user is None:
            raise bad("user not found")
        return {"status": "member", "user": user}

    async def _m_getFile(self, params: Params, files: Files) -> Any:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }
