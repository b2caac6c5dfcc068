"""Stack configuration: what `Pulumi.<stack>.yaml` may say, parsed and checked in one place.

The Pulumi engine hands a program its config as a flat map of `namespace:key` to strings, with
objects, numbers and booleans JSON-encoded. `parse_stack_config` takes exactly that shape, and
`load_stack_file` (components/model/stack_file.py) turns a `Pulumi.<stack>.yaml` file into it, so the
program and the `tables` command read the same settings the same way and reject the same mistakes
with the same words.

Strict on purpose: every check that protects production compares exact, validated tokens. A
value with a trailing newline (what a YAML block scalar `|` adds), a capital letter or a lookalike
character is rejected, never read as almost-`prod`.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.model.alarm_settings import AlarmSettings, parse_alarms
from components.model.backup_settings import BackupSettings, parse_backup
from components.model.capacity_settings import OnDemandMaximum, parse_on_demand_maximum
from components.model.config_reader import MISSING, PROJECT, ConfigReader, config_error, suggest
from components.model.cost_settings import CostBudget, parse_cost_budget
from components.model.spec import ModelError

# Other namespaces (the AWS provider's, Pulumi's own, `aws-native:`, `random:`, ...) belong to other
# programs and pass through, as the Pulumi CLI passes them; only a near-miss of ours is refused: a key
# under `dynamodb-table:` would be silently ignored.
NAMESPACE_TYPO_CUTOFF = 0.8
PROD_ENVIRONMENT = "prod"
ENVIRONMENT_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,31}")
ENVIRONMENT_RULE = "lower-case letters, digits and hyphens, starting with a letter"
# Other spellings of production would get none of prod's protections: refuse them.
PRODUCTION_ALIASES = re.compile(r"(production|prd)(-[a-z0-9-]*)?")
# A stack whose name says production (prod, prod-eu, prod1, prodeu, production, PRD, ...) must be
# the prod environment: people and scripts go by the stack name.
PRODUCTION_STACK_NAME = re.compile(r"(prod|prd)", re.IGNORECASE)
# What the Pulumi CLI makes of an unquoted YAML date (Go's time.Time.String(); components/model/
# stack_file.py): the program receives this text, never the date as written.
ENGINE_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})? "
                              r"[+-][0-9]{4} (UTC|[+-][0-9]{4})")
UNLIMITED = "unlimited"
# Prefix and suffix wrap a base table name, so they may use only characters a table name allows.
AFFIX_PATTERN = re.compile(r"[A-Za-z0-9_.-]{0,64}")
AFFIX_RULE = "up to 64 characters of [A-Za-z0-9_.-]"


def named_like_production(stack: str) -> bool:
    """A stack name that starts like production in any case or width (`prod1`, `Prodeu`, `production`)."""
    return PRODUCTION_STACK_NAME.match(unicodedata.normalize("NFKC", stack).strip()) is not None


def is_production(environment: str) -> bool:
    """`prod`, or a production environment of its own such as `prod-eu`: both get prod's protections."""
    return environment == PROD_ENVIRONMENT or environment.startswith(PROD_ENVIRONMENT + "-")


@dataclass(frozen=True)
class FamilySettings:
    """One family's settings in one stack, after stack-wide defaults are applied."""

    prefix: str
    suffix: str
    existing_tables: frozenset[str] | None  # None: none exist; empty set never occurs
    adopt_all: bool
    # table key -> properties the import leaves as they are live (IMPORT_IGNORABLE_PROPERTIES)
    import_ignore_changes: dict[str, tuple[str, ...]]
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
    # The services that use the tables; checked against the planned tables (components/model/access.py).
    consumers: dict[str, Any] = field(default_factory=dict)
    kms_key_arn: str | None = None
    backup: BackupSettings | None = None  # None: no AWS Backup plan (backup off)
    alarms: AlarmSettings | None = None  # None: no CloudWatch alarms (alarms off)
    # The write-rate cap `tables migrate up` applies unless --max-writes-per-second says otherwise:
    # a backfill shares the tables with the application's own traffic. None: no cap.
    max_writes_per_second: int | None = None
    cost_budget: CostBudget | None = None  # None: no budget
    on_demand_maximum: OnDemandMaximum | None = None  # None: no stack-wide maximum

    @property
    def is_prod(self) -> bool:
        return is_production(self.environment)


