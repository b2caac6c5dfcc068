"""Point-in-time restores of declared tables, and the drill that rehearses them.

A restore (RestoreTableToPointInTime) always makes a NEW table and never changes its source. The
new table has the source's keys, indexes and items, and the encryption and billing the request
overrides; it does NOT have the source's TTL, point-in-time recovery, tags, stream or deletion
protection. `restore_table` puts those back from the table model, then checks the result with
the same comparison as `tables drift` and counts the items of both tables.

`run_drill` does that for each table of a stack into scratch tables it marks with a tag, records
how long each step took, and deletes exactly the scratch tables it created.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from components.model.plan import TablePlan
from scripts.aws import DynamoDBClient, describe_table, endpoint_of, error_code, find_table, translate
from scripts.drift import Difference, compare
from scripts.errors import ToolError
from scripts.live import is_unsupported, read_live
from scripts.schema_files import TableSchema, declared_schema
from scripts.table_settings import SETTINGS, setting_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TableDescriptionTypeDef

logger = logging.getLogger(__name__)

RESTORED_INFIX = "-restored-"
DRILL_INFIX = "-drill-"
# The drill tags each scratch table with this key and the run's id, and deletes only tables that
# this run restored and that carry its id (or, if the run failed before tagging, no drill tag at all).
DRILL_TAG = "dynamodb-tables:restore-drill"

Progress = Callable[[str], None]  # a status line for the progress display
TABLE_NAME_MAX = 255  # DynamoDB's limit (components/model/spec.py NAME_PATTERN)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def scratch_name(source: str, infix: str, moment: datetime) -> str:
    """`<source><infix><UTC timestamp>`, the source cut short if needed to stay a valid name."""
    suffix = f"{infix}{utc_stamp(moment)}"
    return source[:TABLE_NAME_MAX - len(suffix)] + suffix


class StopRequestedError(Exception):
    """The drill was interrupted: the table's work stops at its next step or status check."""


def _checkpoint(stopping: threading.Event | None) -> None:
    if stopping is not None and stopping.is_set():
        raise StopRequestedError()


@dataclass(frozen=True)
class RestoreWindow:
    earliest: datetime
    latest: datetime

    def text(self) -> str:
        return f"{iso(self.earliest)} to {iso(self.latest)}"


def _pitr_unsupported(client: DynamoDBClient) -> ToolError:
    return ToolError("PitrUnsupported", f"{endpoint_of(client)} does not support point-in-time recovery "
                                        "(DescribeContinuousBackups: UnknownOperationException), so it cannot "
                                        "restore; use AWS, or the moto engine (tables local up --engine moto)",
                     where=endpoint_of(client))


def require_pitr_support(client: DynamoDBClient, table: str) -> None:
    """Refuse an endpoint without PITR (DynamoDB Local) once, before any table's work."""
    try:
        client.describe_continuous_backups(TableName=table)
    except ClientError as error:
        if is_unsupported(error):
            raise _pitr_unsupported(client) from None
        # Anything else (a missing table) is that table's own failure, reported with it.


def restore_window(client: DynamoDBClient, table: str) -> RestoreWindow:
    """The source's PITR window; one line refusing an endpoint without PITR or a table with PITR off."""
    try:
        backups = client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    except ClientError as error:
        if is_unsupported(error):
            raise _pitr_unsupported(client) from None
        raise
    pitr = backups.get("PointInTimeRecoveryDescription", {})
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED" or "EarliestRestorableDateTime" not in pitr:
        raise ToolError("PitrDisabled", f"table '{table}' has point-in-time recovery "
                                        f"{str(pitr.get('PointInTimeRecoveryStatus', 'DISABLED')).lower()} at "
                                        f"{endpoint_of(client)}, so it has no restore points; turn it on (pulumi up, "
                                        "or tables create) and restore from a time after that", where=table)
    return RestoreWindow(pitr["EarliestRestorableDateTime"], pitr["LatestRestorableDateTime"])


