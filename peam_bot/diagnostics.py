"""What may be logged about a failure: the exception's type and where in the bot's code it was raised
— never its message or arguments, which can carry names, ids or what a resident wrote (Ley 29733)."""

from __future__ import annotations

import traceback
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def where(exc: BaseException) -> str:
    """`module:line` of the innermost frame of the bot's own code in the exception's traceback (or of
    the innermost frame at all, when none is the bot's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    own = [f for f in frames if Path(f.filename).resolve().is_relative_to(_PACKAGE)]
    frame = (own or frames)[-1]
    path = Path(frame.filename).resolve()
    name = ".".join(path.relative_to(_PACKAGE.parent).with_suffix("").parts) if own else path.name
    return f"{name}:{frame.lineno}"


def describe(exc: BaseException) -> str:
    """`TypeName at module:line`: safe to log and to store."""
    return f"{type(exc).__name__} at {where(exc)}"
