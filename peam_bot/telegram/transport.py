"""The HTTP exchange of a Bot API call: a JSON body POSTed on a kept-alive connection, the answer read.

Every call the bot makes is this one exchange, and through aiohttp's client it cost about half of
a call's CPU time on the bot's side (0.31 → 0.15 ms; its request and response objects, headers
multidicts, cookie jar, tracing hooks and timers: `python -m bench.costs`, `api_call_ms`), for a
feature set the Bot API never uses. Here the response is parsed by httptools (llhttp, the parser of
Node.js; it handles Content-Length, chunked bodies and keep-alive) on connections pooled per server,
TLS included; the rest is a request head written once per method and a future per call.

Behaviour kept from aiohttp's client as aiogram configures it: at most `limit` connections at once
(100), an idle connection is closed after `IDLE_SECONDS` (aiohttp's keep-alive timeout), a failed
POST is never sent again by this layer (`sendMessage` has no idempotency key: whoever called decides,
like the outbox worker's retries), a call that times out or is cancelled closes its connection (a
late answer must not be read as the next call's), and the server's certificate is checked against
certifi's roots, as aiogram does. The call's timeout covers all of it: the wait for a free connection,
connecting, and the answer. Proxies are not supported here: with `PEAM_TELEGRAM_PROXY` set the bot
uses aiogram's own session (`peam_bot.telegram.client.create_bot`); uploads of files also go through
aiohttp (`peam_bot.telegram.client.JsonSession`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import httptools

IDLE_SECONDS = 15.0  # aiohttp's default keep-alive timeout for pooled client connections


class TransportError(Exception):
    """The exchange failed: no connection, the connection dropped, or an unreadable answer."""


@dataclass(frozen=True, slots=True)
class Target:
    """One URL, prepared: where to connect and the request head up to the body's length."""

    scheme: str
    host: str
    port: int
    head: bytes  # "POST <path> HTTP/1.1 … Content-Length: " (the length and the body follow)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def prepare(url: str, user_agent: str, content_type: str = "application/json") -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    host_header = parts.hostname if port == default_port else f"{parts.hostname}:{port}"
    if ":" in parts.hostname and port == default_port:  # an IPv6 literal keeps its brackets
        host_header = f"[{parts.hostname}]"
    elif ":" in parts.hostname:
        host_header = f"[{parts.hostname}]:{port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        f"User-Agent: {user_agent}\r\n"
        "Accept: application/json\r\n"
        f"Content-Type: {content_type}\r\n"
        "Content-Length: "
    ).encode("latin-1")
    return Target(parts.scheme, parts.hostname, port, head)


class _Connection(asyncio.Protocol):
    """One kept-alive connection; one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.body: list[bytes] = []
        self.closed = False
        self.idle_since = 0.0
        self._headers_done = False
        self._delimited = False  # the answer says how long it is (a length, or chunks)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"unreadable answer: {exc}"))
            self.close()

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._headers_done and not self._delimited and self.waiter is not None:
            # an answer without a length ends when the server closes the connection
            self._complete(keep_alive=False)
            return
        self._fail(TransportError(f"connection closed: {type(exc).__name__ if exc else 'by the server'}"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.body = []
        self._headers_done = False
        self._delimited = False

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length" or (lowered == b"transfer-encoding" and b"chunked" in value.lower()):
            self._delimited = True

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self._complete(keep_alive=self.parser.should_keep_alive())

    def _complete(self, keep_alive: bool) -> None:
        waiter, self.waiter = self.waiter, None
        body, self.body = self.body, []
        self._headers_done = False
        if waiter is not None and not waiter.done():
            status = self.parser.get_status_code()
            waiter.set_result((status, body[0] if len(body) == 1 else b"".join(body), keep_alive))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _expire(waiter: asyncio.Future[tuple[int, bytes, bool]]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class HttpClient:
    """POSTs on pooled keep-alive connections. Not thread-safe; one event loop."""

    def __init__(self, limit: int = 100, ssl_context: ssl.SSLContext | None = None) -> None:
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None
        self._idle: dict[tuple[str, str, int], deque[_Connection]] = {}
        self._busy: set[_Connection] = set()
        self._ssl = ssl_context
        self.opened = 0  # connections opened so far (tests and diagnostics)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=certifi.where())
        return self._ssl

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        oldest_usable = time.monotonic() - IDLE_SECONDS
        while idle:
            conn = idle.pop()  # the most recently used: the least likely to have been dropped
            if not conn.closed and conn.idle_since > oldest_usable:
                return conn
            conn.close()
        return None

    async def _connect(self, target: Target) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _transport, conn = await loop.create_connection(
                _Connection,
                target.host,
                target.port,
                ssl=self._ssl_context() if target.scheme == "https" else None,
                server_hostname=target.host if target.scheme == "https" else None,
            )
        except OSError as exc:  # refused, unreachable, name not resolved, TLS failure (ssl.SSLError)
            raise TransportError(f"cannot connect: {type(exc).__name__}") from exc
        self.opened += 1
        return conn

    async def post(self, target: Target, body: bytes, timeout: float) -> tuple[int, bytes]:
        """Send `body` to `target`; the answer's status and body. Raises TimeoutError (after
        `timeout` s in all) or TransportError."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._slots.locked():  # waiting for a free connection counts in the timeout too
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        else:
            await self._slots.acquire()
        try:
            conn = self._take_idle(target.key)
            if conn is None:
                async with asyncio.timeout_at(deadline):
                    conn = await self._connect(target)
            waiter: asyncio.Future[tuple[int, bytes, bool]] = loop.create_future()
            conn.waiter = waiter
            self._busy.add(conn)
            timer = loop.call_at(deadline, _expire, waiter)
            try:
                assert conn.transport is not None
                conn.transport.write(b"%s%d\r\n\r\n%s" % (target.head, len(body), body))
                status, data, keep_alive = await waiter
            except BaseException:
                conn.waiter = None
                conn.close()  # an answer still on its way must not be read as the next call's
                raise
            finally:
                timer.cancel()
                self._busy.discard(conn)
            if keep_alive and not conn.closed:
                conn.idle_since = time.monotonic()
                self._idle.setdefault(target.key, deque()).append(conn)
            else:
                conn.close()
            return status, data
        finally:
            self._slots.release()

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        for conn in list(self._busy):
            conn.close()
        self._busy.clear()
