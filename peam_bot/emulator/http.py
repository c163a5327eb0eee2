"""The emulator's HTTP side: the aiohttp app the bot calls (``/bot<token>/<method>`` and the file
endpoint), reading a call's parameters (query, form, JSON or multipart), dispatching it to its
method after the injected faults, the error answers; and the webhook deliveries to the bot, whose
replies may carry a method call too."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self

import aiohttp
from aiohttp import web

from .errors import ApiError, bad
from .models import ApiCall
from .state import EmulatorState, Fault, Files, Limits, Params, QueuedUpdate

Handler = Callable[[Params, Files], Awaitable[Any]]

# form fields that are always plain strings (never JSON-decoded)
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "photo",
        "document",
        "audio",
        "video",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "callback_query_id",
        "inline_query_id",
        "url",
        "secret_token",
        "language_code",
        "file_id",
        "title",
        "action",
        "emoji",
        "business_connection_id",
        "message_effect_id",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "description",
        "short_description",
        "name",
        "ip_address",
        "inline_message_id",
        "question",
        "address",
        "foursquare_id",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "certificate",
    }
)


class HttpLayer(EmulatorState):
    """Serves the Bot API over HTTP; a method ``fooBar`` is the coroutine ``_m_fooBar(params, files)``
    of the class (looked up case-insensitively, as Telegram does)."""

    def __init__(
        self, token: str = "123456:TEST", limits: Limits | None = None, bot_username: str = "peam_test_bot"
    ) -> None:
        super().__init__(token, limits, bot_username)
        self.base_url = ""
        self.observers: list[Callable[[str], None]] = []  # see FakeTelegram
        self._runner: web.AppRunner | None = None
        self._hanging: set[asyncio.Future[None]] = set()
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods: dict[str, Handler] = {
            name[len("_m_") :].lower(): getattr(self, name) for name in dir(self) if name.startswith("_m_")
        }

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sock = server.sockets[0]  # type: ignore[attr-defined]
        real_port = sock.getsockname()[1]
        self.base_url = f"http://{host}:{real_port}"
        self._closing = False
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.notify()
        self.changed.notify()
        for fut in list(self._hanging):
            fut.cancel()
        await self._stop_webhook_worker()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ the Bot API endpoint
    async def _read_params(self, request: web.Request) -> tuple[Params, Files]:
        raw: dict[str, Any] = {}
        files: Files = {}
        ctype = request.content_type
        if request.method == "GET" or not request.can_read_body:
            raw.update(request.query)
        elif ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                return dict(body), files
        elif ctype.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    files[part.name] = (
                        bytes(await part.read()),
                        part.filename,
                        part.headers.get("Content-Type", "application/octet-stream"),
                    )
                else:
                    raw[part.name] = await part.text()
        else:
            post = await request.post()
            for key, value in post.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.file.read(), value.filename, value.content_type)
                else:
                    raw[key] = value
            raw.update({k: v for k, v in request.query.items() if k not in raw})
        params: Params = {}
        for key, value in raw.items():
            params[key] = self._decode_field(key, value)
        return params, files

    @staticmethod
    def _decode_field(key: str, value: Any) -> Any:
        if not isinstance(value, str) or key in _STRING_FIELDS:
            return value
        if value[:1] in '{["-0123456789' or value in ("true", "false", "null"):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        try:
            params, files = await self._read_params(request)
        except (ValueError, aiohttp.ClientError) as e:
            return web.json_response(bad(f"can't parse request: {e}").payload(), status=400)
        call = ApiCall(method, params, time.monotonic())
        self.calls.append(call)
        self.changed.notify()
        try:
            result = await self._dispatch(method, params, files, call)
        except ApiError as e:
            call.status = e.code
            call.description = e.description
            self.changed.notify()
            return web.json_response(e.payload(), status=e.code)
        call.status = 200
        call.result = result
        self.changed.notify()
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, method: str, params: Params, files: Files, call: ApiCall | None = None) -> Any:
        for observer in list(self.observers):  # a copy: an observer may remove itself
            observer(method)
        fault = self._take_fault(method)
        if fault is not None:
            if fault.kind == "5xx":
                raise ApiError(502, "Bad Gateway")
            if fault.kind == "429":
                n = max(1, int(fault.retry_after))
                raise ApiError(429, f"Too Many Requests: retry after {n}", {"retry_after": n})
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._hanging.add(fut)
            try:
                await asyncio.wait_for(fut, 30.0)
            except TimeoutError:
                pass
            finally:
                self._hanging.discard(fut)
            raise ApiError(504, "Gateway Timeout")
        handler = self._methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(params, files)

    def _take_fault(self, method: str) -> Fault | None:
        m = method.lower()
        for fault in self._faults:
            if fault.method is None or fault.method == m:
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # ------------------------------------------------------------------ webhook deliveries
    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        queue, self._webhook_queue = self._webhook_queue, None
        if queue is not None:
            while not queue.empty():
                self._pending.append(QueuedUpdate(queue.get_nowait()))

    async def _webhook_worker(self) -> None:
        assert self._webhook_queue is not None
        queue = self._webhook_queue
        async with aiohttp.ClientSession() as session:
            while True:
                update = await queue.get()
                status = 0
                for attempt in range(5):
                    headers = {}
                    if self.webhook_secret:
                        headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
                    try:
                        async with session.post(
                            self.webhook_url,
                            json=update,
                            headers=headers,
                            timeout=aiohttp.ClientTimeout(total=10),
                        ) as resp:
                            status = resp.status
                            if status < 300:
                                await self._process_webhook_reply(resp)
                    except (aiohttp.ClientError, TimeoutError):
                        status = 0
                    if 200 <= status < 300:
                        break
                    await asyncio.sleep(0.05 * (2**attempt))
                self.webhook_deliveries.append((int(update["update_id"]), status))
                self.changed.notify()

    async def _process_webhook_reply(self, resp: aiohttp.ClientResponse) -> None:
        """A webhook may answer with a Bot API call ({"method": ..., ...}) as Telegram allows."""
        params: Params = {}
        files: Files = {}
        if resp.content_type == "application/json":
            body = await resp.json()
            if isinstance(body, dict):
                params = dict(body)
        elif resp.content_type.startswith("multipart/"):
            reader = aiohttp.MultipartReader.from_response(resp)
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    files[part.name] = (bytes(await part.read()), part.filename, "application/octet-stream")
                else:
                    params[part.name] = self._decode_field(part.name, await part.text())
        method = params.pop("method", None)
        if not isinstance(method, str):
            return
        call = ApiCall(method, params, time.monotonic())
        self.calls.append(call)
        try:
            call.result = await self._dispatch(method, params, files, call)
            call.status = 200
        except ApiError as e:
            call.status = e.code
            call.description = e.description