def precise_times(*moments: datetime) -> list[str]:
    """The moments in ISO 8601 UTC with as many fractional digits as they need (none, milliseconds or
    microseconds), the same for all: a time that is outside a window never prints as equal to its ends."""
    if all(m.microsecond == 0 for m in moments):
        spec = "seconds"
    elif all(m.microsecond % 1000 == 0 for m in moments):
        spec = "milliseconds"
    else:
        spec = "microseconds"
    return [m.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z") for m in moments]


def check_time(window: RestoreWindow, when: datetime, table: str) -> None:
    if not window.earliest <= when <= window.latest:
        given, earliest, latest = precise_times(when, window.earliest, window.latest)
        raise ToolError("OutsideRestoreWindow", f"--to-time {given} is outside the restore window of table "
                                                f"'{table}': {earliest} to {latest}; pick a time in it, or --latest",
                        where=table)


def count_items(client: DynamoDBClient, table: str) -> int:
    """Items counted by a paginated Scan (Select=COUNT): ItemCount in DescribeTable lags by up to six hours."""
    return sum(page["Count"] for page in client.get_paginator("scan").paginate(TableName=table, Select="COUNT"))


@dataclass
class ItemCount:
    """A table's items as counted at one time, with the expiry of those that have a TTL.

    TTL deletes expired items in the background, within days of their expiry, in the source and in
    the restored copy alike, at different moments. So two counts taken hours apart agree only on the
    items that had not expired by the later one: `alive_at` gives that number.
    """

    without_expiry: int
    expiries: list[float]

    def alive_at(self, epoch_seconds: float) -> int:
        return self.without_expiry + sum(1 for expiry in self.expiries if expiry > epoch_seconds)


def count_with_expiry(client: DynamoDBClient, table: str, ttl_attribute: str | None) -> ItemCount:
    """Every item, and the TTL expiry (epoch seconds) of those whose TTL attribute is a number."""
    if not ttl_attribute:
        return ItemCount(count_items(client, table), [])
    without, expiries = 0, []
    pages = client.get_paginator("scan").paginate(TableName=table, ProjectionExpression="#ttl",
                                                  ExpressionAttributeNames={"#ttl": ttl_attribute})
    for page in pages:
        for item in page.get("Items", []):
            number = item.get(ttl_attribute, {}).get("N")  # TTL ignores an attribute that is not a Number
            if number is None:
                without += 1
            else:
                expiries.append(float(number))
    return ItemCount(without, expiries)


def wait_until_active(client: DynamoDBClient, table: str, timeout: float, poll_interval: float,
                      progress: Progress, stopping: threading.Event | None = None) -> TableDescriptionTypeDef:
    """Poll DescribeTable until the table is ACTIVE. A restore reports CREATING for minutes to hours,
    depending on the table's size, so each check is shown rather than a silent waiter."""
    started = time.monotonic()
    while True:
        description = describe_table(client, table)
        status = description["TableStatus"]
        elapsed = int(time.monotonic() - started)
        progress(f"{table}: {status} ({elapsed}s)")
        if status == "ACTIVE":
            return description
        if status not in ("CREATING", "UPDATING"):
            raise ToolError("RestoreFailed", f"table '{table}' went {status} instead of ACTIVE", where=table)
        if elapsed >= timeout:
            raise ToolError("Timeout", f"table '{table}' is still {status} after {timeout:g}s; DynamoDB goes on with "
                                       "it: check again with tables drift, or wait longer with --timeout", where=table)
        if stopping is not None and stopping.wait(poll_interval):
            raise StopRequestedError()
        if stopping is None:
            time.sleep(poll_interval)


def _restore_request(declared: TableSchema, source: str, target: str, to_time: datetime | None) -> dict[str, Any]:
    create = declared.create
    request: dict[str, Any] = {
        "SourceTableName": source,
        "TargetTableName": target,
        "BillingModeOverride": create["BillingMode"],
        "SSESpecificationOverride": create["SSESpecification"],
    }
    if "ProvisionedThroughput" in create:
        request["ProvisionedThroughputOverride"] = create["ProvisionedThroughput"]
    if to_time is None:
        request["UseLatestRestorableTime"] = True
    else:
        request["RestoreDateTime"] = to_time
    return request


# Refusals that only say the new table is not ready for a step yet: the step is asked again, with
# backoff, until the timeout. AWS often answers the first UpdateContinuousBackups on a table that has
# just become ACTIVE with "Backups are being enabled for the table"; Terraform's provider retries
# exactly that (hashicorp/terraform-provider-aws, internal/service/dynamodb/table.go, updatePITR).
# ResourceInUse: another update of the table is still under way; LimitExceeded: too many tables
# are being created or updated at once in the account (a drill restores several in parallel).
TRANSIENT_PUT_BACK_ERRORS = (
    ("ContinuousBackupsUnavailableException", "Backups are being enabled"),
    ("ResourceInUseException", ""),
    ("LimitExceededException", "Subscriber limit exceeded"),
)
PUT_BACK_BACKOFF_CAP = 30.0  # seconds between two attempts at most


def is_transient(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return any(error_code(error) == code and fragment in message for code, fragment in TRANSIENT_PUT_BACK_ERRORS)


def _retrying(step: str, table: str, call: Callable[[], Any], timeout: float, poll_interval: float,
              progress: Progress, stopping: threading.Event | None) -> Any:
    """One put-back step, asked again with capped exponential backoff while the table is not ready for it."""
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            return call()
        except ClientError as error:
            if not is_transient(error):
                raise
            waited = time.monotonic() - started
            if waited >= timeout:
                raise ToolError("Timeout", f"{table}: {step} was still refused after {timeout:g}s "
                                           f"({error_code(error)}); run the restore's put-back again "
                                           "later, or wait longer with --timeout", where=table) from None
            delay = min(PUT_BACK_BACKOFF_CAP, max(poll_interval, 0.05) * 2 ** attempt, timeout - waited)
            attempt += 1
            progress(f"{table}: {step} refused for now ({error_code(error)}); asking again in {delay:.1f}s")
            if stopping is not None and stopping.wait(delay):
                raise StopRequestedError() from None
            if stopping is None:
                time.sleep(delay)


def _update_table(client: DynamoDBClient, table: str, timeout: float, poll_interval: float, progress: Progress,
                  stopping: threading.Event | None, **changes: Any) -> None:
    # One UpdateTable change at a time, each waited to ACTIVE: DynamoDB refuses an update while another runs.
    _retrying(f"UpdateTable ({', '.join(changes)})", table, lambda: client.update_table(TableName=table, **changes),
              timeout, poll_interval, progress, stopping)
    wait_until_active(client, table, timeout, poll_interval, progress, stopping)


@dataclass(frozen=True)
class _PutBack:
    """What one put-back step needs: the restored table, the declared one, and which settings differ."""

    client: DynamoDBClient
    declared: TableSchema
    target: str
    arn: str
    differing: set[str]
    update_table: Callable[..., None]  # one UpdateTable, waited to ACTIVE (asked again while not ready)
    retry: Callable[..., Any]  # (step name, call): a call asked again while the table is not ready for it


def _billing(step: _PutBack) -> str:
    create = step.declared.create
    changes: dict[str, Any] = {"BillingMode": create["BillingMode"]}
    if "ProvisionedThroughput" in create:
        changes["ProvisionedThroughput"] = create["ProvisionedThroughput"]
    step.update_table(**changes)
    return f"billing mode {create['BillingMode']} (the endpoint ignored BillingModeOverride)"


def _capacity(step: _PutBack) -> str | None:
    throughput = step.declared.create.get("ProvisionedThroughput")
    if throughput is None or "billingMode" in step.differing:
        return None  # the billing mode's own update carried it
    step.update_table(ProvisionedThroughput=throughput)
    return f"capacity {throughput['ReadCapacityUnits']} read, {throughput['WriteCapacityUnits']} write"


def _table_class(step: _PutBack) -> str:
    step.update_table(TableClass=step.declared.create["TableClass"])
    return f"table class {step.declared.create['TableClass']}"


def _stream(step: _PutBack) -> str | None:
    stream = step.declared.create.get("StreamSpecification") or {}
    if not stream.get("StreamEnabled"):
        return None
    step.update_table(StreamSpecification=stream)
    return f"stream {stream['StreamViewType']}"


def _ttl(step: _PutBack) -> str | None:
    attribute = step.declared.ttl_attribute
    if not attribute:
        return None
    ttl: Any = {"AttributeName": attribute, "Enabled": True}
    step.retry("UpdateTimeToLive", call=lambda: step.client.update_time_to_live(
        TableName=step.target, TimeToLiveSpecification=ttl))
    return f"TTL on {attribute}"


def _pitr(step: _PutBack) -> str | None:
    declared = step.declared
    if not declared.pitr_enabled:
        return None
    specification: dict[str, Any] = {"PointInTimeRecoveryEnabled": True}
    if declared.pitr_days:
        specification["RecoveryPeriodInDays"] = declared.pitr_days
    step.retry("UpdateContinuousBackups", call=lambda: step.client.update_continuous_backups(
        TableName=step.target, PointInTimeRecoverySpecification=specification))  # type: ignore[arg-type]
    return f"point-in-time recovery ({declared.pitr_days} days)" if declared.pitr_days else "point-in-time recovery"


def _tags(step: _PutBack) -> str | None:
    tags = step.declared.create.get("Tags") or []
    if not tags:
        return None
    step.retry("TagResource", call=lambda: step.client.tag_resource(ResourceArn=step.arn, Tags=tags))
    return f"{len(tags)} tags"


def _deletion_protection(step: _PutBack) -> str | None:
    if not step.declared.create.get("DeletionProtectionEnabled"):
        return None
    step.update_table(DeletionProtectionEnabled=True)
    return "deletion protection"


def _table_guard(shape: str, words: str) -> Callable[[_PutBack], str | None]:
    def put(step: _PutBack) -> str | None:
        units = step.declared.create.get(shape)
        if not units:
            return None
        step.update_table(**{shape: units})
        return words
    return put


def _index_guard(shape: str, words: str) -> Callable[[_PutBack], str | None]:
    def put(step: _PutBack) -> str | None:
        updates = [{"Update": {"IndexName": index["IndexName"], shape: index[shape]}}
                   for index in step.declared.create.get("GlobalSecondaryIndexes") or [] if index.get(shape)]
        if not updates:
            return None
        step.update_table(GlobalSecondaryIndexUpdates=updates)
        return f"{words} of {len(updates)} indexes"
    return put


# Per registry setting (scripts/table_settings.py), how a restored table gets it back. The rest travel in
# the restore request itself: keys, indexes (with their capacity), encryption (SSESpecificationOverride).
PUT_BACK: dict[str, Callable[[_PutBack], str | None]] = {
    "billingMode": _billing, "capacity": _capacity, "tableClass": _table_class, "stream": _stream, "ttl": _ttl,
    "pitr": _pitr, "tags": _tags, "deletionProtection": _deletion_protection,
    "onDemandMaximum": _table_guard("OnDemandThroughput", "on-demand maximum"),
    "warmThroughput": _table_guard("WarmThroughput", "warm throughput"),
    "globalIndexes.onDemandMaximum": _index_guard("OnDemandThroughput", "on-demand maximum"),
    "globalIndexes.warmThroughput": _index_guard("WarmThroughput", "warm throughput"),
}
CARRIED_BY_RESTORE = frozenset({"keys", "localIndexes", "globalIndexes", "globalIndexes.capacity", "encryption",
                                "encryption.kmsKey"})


def put_back(client: DynamoDBClient, declared: TableSchema, target: str, extra_tags: dict[str, str],
             timeout: float, poll_interval: float, progress: Progress,
             stopping: threading.Event | None = None, applied: list[str] | None = None) -> list[str]:
    """Apply to `target` what the model declares and a restore does not carry; returns what was applied.

    Only differences are applied, so a setting the restore did carry is left alone. Deletion
    protection comes first: the restored table may hold the only good copy of the data, so it is
    protected before anything else can fail. Each step is asked again while AWS says the new table
    is not ready for it (TRANSIENT_PUT_BACK_ERRORS), until the timeout.
    """
    live = read_live(client, target)
    if live is None:
        raise ToolError("TableNotFound", f"restored table '{target}' disappeared before its settings were put back",
                        where=target)
    tags = [{"Key": key, "Value": value} for key, value in extra_tags.items()]
    if tags:  # the drill's marker first: whatever fails later, the table is recognisably the drill's
        client.tag_resource(ResourceArn=live.arn, Tags=tags)  # type: ignore[arg-type]
    differing = {setting_of(d.field).field for d in compare(declared, live)}
    applied = [] if applied is None else applied  # the caller's list shows what was done if a later step fails
    step = _PutBack(client, declared, target, live.arn, differing,
                    functools.partial(_update_table, client, target, timeout, poll_interval, progress, stopping),
                    functools.partial(_retrying, table=target, timeout=timeout, poll_interval=poll_interval,
                                      progress=progress, stopping=stopping))
    # The registry's order, deletion protection first.
    for setting in sorted(SETTINGS, key=lambda s: s.field != "deletionProtection"):
        if setting.field in differing and setting.field in PUT_BACK:
            done = PUT_BACK[setting.field](step)
            if done:
                applied.append(done)
    return applied


@dataclass
class Verification:
    differences: list[Difference]
    unsupported: list[str]
    notes: list[str]


def verify(client: DynamoDBClient, declared: TableSchema, target: str, sse_ignored: bool,
           ignore_tags: Sequence[str] = ()) -> Verification:
    """The drift comparison of the restored table against the declared one; only the name may differ
    (and the drill's own marker tag)."""
    live = read_live(client, target)
    if live is None:
        raise ToolError("TableNotFound", f"restored table '{target}' disappeared before it was verified",
                        where=target)
    notes = []
    if sse_ignored:
        # Only an emulator does this (moto): AWS applies SSESpecificationOverride or refuses the request.
        live.unsupported.add("encryption")
        notes.append("encryption not checked: the endpoint ignored SSESpecificationOverride")
    ignored = {f"tags.{key}" for key in ignore_tags}
    differences = [d for d in compare(declared, live) if d.field not in ignored]
    # What the endpoint lacks altogether is listed as unsupported; an ignored override is said in its note.
    unsupported = live.unsupported - ({"encryption"} if sse_ignored else set())
    return Verification(differences, sorted(unsupported), notes)


@dataclass
class RestoreResult:
    source: str
    target: str
    restore_time: str  # the requested time, or "latest restorable time"
    window: str
    source_items: int | None = None
    restored_items: int | None = None
    put_back: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # step -> duration
    ttl_attribute: str | None = None  # counts leave out the items expired by the time they were compared

    @property
    def clean(self) -> bool:
        """Nothing differs from the declared table but the name. Item counts are compared by the drill only:
        a restore to an earlier time, or writes since, make them differ legitimately."""
        return not self.differences

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "restoreTime": self.restore_time,
                "restoreWindow": self.window, "sourceItems": self.source_items, "restoredItems": self.restored_items,
                "itemsCountedWith": "Scan Select=COUNT" if not self.ttl_attribute else
                "Scan, leaving out items whose TTL had passed when the restored table was counted",
                "putBack": self.put_back,
                "differences": [{"field": d.field, "declared": d.declared, "live": d.live} for d in self.differences],
                "unsupported": self.unsupported, "notes": self.notes,
                "seconds": {step: round(s, 3) for step, s in self.seconds.items()}}


@contextlib.contextmanager
def _timed(result: RestoreResult, step: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        result.seconds[step] = time.monotonic() - started


def _target_exists(client: DynamoDBClient, target: str, hint: str) -> ToolError:
    return ToolError("TargetExists", f"target table '{target}' already exists at {endpoint_of(client)}; a restore "
                                     f"never overwrites a table: {hint}", where=target)


def restore_table(client: DynamoDBClient, plan: TablePlan, target: str, to_time: datetime | None, *,
                  timeout: float, poll_interval: float, progress: Progress, extra_tags: dict[str, str] | None = None,
                  stopping: threading.Event | None = None, taken_hint: str = "choose another --target",
                  on_created: Callable[[RestoreResult], None] | None = None) -> RestoreResult:
    """Restore `plan`'s table into `target`, put back what a restore drops, verify and count.

    The source is only read (DescribeTable, DescribeContinuousBackups, Scan). `on_created` is called
    as soon as the restore request succeeded, so a caller can clean up whatever happens next.
    """
    declared = declared_schema(plan)
    source = plan.name
    describe_table(client, source)
    window = restore_window(client, source)
    if to_time is not None:
        check_time(window, to_time, source)
    if find_table(client, target) is not None:
        raise _target_exists(client, target, taken_hint)
    result = RestoreResult(source, target, iso(to_time) if to_time else "latest restorable time", window.text(),
                           ttl_attribute=declared.ttl_attribute)
    with _timed(result, "count source"):
        source_count = count_with_expiry(client, source, declared.ttl_attribute)
        result.source_items = source_count.alive_at(time.time())
    _checkpoint(stopping)
    with _timed(result, "restore"):
        progress(f"{target}: requesting the restore of {source}")
        try:
            response = client.restore_table_to_point_in_time(**_restore_request(declared, source, target, to_time))
        except ClientError as error:
            if error_code(error) == "TableAlreadyExistsException":  # created by someone since our check
                raise _target_exists(client, target, taken_hint) from None
            raise
        if on_created is not None:
            on_created(result)
        description = response["TableDescription"]
        wait_until_active(client, target, timeout, poll_interval, progress, stopping)
    _checkpoint(stopping)
    sse_ignored = (bool(declared.create["SSESpecification"].get("Enabled")) and "SSEDescription" not in description
                   and ".amazonaws.com" not in endpoint_of(client))
    with _timed(result, "put back"):
        put_back(client, declared, target, extra_tags or {}, timeout, poll_interval, progress, stopping,
                 applied=result.put_back)
    _checkpoint(stopping)
    with _timed(result, "verify"):
        checked = verify(client, declared, target, sse_ignored, ignore_tags=list(extra_tags or {}))
        result.differences, result.unsupported, result.notes = checked.differences, checked.unsupported, checked.notes
        # Both counts leave out what had expired by now: TTL may have deleted it from either table meanwhile.
        counted_at = time.time()
        result.restored_items = count_with_expiry(client, target, declared.ttl_attribute).alive_at(counted_at)
        result.source_items = source_count.alive_at(counted_at)
    return result


# --- the drill --------------------------------------------------------------------------------------------------

@dataclass
class DrillTable:
    key: str
    source: str
    scratch: str
    outcome: str = "not run"  # passed | failed | not run
    error: str = ""
    cleanup: str = "nothing to delete"  # deleted | remains: why | nothing to delete
    result: RestoreResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"table": self.key, "source": self.source, "scratch": self.scratch, "outcome": self.outcome,
                "error": self.error, "cleanup": self.cleanup,
                "restore": self.result.as_json() if self.result else None,
                "seconds": {step: round(s, 3) for step, s in self.seconds.items()}}


@dataclass
class DrillReport:
    stack: str
    endpoint: str
    run_id: str
    started: str
    tables: list[DrillTable]
    interrupted: bool = False
    finished: str = ""
    # Scratch tables an earlier drill left (interrupted, or killed): named here so none is forgotten.
    earlier_scratch: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[DrillTable]:
        return [t for t in self.tables if t.outcome != "passed"]

    @property
    def remaining(self) -> list[DrillTable]:
        return [t for t in self.tables if t.cleanup.startswith("remains")]

    def as_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "endpoint": self.endpoint, "runId": self.run_id, "started": self.started,
                "finished": self.finished, "interrupted": self.interrupted,
                "passed": len(self.tables) - len(self.failed), "failed": len(self.failed),
                "remainingScratchTables": [t.scratch for t in self.remaining],
                "earlierScratchTables": self.earlier_scratch,
                "tables": [t.as_json() for t in self.tables]}


