"""Handlers are declared once per module and assembled into fresh aiogram routers for each
dispatcher (an aiogram Router can belong to one dispatcher only; tests and the benchmark start
several bots in one process)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

from aiogram import F, Router
from aiogram.filters import Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, TelegramObject
from magic_filter import MagicFilter

Callback = Callable[..., Any]


class Inline(Filter):
    """A synchronous filter (a magic ``F…`` filter, a plain function) evaluated in the event loop.

    aiogram runs every synchronous filter through ``asyncio.to_thread``: a thread hop (and a wake-up
    of the loop) for each check of each candidate handler, which made filtering most of the cost of
    an update. These checks are microseconds of pure Python; they run inline here."""

    def __init__(self, check: Callable[[TelegramObject], Any]) -> None:
        self.check = check

    async def __call__(self, event: TelegramObject) -> Any:
        return self.check(event)


_unpacked: dict[tuple[type, str], Any] = {}  # (CallbackData class, data) -> instance, or None


class PackedData(CallbackQueryFilter):
    """aiogram's CallbackQueryFilter with each button's data unpacked once per CallbackData class:
    otherwise every candidate handler's filter unpacks the same string again into a validated model
    (a form's buttons are checked against a dozen handlers). The instances are shared, so handlers
    must not change them (none does)."""

    __slots__ = ()

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        data = query.data
        if not data:
            return False
        key = (self.callback_data, data)
        try:
            value = _unpacked[key]
        except KeyError:
            try:
                value = self.callback_data.unpack(data)
            except (TypeError, ValueError):
                value = None
            if len(_unpacked) >= 20_000:
                _unpacked.clear()
            _unpacked[key] = value
        if value is None or (self.rule is not None and not self.rule.resolve(value)):
            return False
        return {"callback_data": value}


def inline(flt: Any) -> Any:
    if type(flt) is CallbackQueryFilter:
        return PackedData(callback_data=flt.callback_data, rule=flt.rule)
    if isinstance(flt, Filter):
        return flt
    if isinstance(flt, State) or (inspect.isclass(flt) and issubclass(flt, StatesGroup)):
        return StateFilter(flt)  # the same check, as an async filter
    if isinstance(flt, MagicFilter):  # F.text, F.data.startswith(…)
        return Inline(flt.resolve)
    return flt


Entry = tuple[str, Callback, tuple[Any, ...], dict[str, Any]]  # observer, handler, filters, options


class Routes:
    def __init__(self, name: str, private_only: bool = True) -> None:
        self.name = name
        self.private_only = private_only
        self._entries: list[Entry] = []
        self._parts: tuple[Routes, ...] = ()

    @classmethod
    def joined(cls, name: str, *parts: Routes) -> Routes:
        """The handlers of several modules in one router, tried part after part in the order given (and
        each part's in the order declared). One router level instead of one per part: every level an
        update goes through costs a turn of aiogram's propagation. The parts are read when the router
        is built, so handlers declared after the join are not lost."""
        private = {part.private_only for part in parts}
        if len(private) > 1:
            raise ValueError(f"{name}: the parts differ in private_only")
        routes = cls(name, private_only=private.pop() if private else True)
        routes._parts = parts
        return routes

    def entries(self) -> list[Entry]:
        """This router's handlers, in the order they are tried."""
        return [*self._entries, *(entry for part in self._parts for entry in part.entries())]

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

    def callback_prefixes(self) -> frozenset[str] | None:
        """The callback-data prefixes (each with the separator that ends it) this router's button
        handlers answer to, when every one of them filters on a CallbackData class (None otherwise)."""
        prefixes: set[str] = set()
        for observer, _fn, filters, _kwargs in self.entries():
            if observer != "callback_query":
                continue
            found = [
                f.callback_data.__prefix__ + f.callback_data.__separator__
                for f in filters
                if isinstance(f, CallbackQueryFilter)
            ]
            if not found:
                return None
            prefixes.update(found)
        return frozenset(prefixes)

    def router(self) -> Router:
        router = Router(name=self.name)
        prefix_filter = callback_prefix_filter(self)
        if prefix_filter is not None:
            # one check for the whole router instead of one failed unpack per handler
            router.callback_query.filter(prefix_filter)
        if self.private_only:
            router.message.filter(inline(F.chat.type == "private"))
            router.callback_query.filter(inline(F.message.chat.type == "private"))
        for observer, fn, filters, kwargs in self.entries():
            getattr(router, observer).register(fn, *(inline(f) for f in filters), **kwargs)
        return router


def callback_prefix_filter(*routes: Routes) -> Filter | None:
    """A filter passing only the button presses some handler of `routes` may answer (by callback-data
    prefix), or None when one of them has a button handler that does not filter on a CallbackData.
    A CallbackData without fields packs to its bare prefix."""
    prefixes: set[str] = set()
    for r in routes:
        found = r.callback_prefixes()
        if found is None:
            return None
        prefixes |= found
    if not prefixes:
        return Inline(lambda _q: False)
    starts = tuple(sorted(prefixes))
    bare = frozenset(p[:-1] for p in prefixes)
    return Inline(lambda q: q.data is not None and (q.data.startswith(starts) or q.data in bare))