TOP_LEVEL_KEYS = ["environment", "families", "deletionProtection", "protect", "pointInTimeRecovery",
                  "pitrRecoveryPeriodDays", "kmsKeyArn", "tags", "consumers", "backup", "alarms", "migrations",
                  "costBudget", "onDemandMaximum"]
REQUIRED_KEYS = ["environment", "families", "deletionProtection", "protect"]
FAMILY_KEYS = ["prefix", "suffix", "existing", "importIgnoreChanges", "tags", "kmsKeyArn",
               "deletionProtection", "pointInTimeRecovery", "pitrRecoveryPeriodDays"]
# Table properties (pulumi-aws `aws.dynamodb.Table` input names) that an adoption may leave as they are
# live for the first `pulumi up`, so the import matches; the next `up` applies them. Keys, the table name
# and local indexes are absent on purpose: a difference there is a replacement, never an adoption.
IMPORT_IGNORABLE_PROPERTIES = ("attributes", "billingMode", "deletionProtectionEnabled", "globalSecondaryIndexes",
                               "pointInTimeRecovery", "readCapacity", "serverSideEncryption", "streamEnabled",
                               "streamViewType", "tableClass", "tags", "ttl", "writeCapacity")
DEFAULT_PITR_DAYS = 35
MIGRATIONS_KEYS = ["maxWritesPerSecond"]
# A cap above a table's default 40,000 write units per second is still a cap for larger tables;
# a million is DynamoDB's own ceiling on a table's write throughput.
MAX_WRITES_PER_SECOND_RANGE = (1, 1_000_000)


