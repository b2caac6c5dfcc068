"""Stack configuration: what `Pulumi.<stack>.yaml` may say, parsed and checked in one place.

The Pulumi engine hands a program its config as a flat map of `namespace:key` to strings, with
objects, numbers and booleans JSON-encoded. `parse_stack_config` takes exactly that shape, and
`load_stack_file` turns a `Pulumi.<stack>.yaml` file into it, so the program and the scripts read
the same settings the same way.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.model.spec import PITR_PERIOD_RANGE, ModelError

PROJECT = "dynamodb-tables"
PROD_ENVIRONMENT = "prod"
ENVIRONMENT_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
# Prefix and suffix wrap a base table name, so they may use only characters a table name allows.
AFFIX_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{0,64}$")
TAG_VALUE_PATTERN = re.compile(r"^[\w .:/=+\-@]{0,256}$")


@dataclass(frozen=True)
class FamilySettings:
    """One family's settings in one stack, after stack-wide defaults are applied."""

    prefix: str
    suffix: str
    existing_tables: frozenset[str] | None  # None: none exist; empty set never occurs
    adopt_all: bool
    tags: dict[str, str]
    kms_key_arn: str | None
    deletion_protection: bool
    pitr_enabled: bool
    pitr_recovery_period_days: int

    def is_existing(self, table_key: str) -> bool:
        return self.adopt_all or (self.existing_tables is not None and table_key in self.existing_tables)


@dataclass(frozen=True)
class StackSettings:
    stack: str
    environment: str
    protect: bool
    families: dict[str, FamilySettings] = field(default_factory=dict)

    @property
    def is_prod(self) -> bool:
        return self.environment == PROD_ENVIRONMENT


MISSING = object()