def _delete_scratch(client: DynamoDBClient, table: DrillTable, run_id: str, timeout: float,
                    poll_interval: float, progress: Progress, stopping: threading.Event | None = None) -> None:
    """Delete the scratch table this run restored, after checking it is that table."""
    try:
        description = find_table(client, table.scratch)
        if description is None:
            table.cleanup = "deleted"
            return
        tags = {t["Key"]: t["Value"] for t in
                client.list_tags_of_resource(ResourceArn=description["TableArn"]).get("Tags", [])}
        if tags.get(DRILL_TAG, run_id) != run_id:
            table.cleanup = f"remains: it carries another drill's tag {DRILL_TAG}={tags[DRILL_TAG]}"
            return
        if description["TableStatus"] != "ACTIVE":
            if stopping is not None and stopping.is_set():
                # DynamoDB cannot delete a table it is still restoring, and an interrupted run must not wait hours.
                table.cleanup = (f"remains: still {description['TableStatus']} (a restore in progress cannot be "
                                 f"deleted); once ACTIVE: aws dynamodb delete-table --table-name {table.scratch}")
                return
            description = wait_until_active(client, table.scratch, timeout, poll_interval, progress)
        if description.get("DeletionProtectionEnabled"):
            client.update_table(TableName=table.scratch, DeletionProtectionEnabled=False)
            wait_until_active(client, table.scratch, timeout, poll_interval, progress)
        client.delete_table(TableName=table.scratch)
        client.get_waiter("table_not_exists").wait(TableName=table.scratch, WaiterConfig={
            "Delay": max(1, round(poll_interval)), "MaxAttempts": max(1, int(timeout / max(1, poll_interval)))})
        table.cleanup = "deleted"
    except Exception as error:  # report it and go on: the other scratch tables still need deleting
        reported = translate(error, table.scratch)
        table.cleanup = f"remains: {reported.message if reported else f'{type(error).__name__}: {error}'}"


