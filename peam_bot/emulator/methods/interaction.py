"""Answers to a user's interaction: answerCallbackQuery (a button press) and answerInlineQuery,
each once per query."""

from __future__ import annotations

import json
import time
from typing import Any

from ..checks import Checks
from ..errors import bad
from ..formatting import utf16_len
from ..state import Files, Params

_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class InteractionMethods(Checks):
    """Callback-query and inline-query answers, recorded for tests."""

    async def _m_answerCallbackQuery(self, params: Params, files: Files) -> Any:
        qid = str(params.get("callback_query_id") or "")
        info = self._callback_queries.get(qid)
        if info is None or qid in self._answered_callbacks:
            raise bad(_QUERY_TOO_OLD[len("Bad Request: ") :])
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > self.limits.max_callback_answer:
            raise bad("MESSAGE_TOO_LONG")
        self._answered_callbacks.add(qid)
        answer = {
            "callback_query_id": qid,
            "text": text,
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
            "cache_time": params.get("cache_time"),
            "user_id": info["user_id"],
            "ts": time.monotonic(),
        }
        self.callback_answers.append(answer)
        self.messages_signal.notify()
        return True

    async def _m_answerInlineQuery(self, params: Params, files: Files) -> Any:
        qid = str(params.get("inline_query_id") or "")
        if qid not in self._inline_queries or qid in self.inline_answers:
            raise bad(_QUERY_TOO_OLD[len("Bad Request: ") :])
        results = params.get("results")
        if isinstance(results, str):
            results = json.loads(results)
        if not isinstance(results, list) or len(results) > 50:
            raise bad("RESULTS_TOO_MUCH" if isinstance(results, list) else "can't parse results JSON object")
        seen: set[str] = set()
        for r in results:
            if not isinstance(r, dict) or not r.get("type") or not r.get("id"):
                raise bad("can't parse InlineQueryResult")
            if r["id"] in seen:
                raise bad("RESULT_ID_DUPLICATE")
            seen.add(r["id"])
            if "reply_markup" in r:
                self._check_markup(r["reply_markup"])
        self.inline_answers[qid] = {**params, "results": results}
        self.messages_signal.notify()
        return True