def _find_secure(value: Any, path: str) -> str | None:
    """The path of the first `secure:` (encrypted) value inside value, or None."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return path
        for key, sub in value.items():
            found = _find_secure(sub, f"{path}.{key}")
            if found is not None:
                return found
    return None


def _find_engine_timestamp(value: Any, path: str) -> tuple[str, str] | None:
    """The path and text of the first string inside value that is the engine's text for a YAML date."""
    if isinstance(value, str):
        return (path, value) if ENGINE_TIMESTAMP.fullmatch(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, sub in items:
        found = _find_engine_timestamp(sub, f"{path}.{key}")
        if found is not None:
            return found
    return None


def _decode(raw: Mapping[str, str], stack: str) -> dict[str, Any]:
    """Our namespace's values, decoded from the engine's string encoding; other namespaces pass through."""
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        namespace, colon, key = full_key.partition(":")
        if not colon:
            raise ModelError(f"stack '{stack}', config key '{full_key}': no namespace; our keys are written "
                             f"'{PROJECT}:{full_key}', the AWS provider's 'aws:{full_key}'")
        if namespace != PROJECT:
            if difflib.SequenceMatcher(None, namespace, PROJECT).ratio() >= NAMESPACE_TYPO_CUTOFF:
                raise ModelError(f"stack '{stack}', config key '{full_key}': unknown namespace '{namespace}' "
                                 f"(did you mean '{PROJECT}'?); this program reads only {PROJECT}:, and other "
                                 "namespaces belong to providers")
            continue
        if key not in TOP_LEVEL_KEYS:
            raise config_error(stack, key, text, f"one of the keys {', '.join(TOP_LEVEL_KEYS)}"
                               f"{suggest(key, TOP_LEVEL_KEYS)}")
        if key in ("environment", "kmsKeyArn"):
            value: Any = text
        else:
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text  # left as a string; the typed reader reports it
        # A `secure:` value reaches the program decrypted but the command sees only ciphertext; none of
        # these keys is a secret, so both refuse it, and both read the same plain value.
        if isinstance(text, str) and text.startswith('{"secure":'):
            value = json.loads(text)
        secure = _find_secure(value, key)
        if secure is not None:
            raise config_error(stack, secure, "an encrypted value", "encrypted values are not supported for "
                               f"{PROJECT}:{secure}; none of this project's keys is a secret, write it in plain text")
        timestamp = _find_engine_timestamp(value, key)
        if timestamp is not None:
            raise config_error(stack, timestamp[0], timestamp[1],
                               f"text; in Pulumi.{stack}.yaml write the date in quotes: the Pulumi CLI passes an "
                               "unquoted YAML date to the program as this timestamp text")
        values[key] = value
    return values


def _import_ignore_changes(read: ConfigReader, key: str, value: Any, existing: object) -> dict[str, tuple[str, ...]]:
    """`importIgnoreChanges: {table-key: [property, ...]}`, only for tables the family adopts."""
    if not isinstance(value, dict):
        raise read.fail(key, value, "a map of table keys to lists of table properties")
    ignored: dict[str, tuple[str, ...]] = {}
    for table, properties in value.items():
        if not (existing is True or (isinstance(existing, list) and table in existing)):
            raise read.fail(f"{key}.{table}", properties, "entries only for tables listed in existing: the option "
                                                          "adopts a live table, it never hides a difference for good")
        allowed = ", ".join(IMPORT_IGNORABLE_PROPERTIES)
        if not isinstance(properties, list) or not properties:
            raise read.fail(f"{key}.{table}", properties, f"a list of one or more of {allowed}")
        for name in properties:
            if name not in IMPORT_IGNORABLE_PROPERTIES:
                raise read.fail(f"{key}.{table}", name, f"one of {allowed}"
                                f"{suggest(str(name), list(IMPORT_IGNORABLE_PROPERTIES))}")
        ignored[table] = tuple(sorted(set(properties)))
    return ignored


def parse_stack_config(raw: Mapping[str, str], stack: str, known_families: list[str]) -> StackSettings:
    values = _decode(raw, stack)
    read = ConfigReader(stack)
    for key in REQUIRED_KEYS:
        if key not in values:
            raise config_error(stack, key, MISSING, "a value; this key is required")

    environment = read.string("environment", values["environment"], ENVIRONMENT_PATTERN, ENVIRONMENT_RULE)
    if PRODUCTION_ALIASES.fullmatch(environment):
        raise read.fail("environment", environment, f"'{PROD_ENVIRONMENT}' (or {PROD_ENVIRONMENT}-<region>) for a "
                                                    "production environment: its protections are keyed on that name")
    is_prod = is_production(environment)
    if named_like_production(stack) and not is_prod:
        raise read.fail("environment", environment, f"'{PROD_ENVIRONMENT}' in the stack '{stack}'")
    deletion_protection = read.boolean("deletionProtection", values["deletionProtection"])
    protect = read.boolean("protect", values["protect"])
    if is_prod and not protect:
        raise read.fail("protect", False, "true in the prod environment")
    if is_prod and not deletion_protection:
        raise read.fail("deletionProtection", False, "true in the prod environment")
    # PITR can be switched off for throwaway stacks; the policy pack forbids that everywhere it runs.
    pitr_enabled = read.boolean("pointInTimeRecovery", values.get("pointInTimeRecovery", True))
    if is_prod and not pitr_enabled:
        raise read.fail("pointInTimeRecovery", False, "true in the prod environment")
    pitr_days = read.period("pitrRecoveryPeriodDays", values.get("pitrRecoveryPeriodDays", DEFAULT_PITR_DAYS))
    if not pitr_enabled and "pitrRecoveryPeriodDays" in values:
        raise read.fail("pitrRecoveryPeriodDays", pitr_days,
                        "no recovery period while pointInTimeRecovery is false; remove it or turn PITR on")
    kms_key_arn = read.kms_arn("kmsKeyArn", values["kmsKeyArn"]) if "kmsKeyArn" in values else None
    stack_tags = read.tags("tags", values.get("tags", {}))

    families_value = values["families"]
    if not isinstance(families_value, dict) or not families_value:
        raise read.fail("families", families_value, f"a map with one or more of {', '.join(known_families)}")
    families: dict[str, FamilySettings] = {}
    for family, body in families_value.items():
        if family not in known_families:
            raise read.fail(f"families.{family}", body,
                            f"one of {', '.join(known_families)}{suggest(family, known_families)}")
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
        ignore_changes = _import_ignore_changes(read, f"{where}.importIgnoreChanges",
                                                body.get("importIgnoreChanges", {}), existing)
        family_pitr = read.boolean(f"{where}.pointInTimeRecovery", body.get("pointInTimeRecovery", pitr_enabled))
        if is_prod and not family_pitr:
            raise read.fail(f"{where}.pointInTimeRecovery", False, "true in the prod environment")
        family_days = read.period(f"{where}.pitrRecoveryPeriodDays", body.get("pitrRecoveryPeriodDays", pitr_days))
        if not family_pitr and "pitrRecoveryPeriodDays" in body:
            raise read.fail(f"{where}.pitrRecoveryPeriodDays", family_days,
                            "no recovery period while pointInTimeRecovery is false; remove it or turn PITR on")
        families[family] = FamilySettings(
            prefix=read.string(f"{where}.prefix", body.get("prefix", ""), AFFIX_PATTERN, AFFIX_RULE),
            suffix=read.string(f"{where}.suffix", body.get("suffix", ""), AFFIX_PATTERN, AFFIX_RULE),
            existing_tables=frozenset(existing) if isinstance(existing, list) and existing else None,
            adopt_all=existing is True,
            import_ignore_changes=ignore_changes,
            tags={**stack_tags, **read.tags(f"{where}.tags", body.get("tags", {}))},
            kms_key_arn=(read.kms_arn(f"{where}.kmsKeyArn", body["kmsKeyArn"])
                         if "kmsKeyArn" in body else kms_key_arn),
            deletion_protection=family_protection,
            pitr_enabled=family_pitr,
            pitr_recovery_period_days=family_days,
        )
    consumers = values.get("consumers", {})
    if not isinstance(consumers, dict):
        raise read.fail("consumers", consumers, "a map of consumer names to {role, access}")
    backup = parse_backup(read, values.get("backup", {}), is_prod, raw.get("aws:region"))
    alarms = parse_alarms(read, values.get("alarms", {}))
    migrations = read.mapping("migrations", values.get("migrations", {}), MIGRATIONS_KEYS)
    low, high = MAX_WRITES_PER_SECOND_RANGE
    cap = migrations.get("maxWritesPerSecond", MISSING)
    if cap is MISSING and is_prod:
        # A backfill shares prod tables with live traffic: prod says its cap, or says it has none.
        raise read.fail("migrations.maxWritesPerSecond", MISSING,
                        f"a whole number of writes per second from {low} to {high}, or '{UNLIMITED}', in the prod "
                        "environment: a backfill shares the tables with live traffic")
    max_writes = (None if cap is MISSING or cap == UNLIMITED else
                  read.whole("migrations.maxWritesPerSecond", cap, low, f"writes per second (or '{UNLIMITED}')",
                             high))
    return StackSettings(stack=stack, environment=environment, protect=protect, families=families,
                         consumers=consumers, kms_key_arn=kms_key_arn, backup=backup, alarms=alarms,
                         max_writes_per_second=max_writes,
                         cost_budget=parse_cost_budget(read, values["costBudget"]) if "costBudget" in values else None,
                         on_demand_maximum=(parse_on_demand_maximum(read, values["onDemandMaximum"])
                                            if "onDemandMaximum" in values else None))