def _drill_one(client: DynamoDBClient, plan: TablePlan, table: DrillTable, run_id: str, timeout: float,
               poll_interval: float, progress: Progress, stopping: threading.Event) -> None:
    if stopping.is_set():
        table.error = "not started: the drill was interrupted"
        return
    started = time.monotonic()
    created: list[RestoreResult] = []
    try:
        result = restore_table(client, plan, table.scratch, None, timeout=timeout, poll_interval=poll_interval,
                               progress=progress, extra_tags={DRILL_TAG: run_id}, stopping=stopping,
                               taken_hint="the drill leaves it alone; run the drill again for a new timestamp",
                               on_created=created.append)
        table.result = result
        table.seconds.update(result.seconds)
        problems = [d.text() for d in result.differences]
        if result.source_items != result.restored_items:
            problems.append(f"items: source {result.source_items}, restored {result.restored_items}")
        table.outcome = "failed" if problems else "passed"
        table.error = "; ".join(problems)
    except StopRequestedError:
        table.outcome, table.error = "failed", "interrupted"
    except Exception as error:
        reported = translate(error, table.source)
        table.outcome = "failed"
        table.error = reported.message if reported else f"{type(error).__name__}: {error}"
    finally:
        if created:
            table.result = table.result or created[0]
            table.seconds.update(created[0].seconds)
            deleting = time.monotonic()
            progress(f"{table.scratch}: deleting")
            _delete_scratch(client, table, run_id, timeout, poll_interval, progress, stopping)
            table.seconds["delete"] = time.monotonic() - deleting
        table.seconds["total"] = time.monotonic() - started