def config_error(stack: str, key: str, given: object, allowed: str) -> ModelError:
    # Values print as JSON, the way they read in YAML (false, not False); a missing key as "nothing".
    shown = "nothing" if given is MISSING else json.dumps(given, default=str)
    return ModelError(f"stack '{stack}', config key '{PROJECT}:{key}': given {shown}; allowed: {allowed}")


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Reader:
    """Typed access to one stack's config values, each failure naming the key and the stack."""

    def __init__(self, stack: str) -> None:
        self.stack = stack

    def fail(self, key: str, given: object, allowed: str) -> ModelError:
        return config_error(self.stack, key, given, allowed)

    def string(self, key: str, value: Any, pattern: re.Pattern[str] | None = None, rule: str = "") -> str:
        if not isinstance(value, str):
            raise self.fail(key, value, "a string" + (f" of {rule}" if rule else ""))
        if pattern is not None and not pattern.match(value):
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

    def kms_arn(self, key: str, value: Any) -> str:
        text = self.string(key, value)
        if not re.match(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$", text):
            raise self.fail(key, text, "a customer-managed KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
        return text

    def tags(self, key: str, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(key, value, "a map of tag names to string values")
        for name, tag_value in value.items():
            if not isinstance(tag_value, str) or not TAG_VALUE_PATTERN.match(tag_value):
                raise self.fail(f"{key}.{name}", tag_value, "a string of up to 256 letters, digits, spaces or _.:/=+-@")
        return dict(value)

    def mapping(self, key: str, value: Any, allowed_keys: list[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, value, f"a map with keys {', '.join(allowed_keys)}")
        for sub in value:
            if sub not in allowed_keys:
                raise self.fail(f"{key}.{sub}", value[sub],
                                f"one of the keys {', '.join(allowed_keys)}{_suggest(sub, allowed_keys)}")
        return value


TOP_LEVEL_KEYS = ["environment", "families", "deletionProtection", "protect", "pointInTimeRecovery",
                  "pitrRecoveryPeriodDays", "kmsKeyArn", "tags"]
REQUIRED_KEYS = ["environment", "families", "deletionProtection", "protect"]
FAMILY_KEYS = ["prefix", "suffix", "existing", "tags", "kmsKeyArn",
               "deletionProtection", "pointInTimeRecovery", "pitrRecoveryPeriodDays"]
DEFAULT_PITR_DAYS = 35


def _decode(raw: Mapping[str, str], stack: str) -> dict[str, Any]:
    """Our namespace's values, decoded from the engine's string encoding."""
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            continue
        if key not in TOP_LEVEL_KEYS:
            raise config_error(stack, key, text, f"one of the keys {', '.join(TOP_LEVEL_KEYS)}"
                               f"{_suggest(key, TOP_LEVEL_KEYS)}")
        if key in ("environment", "kmsKeyArn"):
            values[key] = text
            continue
        try:
            values[key] = json.loads(text)
        except json.JSONDecodeError:
            values[key] = text  # left as a string; the typed reader reports it
    return values


def parse_stack_config(raw: Mapping[str, str], stack: str, known_families: list[str]) -> StackSettings:
    values = _decode(raw, stack)
    read = _Reader(stack)
    for key in REQUIRED_KEYS:
        if key not in values:
            raise config_error(stack, key, MISSING, "a value; this key is required")

    environment = read.string("environment", values["environment"], ENVIRONMENT_PATTERN,
                              "lower-case letters, digits and hyphens, starting with a letter")
    is_prod = environment == PROD_ENVIRONMENT
    deletion_protection = read.boolean("deletionProtection", values["deletionProtection"])
    protect = read.boolean("protect", values["protect"])
    if is_prod and not protect:
        raise read.fail("protect", False, "true in the prod environment")
    if is_prod and not deletion_protection:
        raise read.fail("deletionProtection", False, "true in the prod environment")
    # PITR can be switched off for throwaway stacks; the policy pack forbids that everywhere it runs.
    pitr_enabled = read.boolean("pointInTimeRecovery", values.get("pointInTimeRecovery", True))
    pitr_days = read.period("pitrRecoveryPeriodDays", values.get("pitrRecoveryPeriodDays", DEFAULT_PITR_DAYS))
    kms_key_arn = read.kms_arn("kmsKeyArn", values["kmsKeyArn"]) if "kmsKeyArn" in values else None
    stack_tags = read.tags("tags", values.get("tags", {}))

    families_value = values["families"]
    if not isinstance(families_value, dict) or not families_value:
        raise read.fail("families", families_value, f"a map with one or more of {', '.join(known_families)}")
    families: dict[str, FamilySettings] = {}
    for family, body in families_value.items():
        if family not in known_families:
            raise read.fail(f"families.{family}", body,
                            f"one of {', '.join(known_families)}{_suggest(family, known_families)}")
        where = f"families.{family}"
        body = read.mapping(where, {} if body is None else body, FAMILY_KEYS)
        family_protection = read.boolean(f"{where}.deletionProtection",
                                         body.get("deletionProtection", deletion_protection))
        if is_prod and not family_protection:
            raise read.fail(f"{where}.deletionProtection", False, "true in the prod environment")
        existing = body.get("existing", False)
        if not (isinstance(existing, bool) or (isinstance(existing, list)
                                                and all(isinstance(t, str) for t in existing))):
            raise read.fail(f"{where}.existing", existing, "true, false, or a list of table keys")
        families[family] = FamilySettings(
            prefix=read.string(f"{where}.prefix", body.get("prefix", ""), AFFIX_PATTERN,
                               "up to 64 characters of [A-Za-z0-9_.-]"),
            suffix=read.string(f"{where}.suffix", body.get("suffix", ""), AFFIX_PATTERN,
                               "up to 64 characters of [A-Za-z0-9_.-]"),
            existing_tables=frozenset(existing) if isinstance(existing, list) and existing else None,
            adopt_all=existing is True,
            tags={**stack_tags, **read.tags(f"{where}.tags", body.get("tags", {}))},
            kms_key_arn=(read.kms_arn(f"{where}.kmsKeyArn", body["kmsKeyArn"])
                         if "kmsKeyArn" in body else kms_key_arn),
            deletion_protection=family_protection,
            pitr_enabled=read.boolean(f"{where}.pointInTimeRecovery", body.get("pointInTimeRecovery", pitr_enabled)),
            pitr_recovery_period_days=read.period(f"{where}.pitrRecoveryPeriodDays",
                                                  body.get("pitrRecoveryPeriodDays", pitr_days)),
        )
    return StackSettings(stack=stack, environment=environment, protect=protect, families=families)


def engine_encoding(config: Mapping[str, Any]) -> dict[str, str]:
    """Encode YAML config values the way the Pulumi engine passes them to a program."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_names(project_dir: Path) -> list[str]:
    """Every stack that has a `Pulumi.<stack>.yaml` in the project, sorted."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def load_stack_file(project_dir: Path, stack: str) -> dict[str, str]:
    """A stack file's config in the engine's encoding. Raises ModelError naming the file."""
    path = stack_file(project_dir, stack)
    if not path.is_file():
        available = stack_names(project_dir)
        raise ModelError(f"stack '{stack}': no file {path.name} in {project_dir}; stacks here: "
                         f"{', '.join(available) or 'none'}")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ModelError(f"{path.name}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ModelError(f"{path.name}: expected a mapping with a 'config' map at the top")
    return engine_encoding(document.get("config") or {})
