"""Stack configuration: what `Pulumi.<stack>.yaml` may say, parsed and checked in one place.

The Pulumi engine hands a program its config as a flat map of `namespace:key` to strings, with
objects, numbers and booleans JSON-encoded. `parse_stack_config` takes exactly that shape, and
`load_stack_file` turns a `Pulumi.<stack>.yaml` file into it, so the program and the `tables`
command read the same settings the same way and reject the same mistakes with the same words.

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
from pathlib import Path
from typing import Any

import yaml

from components.model.spec import PITR_PERIOD_RANGE, ModelError

PROJECT = "dynamodb-tables"
# Namespaces a stack file may use besides ours: the AWS provider's and Pulumi's own.
OTHER_NAMESPACES = ("aws", "pulumi")
PROD_ENVIRONMENT = "prod"
ENVIRONMENT_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,31}")
ENVIRONMENT_RULE = "lower-case letters, digits and hyphens, starting with a letter"
# Other spellings of production would get none of prod's protections: refuse them.
PRODUCTION_ALIASES = re.compile(r"(production|prd)(-[a-z0-9-]*)?")
# Prefix and suffix wrap a base table name, so they may use only characters a table name allows.
AFFIX_PATTERN = re.compile(r"[A-Za-z0-9_.-]{0,64}")
AFFIX_RULE = "up to 64 characters of [A-Za-z0-9_.-]"
KMS_KEY_PATTERN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")
# AWS Backup's schedule: cron(minutes hours day-of-month month day-of-week year). One minute value,
# because AWS Backup runs a rule at most hourly; `?` in exactly one of day-of-month and day-of-week,
# as EventBridge cron requires.
BACKUP_CRON_PATTERN = re.compile(r"cron\((?P<minutes>[0-5]?[0-9]) (?P<hours>[0-9*,/-]+) (?P<day>[0-9*?,/LW-]+) "
                                 r"(?P<month>[0-9A-Za-z*,/-]+) (?P<weekday>[0-9A-Za-z*?,/L#-]+) "
                                 r"(?P<year>[0-9*,/-]+)\)")
BACKUP_CRON_RULE = ("an AWS Backup cron expression cron(minutes hours day-of-month month day-of-week year) with one "
                    "minute value and ? in exactly one of day-of-month and day-of-week, for example "
                    "cron(0 5 ? * * *)")
BACKUP_VAULT_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:backup:(?P<region>[a-z0-9-]+):\d{12}:backup-vault:"
                                      r"[A-Za-z0-9_-]{2,50}")
BACKUP_VAULT_ARN_RULE = "a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>)"
# CloudWatch alarm actions notify standard SNS topics (not FIFO ones).
SNS_TOPIC_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
SNS_TOPIC_ARN_RULE = "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)"

# AWS's tag rules (DynamoDB TagResource): keys 1 to 128 characters, values up to 256, letters,
# digits, spaces and _ . : / = + - @ only, no `aws:` prefix, at most 50 tags per resource.
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
TAG_PUNCTUATION = set("_.:/=+-@")
TAG_CHARACTERS = "letters, digits, spaces and _.:/=+-@"
RESERVED_TAG_PREFIX = "aws:"


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
class BackupCopy:
    """A copy of every recovery point to a vault in another region, kept for its own retention."""

    vault_arn: str
    retention_days: int


@dataclass(frozen=True)
class VaultLock:
    """AWS Backup Vault Lock: governance mode, or compliance mode once `changeable_for_days` have passed."""

    min_retention_days: int
    max_retention_days: int
    changeable_for_days: int | None


@dataclass(frozen=True)
class BackupSettings:
    """The stack's AWS Backup plan: one rule that backs up every table the stack declares."""

    schedule: str
    retention_days: int
    cold_storage_after_days: int | None = None
    copy_to: BackupCopy | None = None
    vault_lock: VaultLock | None = None


def backup_name(environment: str) -> str:
    """The name of a stack's backup vault, plan, selection and role: AWS Backup allows 50 of
    [A-Za-z0-9_-], and environments are at most 32 of [a-z0-9-]."""
    return f"dynamodb-tables-{environment}"


@dataclass(frozen=True)
class AlarmSettings:
    """CloudWatch alarms on every table's throttles and system errors, notifying one SNS topic."""

    sns_topic_arn: str
    throttled_requests: int = 10
    system_errors: int = 1
    period_seconds: int = 300
    evaluation_periods: int = 1


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

    @property
    def is_prod(self) -> bool:
        return is_production(self.environment)


MISSING = object()


