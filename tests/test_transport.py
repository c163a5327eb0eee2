"""The Bot API's HTTP exchange (peam_bot/telegram/transport.py) against real sockets: a server written here
answers exactly as each test needs (kept alive, chunked, closed, silent, TLS)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import trustme
from aiogram.exceptions import TelegramNetworkError

from peam_bot.config import Settings
from peam_bot.telegram import transport
from peam_bot.telegram.client import create_bot

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # False: close the connection

GET_ME = b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"PEAM","username":"peam_bot"}}'


def fixed(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        len(body),
        extra,
        body,
    )


class Server:
    """Reads each request whole (head and Content-Length body), then lets `answer` reply."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.closed_by_client = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                if not await self.answer(body, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed_by_client.set()
        finally:
            writer.close()

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=ssl_context)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[tuple[Server, str]]]]:
    servers: list[Server] = []

    async def start(answer: Answer, ssl_context: ssl.SSLContext | None = None) -> tuple[Server, str]:
        server = Server(answer)
        port = await server.start(ssl_context)
        servers.append(server)
        scheme = "https" if ssl_context else "http"
        return server, f"{scheme}://localhost:{port}/bot123:ABC/getMe"

    yield start
    for server in servers:
        await server.stop()


async def test_connection_kept_alive_and_reused(serve: Callable[..., Awaitable[tuple[Server, str]]]) -> None:
    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(fixed(b'{"echo":' + body + b"}"))
        return True

    server, url = await serve(answer)
    client = transport.HttpClient()
    target = transport.prepare(url, "test")
    for n in range(5):
        assert await client.post(target, b"%d" % n, 5) == (200, b'{"echo":%d}' % n)
    assert server.connections == 1 and client.opened == 1
    request = server.requests[0]
    assert request.startswith(b"POST /bot123:ABC/getMe HTTP/1.1\r\n")
    assert b"\r\nHost: localhost:" in request and b"\r\nContent-Type: application/json\r\n" in request
    client.close()


async def test_calls_at_once_each_get_their_own_answer(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.01 * (int(body) % 3))  # answers come back out of order
        writer.write(fixed(body))
        return True

    server, url = await serve(answer)
    client = transport.HttpClient(limit=4)
    target = transport.prepare(url, "test")
    results = await asyncio.gather(*(client.post(target, b"%d" % n, 5) for n in range(20)))
    assert [body for _status, body in results] == [b"%d" % n for n in range(20)]
    assert server.connections <= 4  # never more connections than the limit
    client.close()


async def test_chunked_answer(serve: Callable[..., Awaitable[tuple[Server, str]]]) -> None:
    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (GET_ME[:10], GET_ME[10:40], GET_ME[40:]):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
            await asyncio.sleep(0.005)
        writer.write(b"0\r\n\r\n")
        return True

    server, url = await serve(answer)
    client = transport.HttpClient()
    target = transport.prepare(url, "test")
    assert await client.post(target, b"{}", 5) == (200, GET_ME)
    assert await client.post(target, b"{}", 5) == (200, GET_ME)
    assert server.connections == 1
    client.close()


async def test_answer_ended_by_closing(serve: Callable[..., Awaitable[tuple[Server, str]]]) -> None:
    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nupstream down")
        return False  # no length: the answer ends when the connection does

    server, url = await serve(answer)
    client = transport.HttpClient()
    target = transport.prepare(url, "test")
    assert await client.post(target, b"{}", 5) == (502, b"upstream down")
    assert await client.post(target, b"{}", 5) == (502, b"upstream down")
    assert server.connections == 2  # not reused


async def test_connection_close_is_honoured(serve: Callable[..., Awaitable[tuple[Server, str]]]) -> None:
    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(fixed(GET_ME, b"Connection: close\r\n"))
        await writer.drain()
        return False

    server, url = await serve(answer)
    client = transport.HttpClient()
    target = transport.prepare(url, "test")
    for _ in range(3):
        assert await client.post(target, b"{}", 5) == (200, GET_ME)
    assert server.connections == 3


