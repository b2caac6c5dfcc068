"""The stack's AWS Backup plan: what `dynamodb-tables:backup` may say, parsed and checked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from components.model.config_reader import MISSING, ConfigReader

# AWS Backup's schedule: cron(minutes hours day-of-month month day-of-week year). One minute value,
# because AWS Backup runs a rule at most hourly; `?` in exactly one of day-of-month and day-of-week,
# as EventBridge cron requires.
BACKUP_CRON_PATTERN = re.compile(r"cron\((?P<minutes>[0-5]?[0-9]) (?P<hours>[0-9*,/-]+) (?P<day>[0-9*?,/LW-]+) "
                                 r"(?P<month>[0-9A-Za-z*,/-]+) (?P<weekday>[0-9A-Za-z*?,/L#-]+) "
                                 r"(?P<year>[0-9*,/-]+)\)")
BACKUP_CRON_RULE = ("an AWS Backup cron expression cron(minutes hours day-of-month month day-of-week year) with one "
                    "minute value and ? in exactly one of day-of-month and day-of-week, for example "
                    "cron(0 5 ? * * *)")
# Each field's values, as AWS documents cron expressions (EventBridge User Guide, "Cron expressions";
# AWS Backup uses the same six fields): name, low, high, the names it accepts, and the special
# characters beyond , - * / that it allows.
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
CRON_FIELDS = (("minutes", 0, 59, ()), ("hours", 0, 23, ()), ("day-of-month", 1, 31, ()),
               ("month", 1, 12, MONTH_NAMES), ("day-of-week", 1, 7, WEEKDAY_NAMES), ("year", 1970, 2199, ()))
CRON_SHAPE = re.compile(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)")
BACKUP_VAULT_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:backup:(?P<region>[a-z0-9-]+):\d{12}:backup-vault:"
                                      r"[A-Za-z0-9_-]{2,50}")
BACKUP_VAULT_ARN_RULE = "a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>)"
BACKUP_KEYS = ["enabled", "schedule", "retentionDays", "coldStorageAfterDays", "copyTo", "vaultLock"]
COPY_KEYS = ["vaultArn", "retentionDays"]
VAULT_LOCK_KEYS = ["minRetentionDays", "maxRetentionDays", "changeableForDays"]
# A prod stack keeps its recovery points at least as long as its point-in-time recovery window.
PROD_MIN_BACKUP_RETENTION_DAYS = 35
# AWS Backup keeps a recovery point in cold storage for at least 90 days before it may expire.
COLD_STORAGE_MIN_DAYS = 90
# AWS Backup Vault Lock: compliance mode needs a grace time of at least 3 days; retention up to 100 years.
VAULT_LOCK_MIN_CHANGEABLE_DAYS = 3
VAULT_LOCK_MAX_DAYS = 36500


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


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.upper() in names:
        return names.index(text.upper()) + 1
    return int(text) if text.isascii() and text.isdigit() and low <= int(text) <= high else None


def _cron_part_problem(part: str, index: int) -> str | None:
    """Why one comma-separated part of cron field `index` is not what AWS accepts, or None."""
    name, low, high, names = CRON_FIELDS[index]
    rule = f"{low} to {high}" + (f" or {names[0]}-{names[-1]}" if names else "")
    if index == 2 and (re.fullmatch(r"L|LW|[0-9]{1,2}W", part)):
        return None if part in ("L", "LW") or _cron_value(part[:-1], low, high, ()) is not None else (
            f"{name}: {part!r} is not a day of 1 to 31 before W")
    if index == 4 and re.fullmatch(r"L|[0-9A-Za-z]{1,3}L|[0-9A-Za-z]{1,3}#[1-5]", part):
        day = part.rstrip("L").split("#")[0]
        return None if part == "L" or _cron_value(day, low, high, names) is not None else (
            f"{name}: {part!r} is not a day of the week ({rule})")
    base, slash, step = part.partition("/")
    if slash and not (step.isascii() and step.isdigit() and 1 <= int(step) <= high):
        return f"{name}: step {step!r} in {part!r} is not 1 to {high}"
    if base == "*":
        return None
    start, dash, end = base.partition("-")
    for value in (start, end) if dash else (start,):
        if _cron_value(value, low, high, names) is None:
            return f"{name}: {value!r} is not in {rule}"
    return None


def cron_problem(schedule: str) -> str | None:
    """What AWS would refuse in a backup schedule, field by field, or None."""
    shape = CRON_SHAPE.fullmatch(schedule)
    if shape is None:
        return "six fields inside cron(...)"
    fields = shape.groups()
    if not re.fullmatch(r"[0-9]{1,2}", fields[0]):
        return f"minutes: one value from 0 to 59 (AWS Backup runs a rule at most hourly), not {fields[0]!r}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "? in exactly one of day-of-month and day-of-week"
    for index, field_text in enumerate(fields):
        if field_text == "?" and index in (2, 4):
            continue
        for part in field_text.split(","):
            problem = _cron_part_problem(part, index)
            if problem is not None:
                return problem
    return None


def backup_name(environment: str) -> str:
    """The name of a stack's backup vault, plan, selection and role: AWS Backup allows 50 of
    [A-Za-z0-9_-], and environments are at most 32 of [a-z0-9-]."""
    return f"dynamodb-tables-{environment}"



def parse_backup(read: ConfigReader, value: Any, is_prod: bool, region: str | None) -> BackupSettings | None:
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
    problem = cron_problem(schedule)
    if problem is not None:
        raise read.fail("backup.schedule", schedule, f"{BACKUP_CRON_RULE} ({problem})")
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
