"""Error answers of the fake Bot API: what a method raises, and how it goes back on the wire."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad(description: str) -> ApiError:
    """A 400 answer: ``Bad Request: <description>``."""
    return ApiError(400, f"Bad Request: {description}")
