"""Typed reading of one stack's config values: every failure is one line naming the stack and the key.

The stack settings, the backup and the alarm settings all read their values through `ConfigReader`, so a
mistake reads the same wherever it is made.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from components.model.spec import PITR_PERIOD_RANGE, ModelError
from components.model.tags import MAX_TAGS, tag_problem

PROJECT = "dynamodb-tables"
KMS_KEY_PATTERN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")


MISSING = object()


def config_error(stack: str, key: str, given: object, allowed: str) -> ModelError:
    # Values print as JSON, the way they read in YAML (false, not False); a missing key as "nothing".
    # JSON also shows what a value really holds: "prod\n", not a line break.
    shown = "nothing" if given is MISSING else json.dumps(given, default=str)
    return ModelError(f"stack '{stack}', config key '{PROJECT}:{key}': given {shown}; allowed: {allowed}")


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""



class ConfigReader:
    """Typed access to one stack's config values, each failure naming the key and the stack."""

    def __init__(self, stack: str) -> None:
        self.stack = stack

    def fail(self, key: str, given: object, allowed: str) -> ModelError:
        return config_error(self.stack, key, given, allowed)

    def string(self, key: str, value: Any, pattern: re.Pattern[str] | None = None, rule: str = "") -> str:
        if not isinstance(value, str):
            raise self.fail(key, value, "a string" + (f" of {rule}" if rule else ""))
        # fullmatch, never match with `$`: `$` also matches before a trailing newline.
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(key, value, rule)
        return value

    def boolean(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, value, "true or false")
        return value

    def period(self, key: str, value: Any) -> int:
        low, high = PITR_PERIOD_RANGE
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, value, f"a whole number of days from {low} to {high}")
        return value

    def whole(self, key: str, value: Any, minimum: int, unit: str, maximum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
                maximum is not None and value > maximum):
            limits = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
            raise self.fail(key, value, f"a whole number of {unit} {limits}")
        return value

    def kms_arn(self, key: str, value: Any) -> str:
        return self.string(key, value, KMS_KEY_PATTERN,
                           "a customer-managed KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")

    def tags(self, key: str, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(key, value, "a map of tag names to string values")
        for name, tag_value in value.items():
            problem = tag_problem(name, tag_value)
            if problem is not None:
                raise self.fail(f"{key}.{name}", tag_value, problem)
        if len(value) > MAX_TAGS:
            raise self.fail(key, f"{len(value)} tags", f"at most {MAX_TAGS} tags on a table (AWS's limit)")
        return dict(value)

    def mapping(self, key: str, value: Any, allowed_keys: list[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, value, f"a map with keys {', '.join(allowed_keys)}")
        for sub in value:
            if sub not in allowed_keys:
                raise self.fail(f"{key}.{sub}", value[sub],
                                f"one of the keys {', '.join(allowed_keys)}{suggest(sub, allowed_keys)}")
        return value
