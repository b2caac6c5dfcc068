"""Errors the `tables` command reports as one line, `ERROR [Kind]: what, where`, and exit code 2."""

from __future__ import annotations


class ToolError(Exception):
    """An error with a kind (shown in brackets) and a one-line message that says what and where."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return f"ERROR [{self.kind}]: {self.message}"
