"""The bot itself and what it looks up: getMe, logOut, close; its command lists per scope and language,
the chat menu button, its name and descriptions; getChat and getChatMember."""

from __future__ import annotations

import json
import re
from typing import Any

from ..checks import Checks
from ..errors import bad
from ..state import Files, Params

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class BotMethods(Checks):
    """The bot's identity and profile, and chat and member lookups."""

    async def _m_getMe(self, params: Params, files: Files) -> Any:
        return self.bot_user

    async def _m_logOut(self, params: Params, files: Files) -> Any:
        return True

    async def _m_close(self, params: Params, files: Files) -> Any:
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
