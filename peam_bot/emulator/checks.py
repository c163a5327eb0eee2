"""What the methods check before acting, with Telegram's wording: the target chat (unknown, or the
bot blocked there), text and captions within their length after entity parsing, reply markup and
inline buttons, and the rate limits (global, per chat, per group, paid broadcasts)."""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any

from .errors import ApiError, bad
from .formatting import EntityParseError, ParsedText, parse_text
from .state import Bucket, EmulatorState, Params


class Checks(EmulatorState):
    """Validation shared by the Bot API methods; each check raises the :class:`ApiError` Telegram gives."""

    def _resolve_chat_id(self, value: Any) -> int:
        if isinstance(value, bool) or value is None or value == "":
            raise bad("chat_id is empty")
        if isinstance(value, int):
            return value
        s = str(value)
        if s.lstrip("-").isdigit():
            return int(s)
        if s.startswith("@"):
            for cid, chat in self.chats.items():
                if chat.get("username", "").lower() == s[1:].lower():
                    return cid
        raise bad("chat not found")

    def _target_chat(self, params: Params, key: str = "chat_id") -> int:
        chat_id = self._resolve_chat_id(params.get(key))
        if chat_id not in self.chats:
            if self.strict_chats:
                raise bad("chat not found")
            if chat_id > 0:
                self.register_user(chat_id, first_name=f"User {chat_id}")
            else:
                self.add_group(chat_id, f"Group {chat_id}")
        if chat_id in self.blocked:
            if chat_id > 0:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
        return chat_id

    def _parse(self, text: Any, parse_mode: Any, *, caption: bool) -> ParsedText:
        try:
            return parse_text(str(text), parse_mode if isinstance(parse_mode, str) else None)
        except EntityParseError as e:
            raise bad(f"can't parse entities: {e}") from None

    def _parse_message_text(self, params: Params) -> ParsedText:
        text = params.get("text")
        if text is None or text == "":
            raise bad("message text is empty")
        parsed = self._parse(text, params.get("parse_mode"), caption=False)
        if not parsed.text.strip():
            raise bad("message text is empty")
        if parsed.length > self.limits.max_text:
            raise bad("message is too long")
        return parsed

    def _parse_caption(self, caption: Any, parse_mode: Any) -> ParsedText | None:
        if caption is None or caption == "":
            return None
        parsed = self._parse(caption, parse_mode, caption=True)
        if parsed.length > self.limits.max_caption:
            raise bad("message caption is too long")
        return parsed

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None or markup == "":
            return None
        if isinstance(markup, str):
            try:
                markup = json.loads(markup)
            except ValueError:
                raise bad("can't parse reply keyboard markup JSON object") from None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list):
                raise bad('can\'t parse inline keyboard button: field "inline_keyboard" must be an Array')
            for row in rows:
                if not isinstance(row, list):
                    raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
                for button in row:
                    self._check_inline_button(button)
        elif "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    text = button if isinstance(button, str) else button.get("text")
                    if not text:
                        raise bad('can\'t parse keyboard button: Field "text" must be of type String')
        return markup

    def _check_inline_button(self, button: Any) -> None:
        if not isinstance(button, dict):
            raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        text = button.get("text")
        if not isinstance(text, str) or not text.strip():
            raise (
                bad("BUTTON_TEXT_INVALID")
                if isinstance(text, str)
                else bad("can't parse inline keyboard button: Text must be a String")
            )
        if "callback_data" in button:
            data = button["callback_data"]
            size = len(str(data).encode("utf-8"))
            if not isinstance(data, str) or size < 1 or size > self.limits.max_callback_data:
                raise bad("BUTTON_DATA_INVALID")
            return
        if "url" in button:
            url = str(button["url"])
            if not re.match(r"^(https?|tg)://\S+$", url):
                raise bad("BUTTON_URL_INVALID")
            return
        actions = {
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        }
        if not actions & set(button):
            raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")

    def _check_rate(self, chat_id: int, params: Params) -> None:
        lim = self.limits
        if not lim.enforce_rates:
            return
        if lim is not self._rates_for:  # a new Limits object was assigned: start with full buckets
            self._buckets.clear()
            self._rates_for = lim
        now = time.monotonic()
        paid = params.get("allow_paid_broadcast") in (True, "true")
        if paid:
            g = self._buckets.setdefault("paid", Bucket(max(1.0, lim.paid_broadcast_per_s)))
            g_rate, g_cap = lim.paid_broadcast_per_s, max(1.0, lim.paid_broadcast_per_s)
        else:
            g = self._buckets.setdefault("global", Bucket(lim.global_burst))
            g_rate, g_cap = lim.global_per_s, float(lim.global_burst)
        g.refill(g_rate, g_cap, now)
        if chat_id < 0:
            c_rate, c_cap = lim.group_per_min / 60.0, float(lim.group_per_min)
        else:
            c_rate, c_cap = lim.per_chat_per_s, float(lim.per_chat_burst)
        c = self._buckets.setdefault(("chat", chat_id), Bucket(c_cap))
        c.refill(c_rate, c_cap, now)
        wait = max(g.wait_time(g_rate), c.wait_time(c_rate))
        if wait > 0:
            n = max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
            raise ApiError(429, f"Too Many Requests: retry after {n}", {"retry_after": n})
        g.tokens -= 1
        c.tokens -= 1
