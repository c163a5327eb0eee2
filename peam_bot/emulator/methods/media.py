"""Files: sending photos, documents and albums (an upload, a known file_id or a URL) and getFile."""

from __future__ import annotations

import json
import re
from typing import Any

from ..bot_messages import BotMessages
from ..errors import bad
from ..formatting import ParsedText
from ..models import StoredFile
from ..state import Files, Params


class MediaMethods(BotMessages):
    """sendPhoto, sendDocument, sendMediaGroup and getFile, with how a file parameter is resolved."""

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