def run_drill(client: DynamoDBClient, stack: str, plans: Sequence[TablePlan], *, now: datetime,
              timeout: float, poll_interval: float, parallel: int,
              progress: Callable[[str, str], None], stopping: threading.Event | None = None) -> DrillReport:
    """Drill each plan's table; a failure on one table does not stop the others.

    Interrupted (KeyboardInterrupt, or `stopping` set), tables not started are skipped, those in
    progress stop at their next status check, and every scratch table this run made is deleted
    (or listed as remaining) before the interrupt goes on.
    """
    run_id = utc_stamp(now)
    stopping = stopping or threading.Event()
    if plans:
        require_pitr_support(client, plans[0].name)
    report = DrillReport(stack, endpoint_of(client), run_id, iso(now),
                         [DrillTable(p.spec.key, p.name, scratch_name(p.name, DRILL_INFIX, now)) for p in plans])
    report.earlier_scratch = earlier_scratch_tables(client, plans)
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures: list[Future[None]] = [
            pool.submit(_drill_one, client, plan, table, run_id, timeout, poll_interval,
                        functools.partial(progress, table.key), stopping)
            for plan, table in zip(plans, report.tables, strict=True)]
        try:
            wait(futures)
        except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM (Terminated)
            stopping.set()
            report.interrupted = True
            wait(futures)  # each worker deletes its own scratch table before it returns
            raise DrillInterruptedError(report, interrupt) from None
        finally:
            report.finished = iso(datetime.now(UTC))
    if stopping.is_set():
        report.interrupted = True
    return report