async def test_silent_server_times_out_and_the_connection_is_not_reused(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    calls = 0

    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(1.0)  # too late: the client gave up
            writer.write(fixed(b'{"late":true}'))
            return True
        writer.write(fixed(GET_ME))
        return True

    server, url = await serve(answer)
    client = transport.HttpClient()
    target = transport.prepare(url, "test")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await client.post(target, b"{}", 0.2)
    assert 0.15 < loop.time() - started < 0.9
    await asyncio.wait_for(server.closed_by_client.wait(), 3)  # the timed-out connection was closed
    # the next call never reads the late answer of the first
    assert await client.post(target, b"{}", 5) == (200, GET_ME)
    assert server.connections == 2
    client.close()


@pytest.mark.parametrize("fast_paths", [True, False], ids=["transport", "aiohttp"])
async def test_server_dropping_the_connection_is_a_network_error_for_the_bot(
    serve: Callable[..., Awaitable[tuple[Server, str]]], fast_paths: bool
) -> None:
    """Whichever client the bot uses, a cut answer is a network error (which the outbox retries)."""
    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"ok"')  # cut short
        return False

    _server, url = await serve(answer)
    base = url.rsplit("/bot", 1)[0]
    settings = Settings(_env_file=None, bot_token="123:ABC", telegram_api_url=base, fast_paths=fast_paths)  # type: ignore[call-arg]
    bot = create_bot(settings, retry_replies=False)
    try:
        with pytest.raises(TelegramNetworkError, match="connection closed" if fast_paths else "payload"):
            await bot.get_me()
    finally:
        await bot.session.close()


async def test_idle_connection_dropped_by_the_server_is_replaced(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(fixed(GET_ME))
        await writer.drain()
        return body != b"last"  # the server closes an idle connection after this one

    server, url = await serve(answer)
    client = transport.HttpClient()
    target = transport.prepare(url, "test")
    assert await client.post(target, b"last", 5) == (200, GET_ME)
    await asyncio.sleep(0.05)  # the close reaches the client while the connection is idle
    assert await client.post(target, b"{}", 5) == (200, GET_ME)
    assert server.connections == 2
    client.close()


async def test_old_idle_connection_is_not_reused(
    serve: Callable[..., Awaitable[tuple[Server, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(fixed(GET_ME))
        return True

    server, url = await serve(answer)
    client = transport.HttpClient()
    target = transport.prepare(url, "test")
    await client.post(target, b"{}", 5)
    monkeypatch.setattr(transport, "IDLE_SECONDS", 0.0)
    await client.post(target, b"{}", 5)
    assert server.connections == 2
    await asyncio.wait_for(server.closed_by_client.wait(), 2)  # the stale one was closed
    client.close()


async def test_nothing_listening_is_a_transport_error() -> None:
    sock_server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = sock_server.sockets[0].getsockname()[1]
    sock_server.close()
    await sock_server.wait_closed()
    client = transport.HttpClient()
    with pytest.raises(transport.TransportError, match="cannot connect"):
        await client.post(transport.prepare(f"http://127.0.0.1:{port}/x", "test"), b"{}", 5)


async def test_tls_checks_the_certificate(serve: Callable[..., Awaitable[tuple[Server, str]]]) -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)

    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(fixed(GET_ME))
        return True

    server, url = await serve(answer, server_ctx)
    assert url.startswith("https://")
    target = transport.prepare(url, "test")

    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    client = transport.HttpClient(ssl_context=trusting)
    assert await client.post(target, b"{}", 5) == (200, GET_ME)
    assert await client.post(target, b"{}", 5) == (200, GET_ME)
    assert server.connections == 1
    client.close()

    default = transport.HttpClient()  # certifi's roots do not know this test CA
    with pytest.raises(transport.TransportError, match="cannot connect: SSLCertVerificationError"):
        await default.post(target, b"{}", 5)


def test_prepare_builds_the_request_head() -> None:
    target = transport.prepare("https://api.telegram.org/bot1:A/sendMessage", "ua")
    assert (target.scheme, target.host, target.port) == ("https", "api.telegram.org", 443)
    assert target.head.startswith(b"POST /bot1:A/sendMessage HTTP/1.1\r\nHost: api.telegram.org\r\n")
    assert target.head.endswith(b"Content-Length: ")
    local = transport.prepare("http://[::1]:8081/bot1:A/getMe", "ua")
    assert (local.host, local.port) == ("::1", 8081) and b"Host: [::1]:8081\r\n" in local.head
    with pytest.raises(ValueError):
        transport.prepare("ftp://example.org/x", "ua")


async def test_waiting_for_a_free_connection_counts_in_the_timeout(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    """With every connection busy, a call gives up after its own timeout instead of waiting for a
    connection to be free first."""
    release = asyncio.Event()

    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        await release.wait()
        writer.write(fixed(GET_ME))
        return True

    _server, url = await serve(answer)
    client = transport.HttpClient(limit=1)
    target = transport.prepare(url, "test")
    first = asyncio.create_task(client.post(target, b"{}", 10))
    await asyncio.sleep(0.05)
    with pytest.raises(TimeoutError):
        await client.post(target, b"{}", 0.2)
    assert not first.done()  # the second call did not wait for the first one to finish
    release.set()
    status, body = await first
    assert (status, body) == (200, GET_ME)
    client.close()


async def _start_proxy(scheme: str) -> tuple[asyncio.subprocess.Process, int]:
    """A real proxy server (pproxy), as a municipal network would have, on a free local port."""
    import socket
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pproxy", "-l", f"{scheme}://127.0.0.1:{port}", "-v",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    await asyncio.wait_for(proc.stdout.readline(), 10)  # "Serving on …"
    return proc, port


@pytest.mark.parametrize("scheme", ["http", "socks5"])
async def test_calls_go_through_the_configured_proxy(
    serve: Callable[..., Awaitable[tuple[Server, str]]], scheme: str
) -> None:
    """PEAM_TELEGRAM_PROXY: every Bot API call goes through the proxy; with the proxy down the calls
    fail (as a network error, which the outbox retries) although Telegram itself is up."""

    async def answer(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(fixed(GET_ME))
        return True

    server, url = await serve(answer)
    base = url.rsplit("/bot", 1)[0]
    proc, port = await _start_proxy(scheme)
    settings = Settings(
        _env_file=None, bot_token="123:ABC", telegram_api_url=base, telegram_proxy=f"{scheme}://127.0.0.1:{port}"
    )  # type: ignore[call-arg]
    bot = create_bot(settings, retry_replies=False)
    try:
        me = await bot.get_me()
        assert me.username == "peam_bot" and server.requests
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 5)
        assert f"-> localhost:{base.rsplit(':', 1)[1]}".encode() in line  # the proxy carried it
        proc.kill()
        await proc.wait()
        await bot.session.close()  # no kept-alive tunnel: the next call needs the proxy again
        with pytest.raises(TelegramNetworkError):
            await bot.get_me()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await bot.session.close()
