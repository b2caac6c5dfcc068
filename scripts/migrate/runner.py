"""Run migrations: status, validate, history and up (locked, resumable, with dry run and fan-out).

`up` takes the lock with a conditional write and a lease (renewed by a heartbeat while it runs),
then re-reads the history before deciding what is pending, as Rails does: a runner that waited
for the lock never re-applies what the previous holder finished.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.families.migration_history import FAMILY as HISTORY_FAMILY
from components.families.migration_history import migrations_table
from components.model.plan import TablePlan, find_plan
from components.model.spec import TableSpec
from scripts.aws import DynamoDBClient, endpoint_of, translate
from scripts.errors import ToolError
from scripts.migrate.backfill import Backfill, BackfillOptions, BackfillResult, Progress, run_backfill
from scripts.migrate.history import COUNTERS, History, MigrationRecord, from_item, to_item
from scripts.migrate.registry import Migration

logger = logging.getLogger(__name__)


def history_table(plans: Sequence[TablePlan], stack: str) -> str:
    plan = find_plan(plans, migrations_table)
    if plan is None:
        raise ToolError("NoHistoryTable", f"stack '{stack}' does not deploy the {HISTORY_FAMILY.key} family, which "
                                          "holds the migration history; add it to the stack's families")
    return plan.name


@dataclass
class MigrationState:
    migration_id: str
    description: str
    state: str  # pending | applied | changed | running | failed | missing
    record: MigrationRecord | None = None


def states(migrations: Sequence[Migration], records: dict[str, MigrationRecord]) -> list[MigrationState]:
    found = []
    for migration in migrations:
        record = records.get(migration.id)
        if record is None:
            state = "pending"
        elif record.status == "succeeded":
            state = "applied" if migration.matches(record.checksum) else "changed"
        else:
            state = record.status
        found.append(MigrationState(migration.id, migration.description, state, record))
    known = {m.id for m in migrations}
    found += [MigrationState(r.migration_id, r.description, "missing", r) for r in records.values()
              if r.migration_id not in known]
    return sorted(found, key=lambda s: s.migration_id)


@dataclass
class RunOptions:
    backfill: BackfillOptions = field(default_factory=BackfillOptions)
    to: str | None = None
    lock_lease_seconds: float = 60.0
    progress: Callable[[str], Progress] | None = None  # backfill name -> progress callback
    log: Callable[[str], None] = print


@dataclass
class MigrationContext:
    """What a migration's run(ctx) gets: its tables, the engine, and whether this is a dry run.

    Migrations see it through `scripts.migrate.api`; its methods are the whole of what they may use
    besides `client` (a typed boto3 DynamoDB client for anything else).
    """

    client: DynamoDBClient
    plans: Sequence[TablePlan]
    history: History
    migration_id: str
    options: RunOptions
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    consumed_capacity: float = 0.0
    backfills: list[BackfillResult] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.options.backfill.dry_run

    @property
    def complete(self) -> bool:
        """Every backfill finished every segment (false in a dry run, or while fan-out workers remain)."""
        return not self.dry_run and all(result.complete for result in self.backfills)

    def table(self, spec: TableSpec) -> str:
        """The physical name of a table of the model (e.g. `products_table`) in this stack."""
        plan = find_plan(self.plans, spec)
        if plan is None:
            raise ToolError("UnknownTable", f"migration {self.migration_id}: the stack does not deploy table "
                                            f"'{spec.key}' ({spec.base_name}); add its family to the stack")
        return plan.name

    def get_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """One item by key, read consistently, as plain Python values; None when there is none."""
        found = self.client.get_item(TableName=table, Key=to_item(key), ConsistentRead=True)
        return from_item(found["Item"]) if "Item" in found else None

    def scan(self, table: str, attributes: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every item of a table, projected to `attributes`, as plain Python values (paginated)."""
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        for page in self.client.get_paginator("scan").paginate(
                TableName=table, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names):
            for item in page.get("Items", []):
                yield from_item(item)

    def log(self, message: str) -> None:
        self.options.log(message)

    def backfill(self, spec: Backfill) -> BackfillResult:
        progress = self.options.progress(spec.name) if self.options.progress else None
        result = run_backfill(self.client, self.history, self.migration_id, spec, self.options.backfill, progress)
        self.backfills.append(result)
        for name in COUNTERS:
            self.counts[name] += result.counts[name]
        self.consumed_capacity += result.consumed_capacity
        return result


