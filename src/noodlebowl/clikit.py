"""Pieces every sub-command shares: the --format option."""

from __future__ import annotations

from enum import Enum

import typer


class Format(str, Enum):
    text = "text"
    json = "json"


def format_option() -> Format:
    return typer.Option(Format.text, "--format", help="text (readable) or json (stable keys)")
