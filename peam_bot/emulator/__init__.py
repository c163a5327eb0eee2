"""Fake Telegram Bot API server, scripted users and a terminal chat for testing the bot offline."""

from .client import User, fake_jpeg, wait_until
from .formatting import EntityParseError, parse_html, parse_text, utf16_len
from .models import ApiCall, SentMessage, StoredFile
from .server import ApiError, FakeTelegram, Limits, Signal
from .terminal import chat_loop, render_message

__all__ = [
    "ApiCall",
    "ApiError",
    "EntityParseError",
    "FakeTelegram",
    "Limits",
    "SentMessage",
    "Signal",
    "StoredFile",
    "User",
    "chat_loop",
    "fake_jpeg",
    "parse_html",
    "parse_text",
    "render_message",
    "utf16_len",
    "wait_until",
]
