"""Receiving updates: getUpdates (long polling, offsets, allowed_updates, one poller at a time) and
the webhook methods (setWebhook, deleteWebhook, getWebhookInfo)."""

from __future__ import annotations

import asyncio
import copy
import re
import time
from typing import Any

from ..errors import ApiError, bad
from ..http import HttpLayer
from ..state import DEFAULT_ALLOWED_UPDATES, Files, Params

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class UpdateMethods(HttpLayer):
    """getUpdates and the webhook methods (the deliveries themselves are the HTTP layer's)."""

    async def _m_getUpdates(self, params: Params, files: Files) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.notify()  # an older long poll (if any) is terminated
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if offset > 0:
                self._pending = [
                    q for q in self._pending if not (q.delivered and q.update["update_id"] < offset)
                ]
            self._pending = [q for q in self._pending if self._update_type(q.update) in self._allowed]
            if self._pending:
                batch = self._pending[:limit]
                for q in batch:
                    q.delivered = True
                return [copy.deepcopy(q.update) for q in batch]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return []
            await self._updates_signal.wait(remaining)

    @staticmethod
    def _update_type(update: dict[str, Any]) -> str:
        for key in update:
            if key != "update_id":
                return key
        return ""

    async def _m_setWebhook(self, params: Params, files: Files) -> Any:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise bad("secret token contains unallowed characters")
        if url and not re.match(r"^https?://\S+$", url):
            raise bad("bad webhook: invalid webhook URL specified")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if not url:
            await self._stop_webhook_worker()
            self.webhook_url = ""
            self.webhook_secret = None
            return True
        self.webhook_url = url
        self.webhook_secret = str(secret) if secret else None
        if self._webhook_task is None:
            self._webhook_queue = asyncio.Queue()
            for q in self._pending:
                self._webhook_queue.put_nowait(q.update)
            self._pending.clear()
            self._webhook_task = asyncio.create_task(self._webhook_worker())
        self._poll_generation += 1
        self._updates_signal.notify()
        return True

    async def _m_deleteWebhook(self, params: Params, files: Files) -> Any:
        await self._stop_webhook_worker()
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _m_getWebhookInfo(self, params: Params, files: Files) -> Any:
        pending = self._webhook_queue.qsize() if self._webhook_queue is not None else len(self._pending)
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if self.webhook_url:
            info["max_connections"] = 40
            info["allowed_updates"] = sorted(self._allowed)
        return info