def config_error(stack: str, key: str, given: object, allowed: str) -> ModelError:
    # Values print as JSON, the way they read in YAML (false, not False); a missing key as "nothing".
    # JSON also shows what a value really holds: "prod\n", not a line break.
    shown = "nothing" if given is MISSING else json.dumps(given, default=str)
    return ModelError(f"stack '{stack}', config key '{PROJECT}:{key}': given {shown}; allowed: {allowed}")


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def tag_problem(name: str, value: object) -> str | None:
    """What AWS would reject about one tag, as the `allowed` text, or None."""
    def allowed(text: str) -> bool:
        return all(ch.isalnum() or ch == " " or unicodedata.category(ch) == "Zs" or ch in TAG_PUNCTUATION
                   for ch in text)
    if not 1 <= len(name) <= MAX_TAG_KEY or not allowed(name):
        return f"tag names of 1 to {MAX_TAG_KEY} {TAG_CHARACTERS}"
    if name.lower().startswith(RESERVED_TAG_PREFIX):
        return f"a tag name not starting with '{RESERVED_TAG_PREFIX}' (AWS reserves it)"
    if not isinstance(value, str) or len(value) > MAX_TAG_VALUE or not allowed(value):
        return f"a string of up to {MAX_TAG_VALUE} {TAG_CHARACTERS}"
    return None


class _Reader:
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
                                f"one of the keys {', '.join(allowed_keys)}{_suggest(sub, allowed_keys)}")
        return value


TOP_LEVEL_KEYS = ["environment", "families", "deletionProtection", "protect", "pointInTimeRecovery",
                  "pitrRecoveryPeriodDays", "kmsKeyArn", "tags", "consumers", "backup", "alarms", "migrations"]
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
BACKUP_KEYS = ["enabled", "schedule", "retentionDays", "coldStorageAfterDays", "copyTo", "vaultLock"]
COPY_KEYS = ["vaultArn", "retentionDays"]
VAULT_LOCK_KEYS = ["minRetentionDays", "maxRetentionDays", "changeableForDays"]
MIGRATIONS_KEYS = ["maxWritesPerSecond"]
# A cap above a table's default 40,000 write units per second is still a cap for larger tables;
# a million is DynamoDB's own ceiling on a table's write throughput.
MAX_WRITES_PER_SECOND_RANGE = (1, 1_000_000)
ALARM_KEYS = ["enabled", "snsTopicArn", "throttledRequests", "systemErrors", "periodSeconds", "evaluationPeriods"]
# A prod stack keeps its recovery points at least as long as its point-in-time recovery window.
PROD_MIN_BACKUP_RETENTION_DAYS = 35
# AWS Backup keeps a recovery point in cold storage for at least 90 days before it may expire.
COLD_STORAGE_MIN_DAYS = 90
# AWS Backup Vault Lock: compliance mode needs a grace time of at least 3 days; retention up to 100 years.
VAULT_LOCK_MIN_CHANGEABLE_DAYS = 3
VAULT_LOCK_MAX_DAYS = 36500
# CloudWatch evaluates at most one day of periods for an alarm.
ALARM_MAX_EVALUATION_SECONDS = 86400


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


def _decode(raw: Mapping[str, str], stack: str) -> dict[str, Any]:
    """Our namespace's values, decoded from the engine's string encoding; other namespaces checked."""
    values: dict[str, Any] = {}
    namespaces = [PROJECT, *OTHER_NAMESPACES]
    for full_key, text in raw.items():
        namespace, colon, key = full_key.partition(":")
        if not colon:
            raise ModelError(f"stack '{stack}', config key '{full_key}': no namespace; our keys are written "
                             f"'{PROJECT}:{full_key}', the AWS provider's 'aws:{full_key}'")
        if namespace != PROJECT:
            if namespace not in namespaces:
                raise ModelError(f"stack '{stack}', config key '{full_key}': unknown namespace '{namespace}'; "
                                 f"allowed: {', '.join(namespaces)}{_suggest(namespace, namespaces)}")
            continue
        if key not in TOP_LEVEL_KEYS:
            raise config_error(stack, key, text, f"one of the keys {', '.join(TOP_LEVEL_KEYS)}"
                               f"{_suggest(key, TOP_LEVEL_KEYS)}")
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
        values[key] = value
    return values


def _import_ignore_changes(read: _Reader, key: str, value: Any, existing: object) -> dict[str, tuple[str, ...]]:
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
                                f"{_suggest(str(name), list(IMPORT_IGNORABLE_PROPERTIES))}")
        ignored[table] = tuple(sorted(set(properties)))
    return ignored


