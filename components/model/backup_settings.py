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
