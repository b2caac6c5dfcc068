"""Create tables from schemas, idempotently: test environments, disaster recovery, the local stack.

A missing table is created with everything CreateTable can say (keys, indexes, stream, encryption,
class, deletion protection, tags), then TTL and PITR are applied and the result is verified. An
existing table that matches is `present`. One that lacks only TTL or PITR (what a run interrupted
after CreateTable leaves behind) is `completed`. Any other difference is `drift`, reported and
left untouched: this command never changes keys, indexes or a setting someone set differently.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from scripts.aws import PARALLEL_TABLES, DynamoDBClient, endpoint_of, error_code, translate
from scripts.drift import Difference, TableDrift, table_drift
from scripts.errors import ToolError
from scripts.live import is_unsupported
from scripts.schema_files import TableSchema, checked_schema

if TYPE_CHECKING:  # boto3-stubs request shapes, for the type checker only
    from mypy_boto3_dynamodb.type_defs import PointInTimeRecoverySpecificationTypeDef, WaiterConfigTypeDef

logger = logging.getLogger(__name__)

# Settings applied after CreateTable, so a run stopped in between leaves them off.
POST_CREATE_FIELDS = {"ttl", "pitr"}
TABLE_ACTIVE_WAIT: WaiterConfigTypeDef = {"Delay": 2, "MaxAttempts": 150}


@dataclass
class CreateResult:
    table: str
    result: str  # created | present | completed | drift | would create | would complete
    notes: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def problem(self) -> bool:
        return self.result == "drift"

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "result": self.result, "notes": self.notes,
                "differences": [{"field": d.field, "declared": d.declared, "live": d.live} for d in self.differences]}


class StoppedAfterCreateError(Exception):
    """CreateTable succeeded, then a later step (the wait, TTL, PITR, the check) failed: the table exists."""

    def __init__(self, table: str, error: BaseException) -> None:
        super().__init__(str(error))
        self.table = table
        self.error = error


def _apply_settings(client: DynamoDBClient, schema: TableSchema, fields: set[str]) -> list[str]:
    notes = []
    if "ttl" in fields and schema.ttl_attribute:
        client.update_time_to_live(TableName=schema.name, TimeToLiveSpecification={
            "AttributeName": schema.ttl_attribute, "Enabled": True})
    if "pitr" in fields and schema.pitr_enabled:
        spec: PointInTimeRecoverySpecificationTypeDef = {"PointInTimeRecoveryEnabled": True}
        if schema.pitr_days:
            spec["RecoveryPeriodInDays"] = schema.pitr_days
        try:
            client.update_continuous_backups(TableName=schema.name, PointInTimeRecoverySpecification=spec)
        except ClientError as error:
            if not is_unsupported(error):
                raise
            notes.append("pitr: unsupported by this endpoint, not applied")
    return notes


def _unsupported_notes(drift: TableDrift) -> list[str]:
    return [f"{feature}: unsupported by this endpoint, not applied" for feature in drift.unsupported
            if feature != "pitr"]


def create_one(client: DynamoDBClient, schema: TableSchema, dry_run: bool = False) -> CreateResult:
    drift = table_drift(client, schema)
    if drift.state == "missing":
        if dry_run:
            return CreateResult(schema.name, "would create")
        try:
            client.create_table(**schema.create)
        except ClientError as error:
            if error_code(error) != "ResourceInUseException":
                raise
            # Another run created it between our check and our call: judge what is there now.
            logger.info("table %s appeared while creating it; re-checking", schema.name)
            client.get_waiter("table_exists").wait(TableName=schema.name, WaiterConfig=TABLE_ACTIVE_WAIT)
            return create_one(client, schema, dry_run)
        try:
            client.get_waiter("table_exists").wait(TableName=schema.name, WaiterConfig=TABLE_ACTIVE_WAIT)
            notes = _apply_settings(client, schema, POST_CREATE_FIELDS)
            verified = table_drift(client, schema)
        except Exception as error:
            raise StoppedAfterCreateError(schema.name, error) from error
        notes += _unsupported_notes(verified)
        return CreateResult(schema.name, "drift" if verified.differences else "created", notes,
                            verified.differences)

    missing_settings = {d.field for d in drift.differences if d.field in POST_CREATE_FIELDS and d.live == "off"}
    others = [d for d in drift.differences if d.field not in missing_settings]
    if others:
        return CreateResult(schema.name, "drift", ["exists with differences; left untouched"], others)
    if missing_settings:
        if dry_run:
            return CreateResult(schema.name, "would complete", [f"would apply {', '.join(sorted(missing_settings))}"])
        notes = _apply_settings(client, schema, missing_settings)
        return CreateResult(schema.name, "completed", [f"applied {', '.join(sorted(missing_settings))}", *notes])
    return CreateResult(schema.name, "present", _unsupported_notes(drift))


def create_tables(client: DynamoDBClient, schemas: Iterable[TableSchema], dry_run: bool = False) -> list[CreateResult]:
    """Create every table; if one fails, the error says what the others did before it stopped.

    Every schema is checked first (`checked_schema`), so one bad table creates nothing.
    """
    schemas = [checked_schema(schema) for schema in schemas]
    # CreateTable is asynchronous; creating several at once overlaps their waits for ACTIVE.
    pool = ThreadPoolExecutor(max_workers=PARALLEL_TABLES)
    futures = [pool.submit(create_one, client, schema, dry_run) for schema in schemas]
    try:
        wait(futures)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: start nothing more, say what was done, leave the rest
        pool.shutdown(wait=False, cancel_futures=True)
        finished = [f.result() for f in futures if f.done() and not f.cancelled() and f.exception() is None]
        counts = Counter(r.result for r in finished)
        done = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing done"
        running = sum(not f.done() for f in futures)
        print(f"create stopped: {done} of {len(schemas)} tables"
              + (f"; {running} were being created and may be left CREATING" if running else "")
              + "; run tables create again to finish (it skips what exists)", file=sys.stderr)
        raise
    pool.shutdown()
    results = [f.result() for f in futures if f.exception() is None]
    failed = [(schema, f.exception()) for schema, f in zip(schemas, futures, strict=True) if f.exception() is not None]
    if not failed:
        return results
    counts = Counter(r.result for r in results)
    # A table created before its later steps failed exists: it counts, and the message names it.
    created_only = [e.table for _, e in failed if isinstance(e, StoppedAfterCreateError)]
    if created_only:
        counts["created without TTL and PITR"] = len(created_only)
    schema, error = failed[0]
    after = ""
    if isinstance(error, StoppedAfterCreateError):
        after = f" after creating table '{error.table}' (run tables create again to finish it)"
        error = error.error
    reported = translate(error, endpoint_of(client)) if isinstance(error, Exception) else None
    reason = reported.message if reported is not None else f"{type(error).__name__}: {error}"
    done = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing done"
    also = f" (and {len(failed) - 1} more failed)" if len(failed) > 1 else ""
    raise ToolError(reported.kind if reported else type(error).__name__,
                    f"{done} of {len(schemas)} tables; stopped at {schema.source or schema.name}{after}{also}: "
                    f"{reason}", where=schema.source or schema.name)
