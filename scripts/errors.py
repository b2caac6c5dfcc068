"""Errors the `tables` command reports as one line, `ERROR [Kind]: what, where, what to do`, exit 2.

With `--json` the same error is also printed on stdout as
`{"error": {"kind": ..., "message": ..., "where": ...}}`.
"""

from __future__ import annotations

from typing import Any


def shown(text: object) -> str:
    """Text from outside (a name an endpoint returned, an item's key) as it may reach a terminal: every
    character that is not printable (newlines, escape sequences, bidi controls) written as its Python
    escape, so no name can clear the screen, move the cursor or fake a line of output."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def one_line(text: str, limit: int = 500) -> str:
    """Whatever a server or library said, as one line of bounded length with nothing unprintable."""
    flat = shown(" ".join(text.split()))
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


class ToolError(Exception):
    """An error with a kind (shown in brackets), a one-line message and where it happened.

    `where` names the file, stack, table, migration or endpoint concerned (empty when the message
    alone says it).
    """

    exit_code = 2

    def __init__(self, kind: str, message: str, where: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = one_line(message)
        self.where = where

    def __str__(self) -> str:
        return f"ERROR [{self.kind}]: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"error": {"kind": self.kind, "message": self.message, "where": self.where}}


class InterruptError(ToolError):
    """Stopped by SIGINT or SIGTERM after saving what it did: exit 130 for SIGINT, as a shell reports Ctrl-C,
    and 143 (128 + 15) when `signal` names SIGTERM, as for every other command (see Terminated)."""

    exit_code = 130

    def __init__(self, message: str, where: str = "", *, signal: str = "") -> None:
        super().__init__("Interrupted", message, where)
        if signal == "SIGTERM":
            self.exit_code = Terminated.exit_code


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C is, so every command's clean-up for Ctrl-C runs for it
    too (a scheduler's stop, `kill`, a container shutting down); the command then exits 143 (128 + 15)."""

    exit_code = 143


def interrupt_exit_code(interrupt: KeyboardInterrupt) -> int:
    """130 for SIGINT (Ctrl-C), 143 for SIGTERM: what a shell reports for a process each signal ended."""
    return Terminated.exit_code if isinstance(interrupt, Terminated) else InterruptError.exit_code
