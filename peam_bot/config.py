"""Settings from the environment (or a `.env` file), validated once at start-up."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org"
REMINDER_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
MAX_REMINDERS = 5


def parse_reminders(value: str) -> tuple[timedelta, ...]:
    """ "24h,2h" → (24 h, 2 h): how long before an event's start each reminder goes out, in the
    order they are sent (the longest first). Units m, h, d; empty: no reminders."""
    found: set[timedelta] = set()
    for part in value.replace(";", ",").split(","):
        part = part.strip().lower().replace(" ", "")
        if not part:
            continue
        match = re.fullmatch(r"(\d{1,5})([mhd])", part)
        if match is None:
            raise ValueError(f"«{part}» no es un plazo: use horas (h), minutos (m) o días (d), p. ej. 24h,2h")
        offset = int(match[1]) * REMINDER_UNITS[match[2]]
        if not timedelta(minutes=1) <= offset <= timedelta(days=30):
            raise ValueError(f"«{part}»: cada recordatorio va de 1 minuto a 30 días antes del inicio")
        found.add(offset)
    if len(found) > MAX_REMINDERS:
        raise ValueError(f"a lo más {MAX_REMINDERS} recordatorios")
    return tuple(sorted(found, reverse=True))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PEAM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: str | None = None
    database_url: str = "sqlite+aiosqlite:///./peam.db"
    redis_url: str | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    staff_chat_id: int | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    timezone: str = "America/Lima"
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    log_level: str = "INFO"
    throttle_limit: int = Field(default=15, ge=0)  # updates per window per resident; 0 turns it off
    throttle_window: float = Field(default=3.0, gt=0)
    # the hand-written layers under SQLAlchemy and aiogram (storage/sqlite_driver.py, storage/hot.py,
    # telegram/transport.py); off: the stock libraries only
    fast_paths: bool = True
    telegram_proxy: str | None = None  # http://, https://, socks4:// or socks5:// (user:pass@ allowed)
    # how long before an event's start its registrants are reminded ("24h,2h"; m, h, d; empty: never)
    event_reminders: Annotated[tuple[timedelta, ...], NoDecode] = (timedelta(hours=24), timedelta(hours=2))

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return [int(p) for p in parts if p]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("event_reminders", mode="before")
    @classmethod
    def _parse_reminders(cls, value: object) -> object:
        return parse_reminders(value) if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"zona horaria desconocida: {value}") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("debe ser DEBUG, INFO, WARNING, ERROR o CRITICAL")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, value: str) -> str:
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///ruta.db o postgresql+asyncpg://usuario@host/base")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: str | None) -> str | None:
        if value is not None:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
                raise ValueError("1 a 256 caracteres A-Z, a-z, 0-9, _ o -")
        return value

    @field_validator("telegram_proxy")
    @classmethod
    def _check_proxy(cls, value: str | None) -> str | None:
        if not value:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https", "socks4", "socks5") or not parts.hostname:
            raise ValueError("use http://host:puerto, socks5://host:puerto (o socks4://, https://)")
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else "?"
        msg = err.get("msg", "valor inválido")
        raise SettingsError(f"PEAM_{field.upper()}: {msg}") from None