def earlier_scratch_tables(client: DynamoDBClient, plans: Sequence[TablePlan]) -> list[str]:
    """Tables named `<a drilled table>-drill-<timestamp>` that exist before this run: left by a drill that
    was killed (SIGKILL, a lost machine) before it could delete them. Listed, never deleted here: the
    run cannot tell from the name alone that nobody else uses them."""
    stamp = re.compile(r"\d{8}T\d{6}Z")
    prefixes = [p.name[:TABLE_NAME_MAX - len(DRILL_INFIX) - 16] + DRILL_INFIX for p in plans]
    found = []
    for page in client.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if any(name.startswith(prefix) and stamp.fullmatch(name[len(prefix):]) for prefix in prefixes):
                found.append(name)
    return sorted(found)


class DrillInterruptedError(Exception):
    def __init__(self, report: DrillReport, interrupt: KeyboardInterrupt | None = None) -> None:
        super().__init__("the restore drill was interrupted")
        self.report = report
        self.interrupt = interrupt or KeyboardInterrupt()


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def drill_markdown(report: DrillReport) -> str:
    passed = len(report.tables) - len(report.failed)
    notes: dict[str, list[str]] = {}  # the endpoint's limits: the same for every table, said once
    for table in report.tables:
        for note in table.result.notes if table.result else []:
            notes.setdefault(note, []).append(table.key)
    lines = [
        f"# Restore drill: stack {report.stack}",
        "",
        f"- Endpoint: {report.endpoint}",
        f"- Started: {report.started}; finished: {report.finished}" + (" (interrupted)" if report.interrupted else ""),
        f"- Result: {len(report.tables)} tables, {passed} passed, {len(report.failed)} failed",
        "- Restore point: the latest restorable time of each table; items counted with a paginated Scan "
        "(Select=COUNT), the source's just before its restore",
        f"- Scratch tables: `<table>{DRILL_INFIX}{report.run_id}`, tagged `{DRILL_TAG}={report.run_id}`; "
        + (f"{len(report.remaining)} remain: " + ", ".join(f"`{t.scratch}`" for t in report.remaining)
           if report.remaining else "all deleted"),
        *(f"- Endpoint: {note} ({len(keys)} of {len(report.tables)} tables)" for note, keys in notes.items()),
        *(["- Scratch tables of earlier drills remain (delete them by hand): "
           + ", ".join(f"`{name}`" for name in report.earlier_scratch)] if report.earlier_scratch else []),
        "",
        "| Table | Source | Result | Source items | Restored items | Count source | Restore | Put back | Verify "
        "| Delete | Total |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for table in report.tables:
        result, s = table.result, table.seconds
        lines.append(
            f"| {table.key} | `{table.source}` | {table.outcome} | "
            f"{'-' if result is None or result.source_items is None else result.source_items} | "
            f"{'-' if result is None or result.restored_items is None else result.restored_items} | "
            + " | ".join(_seconds(s.get(step)) for step in ("count source", "restore", "put back", "verify", "delete",
                                                              "total")) + " |")
    lines += ["", "## Each table", ""]
    for table in report.tables:
        result = table.result
        parts = [table.outcome + (f" ({table.error})" if table.error else "")]
        if result is not None:
            parts.append(f"put back {', '.join(result.put_back) or 'nothing'}")
            drift = "clean apart from the name" if not result.differences else "; ".join(
                d.text() for d in result.differences)
            if result.unsupported:
                drift += f" ({', '.join(result.unsupported)} not checked: unsupported by this endpoint)"
            parts.append(f"drift {drift}")
        parts.append(f"scratch table `{table.scratch}` {table.cleanup}")
        lines.append(f"- {table.key}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"
