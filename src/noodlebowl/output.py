"""One way to print an answer: stable JSON for machines, Rich for people."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from enum import Enum
from typing import Any, Callable

FORMATS = ("text", "json")


def to_jsonable(value: Any) -> Any:
    """Plain JSON types; Decimal becomes a string so no digit is lost."""
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="python"))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False)


def emit(data: Any, fmt: str, render_text: Callable[[Any], None]) -> None:
    """Print ``data`` as JSON, or hand it to ``render_text`` for a readable form."""
    if fmt == "json":
        sys.stdout.write(dumps(data) + "\n")
    else:
        render_text(data)


def console():
    from rich.console import Console
    return Console(soft_wrap=False)