@dataclass
class RunResult:
    migration_id: str
    outcome: str  # succeeded | partial (fan-out: other segments remain) | dry-run | failed
    counts: dict[str, int]
    consumed_capacity: float
    backfills: list[BackfillResult]
    error: str = ""


class _Heartbeat:
    """Renews the lock lease while a run goes on, so only a dead runner's lock expires."""

    def __init__(self, history: History, lease_seconds: float) -> None:
        self.history, self.lease = history, lease_seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self.stopped.wait(self.lease / 3):
            try:
                self.history.renew_lock(self.lease)
            except Exception:  # the run notices at its next checkpoint; keep beating meanwhile
                logger.exception("could not renew the migration lock")

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join()


def pending(migrations: Sequence[Migration], records: dict[str, MigrationRecord], to: str | None) -> list[Migration]:
    if to is not None and to not in {m.id for m in migrations}:
        raise ToolError("UnknownMigration", f"--to {to}: no such migration; known: "
                                            f"{', '.join(m.id for m in migrations) or 'none'}")
    changed = [s.migration_id for s in states(migrations, records) if s.state == "changed"]
    if changed:
        raise ToolError("ChecksumMismatch", f"applied migration(s) {', '.join(changed)} changed since they ran; "
                                            "restore the applied source (tables migrate validate lists them)")
    selected = [m for m in migrations if records.get(m.id) is None or records[m.id].status != "succeeded"]
    return [m for m in selected if to is None or m.id <= to]


def _naming_the_migration(error: Exception, migration_id: str, endpoint: str) -> ToolError:
    """The error as one line that says which migration it stopped."""
    reported = error if isinstance(error, ToolError) else translate(error, endpoint)
    if reported is None:
        reported = ToolError(type(error).__name__, f"{type(error).__name__}: {error}")
    return ToolError(reported.kind, f"migration {migration_id}: {reported.message}", where=f"migration {migration_id}")


def run_one(client: DynamoDBClient, plans: Sequence[TablePlan], history: History, migration: Migration,
            options: RunOptions) -> RunResult:
    ctx = MigrationContext(client, plans, history, migration.id, options)
    if not ctx.dry_run:
        history.start(migration.id, migration.checksum, migration.description)
    try:
        migration.run(ctx)
    except Exception as error:
        named = _naming_the_migration(error, migration.id, endpoint_of(client))
        if not ctx.dry_run:
            history.finish(migration.id, "failed", ctx.counts, named.message)
        raise named from error
    if ctx.dry_run:
        return RunResult(migration.id, "dry-run", ctx.counts, ctx.consumed_capacity, ctx.backfills)
    if ctx.counts["failed"]:
        history.finish(migration.id, "failed", ctx.counts, f"{ctx.counts['failed']} items failed")
        return RunResult(migration.id, "failed", ctx.counts, ctx.consumed_capacity, ctx.backfills,
                         f"{ctx.counts['failed']} items failed; run up again to retry them")
    if not ctx.complete:
        return RunResult(migration.id, "partial", ctx.counts, ctx.consumed_capacity, ctx.backfills)
    history.finish(migration.id, "succeeded", ctx.counts)
    return RunResult(migration.id, "succeeded", ctx.counts, ctx.consumed_capacity, ctx.backfills)


def up(client: DynamoDBClient, plans: Sequence[TablePlan], history: History, migrations: Sequence[Migration],
       options: RunOptions) -> list[RunResult]:
    fan_out = options.backfill.segments is not None
    if options.backfill.dry_run or fan_out:
        # A dry run writes nothing; fan-out workers share a migration and claim segments instead.
        targets = pending(migrations, history.records(), options.to)
        if fan_out:
            targets = targets[:1]
        return [run_one(client, plans, history, m, options) for m in targets]
    history.acquire_lock(options.lock_lease_seconds)
    try:
        with _Heartbeat(history, options.lock_lease_seconds):
            results = []
            for migration in pending(migrations, history.records(), options.to):
                result = run_one(client, plans, history, migration, options)
                results.append(result)
                if result.outcome != "succeeded":
                    break
            return results
    finally:
        history.release_lock()
