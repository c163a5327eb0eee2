"""Handlers are declared once per module and assembled into fresh aiogram routers for each
dispatcher (an aiogram Router can belong to one dispatcher only; tests and the benchmark start
several bots in one process)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F, Router

Callback = Callable[..., Any]


class Routes:
    def __init__(self, name: str, private_only: bool = True) -> None:
        self.name = name
        self.private_only = private_only
        self._entries: list[tuple[str, Callback, tuple[Any, ...], dict[str, Any]]] = []

    def _add(
        self, observer: str, filters: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Callable[[Callback], Callback]:
        def deco(fn: Callback) -> Callback:
            self._entries.append((observer, fn, filters, kwargs))
            return fn

        return deco

    def message(self, *filters: Any, **kwargs: Any) -> Callable[[Callback], Callback]:
        return self._add("message", filters, kwargs)

    def callback_query(self, *filters: Any, **kwargs: Any) -> Callable[[Callback], Callback]:
        return self._add("callback_query", filters, kwargs)

    def my_chat_member(self, *filters: Any, **kwargs: Any) -> Callable[[Callback], Callback]:
        return self._add("my_chat_member", filters, kwargs)

    def inline_query(self, *filters: Any, **kwargs: Any) -> Callable[[Callback], Callback]:
        return self._add("inline_query", filters, kwargs)

    def router(self) -> Router:
        router = Router(name=self.name)
        if self.private_only:
            router.message.filter(F.chat.type == "private")
            router.callback_query.filter(F.message.chat.type == "private")
        for observer, fn, filters, kwargs in self._entries:
            getattr(router, observer).register(fn, *filters, **kwargs)
        return router