def _backup(read: _Reader, value: Any, is_prod: bool, region: str | None) -> BackupSettings | None:
    body = read.mapping("backup", value, BACKUP_KEYS)
    enabled = read.boolean("backup.enabled", body.get("enabled", False))
    if is_prod and not enabled:
        raise read.fail("backup.enabled", body.get("enabled", MISSING),
                        "true in the prod environment: every prod table is in an AWS Backup plan")
    # A switched-off plan that still says what it would do is checked as it stands, so that turning it
    # on later cannot surprise; `enabled: false` alone declares nothing.
    if not enabled and set(body) <= {"enabled"}:
        return None
    for key in ("schedule", "retentionDays"):
        if key not in body:
            raise read.fail(f"backup.{key}", MISSING, "a value; this key is required in a backup plan")
    schedule = read.string("backup.schedule", body["schedule"], BACKUP_CRON_PATTERN, BACKUP_CRON_RULE)
    fields = BACKUP_CRON_PATTERN.fullmatch(schedule)
    assert fields is not None
    if (fields["day"] == "?") == (fields["weekday"] == "?"):
        raise read.fail("backup.schedule", schedule, BACKUP_CRON_RULE)
    retention = read.whole("backup.retentionDays", body["retentionDays"], 1, "days")
    if is_prod and retention < PROD_MIN_BACKUP_RETENTION_DAYS:
        raise read.fail("backup.retentionDays", retention,
                        f"at least {PROD_MIN_BACKUP_RETENTION_DAYS} days in the prod environment")
    cold = None
    if "coldStorageAfterDays" in body:
        cold = read.whole("backup.coldStorageAfterDays", body["coldStorageAfterDays"], 1, "days")
        if retention < cold + COLD_STORAGE_MIN_DAYS:
            raise read.fail("backup.retentionDays", retention,
                            f"at least coldStorageAfterDays + {COLD_STORAGE_MIN_DAYS} = "
                            f"{cold + COLD_STORAGE_MIN_DAYS} days (AWS Backup keeps a recovery point in cold storage "
                            f"for {COLD_STORAGE_MIN_DAYS} days)")
    copy_to = None
    if "copyTo" in body:
        copy_body = read.mapping("backup.copyTo", body["copyTo"], COPY_KEYS)
        if "vaultArn" not in copy_body:
            raise read.fail("backup.copyTo.vaultArn", MISSING, "a value; this key is required in copyTo")
        vault_arn = read.string("backup.copyTo.vaultArn", copy_body["vaultArn"], BACKUP_VAULT_ARN_PATTERN,
                                BACKUP_VAULT_ARN_RULE)
        match = BACKUP_VAULT_ARN_PATTERN.fullmatch(vault_arn)
        assert match is not None
        if region is not None and match["region"] == region:
            raise read.fail("backup.copyTo.vaultArn", vault_arn,
                            f"a backup vault in another region than the stack's ({region}): a copy protects "
                            "against losing the region")
        copy_to = BackupCopy(vault_arn=vault_arn, retention_days=read.whole(
            "backup.copyTo.retentionDays", copy_body.get("retentionDays", retention), 1, "days"))
    vault_lock = None
    if "vaultLock" in body:
        lock = read.mapping("backup.vaultLock", body["vaultLock"], VAULT_LOCK_KEYS)
        for key in ("minRetentionDays", "maxRetentionDays"):
            if key not in lock:
                raise read.fail(f"backup.vaultLock.{key}", MISSING, "a value; this key is required in vaultLock")
        low = read.whole("backup.vaultLock.minRetentionDays", lock["minRetentionDays"], 1, "days",
                         VAULT_LOCK_MAX_DAYS)
        high = read.whole("backup.vaultLock.maxRetentionDays", lock["maxRetentionDays"], low, "days",
                          VAULT_LOCK_MAX_DAYS)
        if not low <= retention <= high:
            raise read.fail("backup.retentionDays", retention,
                            f"from vaultLock.minRetentionDays to vaultLock.maxRetentionDays ({low} to {high} days): "
                            "the locked vault refuses other retentions")
        changeable = None
        if "changeableForDays" in lock:
            changeable = read.whole("backup.vaultLock.changeableForDays", lock["changeableForDays"],
                                    VAULT_LOCK_MIN_CHANGEABLE_DAYS, "days", VAULT_LOCK_MAX_DAYS)
        vault_lock = VaultLock(min_retention_days=low, max_retention_days=high, changeable_for_days=changeable)
    if not enabled:
        return None
    return BackupSettings(schedule=schedule, retention_days=retention, cold_storage_after_days=cold,
                          copy_to=copy_to, vault_lock=vault_lock)


def _alarms(read: _Reader, value: Any) -> AlarmSettings | None:
    body = read.mapping("alarms", value, ALARM_KEYS)
    enabled = read.boolean("alarms.enabled", body.get("enabled", False))
    if not enabled and set(body) <= {"enabled"}:
        return None  # as with backup: switched-off settings are still checked
    if "snsTopicArn" not in body:
        raise read.fail("alarms.snsTopicArn", MISSING, "a value; this key is required for alarms")
    defaults = AlarmSettings(sns_topic_arn="")
    period = read.whole("alarms.periodSeconds", body.get("periodSeconds", defaults.period_seconds), 60, "seconds",
                        ALARM_MAX_EVALUATION_SECONDS)
    if period % 60:
        raise read.fail("alarms.periodSeconds", period, "a multiple of 60 seconds (DynamoDB reports per minute)")
    evaluations = read.whole("alarms.evaluationPeriods", body.get("evaluationPeriods", defaults.evaluation_periods),
                             1, "periods")
    if period * evaluations > ALARM_MAX_EVALUATION_SECONDS:
        raise read.fail("alarms.evaluationPeriods", evaluations,
                        f"at most {ALARM_MAX_EVALUATION_SECONDS // period} periods of {period} seconds (CloudWatch "
                        f"evaluates at most {ALARM_MAX_EVALUATION_SECONDS} seconds)")
    settings = AlarmSettings(
        sns_topic_arn=read.string("alarms.snsTopicArn", body["snsTopicArn"], SNS_TOPIC_ARN_PATTERN,
                                  SNS_TOPIC_ARN_RULE),
        throttled_requests=read.whole("alarms.throttledRequests",
                                      body.get("throttledRequests", defaults.throttled_requests), 1, "events"),
        system_errors=read.whole("alarms.systemErrors", body.get("systemErrors", defaults.system_errors), 1,
                                 "errors"),
        period_seconds=period,
        evaluation_periods=evaluations,
    )
    return settings if enabled else None


def parse_stack_config(raw: Mapping[str, str], stack: str, known_families: list[str]) -> StackSettings:
    values = _decode(raw, stack)
    read = _Reader(stack)
    for key in REQUIRED_KEYS:
        if key not in values:
            raise config_error(stack, key, MISSING, "a value; this key is required")

    environment = read.string("environment", values["environment"], ENVIRONMENT_PATTERN, ENVIRONMENT_RULE)
    if PRODUCTION_ALIASES.fullmatch(environment):
        raise read.fail("environment", environment, f"'{PROD_ENVIRONMENT}' (or {PROD_ENVIRONMENT}-<region>) for a "
                                                    "production environment: its protections are keyed on that name")
    is_prod = is_production(environment)
    if is_production(stack) and not is_prod:
        raise read.fail("environment", environment, f"'{PROD_ENVIRONMENT}' in the stack '{stack}'")
    deletion_protection = read.boolean("deletionProtection", values["deletionProtection"])
    protect = read.boolean("protect", values["protect"])
    if is_prod and not protect:
        raise read.fail("protect", False, "true in the prod environment")
    if is_prod and not deletion_protection:
        raise read.fail("deletionProtection", False, "true in the prod environment")
    # PITR can be switched off for throwaway stacks; the policy pack forbids that everywhere it runs.
    pitr_enabled = read.boolean("pointInTimeRecovery", values.get("pointInTimeRecovery", True))
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
        ignore_changes = _import_ignore_changes(read, f"{where}.importIgnoreChanges",
                                                body.get("importIgnoreChanges", {}), existing)
        family_pitr = read.boolean(f"{where}.pointInTimeRecovery", body.get("pointInTimeRecovery", pitr_enabled))
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
    backup = _backup(read, values.get("backup", {}), is_prod, raw.get("aws:region"))
    alarms = _alarms(read, values.get("alarms", {}))
    migrations = read.mapping("migrations", values.get("migrations", {}), MIGRATIONS_KEYS)
    low, high = MAX_WRITES_PER_SECOND_RANGE
    max_writes = (read.whole("migrations.maxWritesPerSecond", migrations["maxWritesPerSecond"], low,
                             "writes per second", high) if "maxWritesPerSecond" in migrations else None)
    return StackSettings(stack=stack, environment=environment, protect=protect, families=families,
                         consumers=consumers, kms_key_arn=kms_key_arn, backup=backup, alarms=alarms,
                         max_writes_per_second=max_writes)


def engine_encoding(config: Mapping[str, Any]) -> dict[str, str]:
    """Encode YAML config values the way the Pulumi engine passes them to a program."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_names(project_dir: Path) -> list[str]:
    """Every stack that has a `Pulumi.<stack>.yaml` in the project, sorted."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {seen[key].start_mark.line + 1})",
                key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_stack_file(project_dir: Path, stack: str) -> dict[str, str]:
    """A stack file's config in the engine's encoding. Raises ModelError naming the file."""
    path = stack_file(project_dir, stack)
    if not path.is_file():
        available = stack_names(project_dir)
        raise ModelError(f"stack '{stack}': no file {path.name} in {project_dir}; stacks here: "
                         f"{', '.join(available) or 'none'}")
    try:
        document = yaml.load(path.read_text(), Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ModelError(f"{path.name}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ModelError(f"{path.name}: expected a mapping with a 'config' map at the top")
    return engine_encoding(document.get("config") or {})
