"""Run migrations: status, validate, history and up (locked, resumable, with dry run and fan-out).

`up` takes the lock with a conditional write and a lease (renewed by a heartbeat while it runs),
then re-reads the history before deciding what is pending, as Rails does: a runner that waited
for the lock never re-applies what the previous holder finished.

Outcomes are honest: `succeeded` only after every segment is done and the migration verified
itself; `partial` only for a fan-out worker whose share is done while others work; `incomplete`
(exit 1) when a run that should have done everything left segments to another live runner;
`interrupted` and `failed` are recorded with why, and the next `up` resumes them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from components.families.migration_history import FAMILY as HISTORY_FAMILY
from components.families.migration_history import migrations_table
from components.model.plan import TablePlan, find_plan
from components.model.spec import TableSpec
from scripts.aws import DynamoDBClient, endpoint_of, translate
from scripts.errors import InterruptError, Terminated, ToolError
from scripts.item_codec import from_item, to_item
from scripts.live import is_unsupported
from scripts.migrate.backfill import Backfill, BackfillOptions, BackfillResult, Progress, run_backfill
from scripts.migrate.history import COUNTERS, Capacity, History, LeaseLostError, MigrationRecord, clock
from scripts.migrate.registry import Migration
from scripts.migrate.writes import probe_statements
from scripts.prewarm import PlannedRate, warm_warning

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
    state: str  # pending | applied | changed | missing, or an unfinished record's status (running, failed, ...)
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


UNFINISHED = ("pending", "running", "failed", "interrupted", "incomplete")  # what `up` would run


@dataclass
class RunOptions:
    backfill: BackfillOptions = field(default_factory=BackfillOptions)
    to: str | None = None
    lock_lease_seconds: float = 60.0
    progress: Callable[[str], Progress] | None = None  # backfill name -> progress callback
    log: Callable[[str], None] = print
    probe_client: DynamoDBClient | None = None  # few retries: a probe that fails should fail fast
    fan_out: bool = False  # this runner is one worker of several, with its share in backfill.segments
    undo_point: bool = True  # refuse to write to a table without point-in-time recovery
    stack: str = ""  # names the stack in the printed undo command
    planned_rate: PlannedRate | None = None  # the writes a second the cap allows, set against warm throughput
    warm_checked: set[str] = field(default_factory=set)  # tables already set against it in this run


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
    started_at: str = ""  # the migration's first start: the undo point
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    consumed_capacity: float = 0.0
    backfills: list[BackfillResult] = field(default_factory=list)
    undo: list[str] = field(default_factory=list)  # the commands that would undo this migration's writes
    capacity: Capacity = field(default_factory=Capacity)  # the item reads and writes of every backfill
    _undo_checked: set[str] = field(default_factory=set)
    _verifier: bool | None = None
    _writes: Any = None  # the hook that holds this migration's own writes to the stop signal

    @property
    def dry_run(self) -> bool:
        return self.options.backfill.dry_run

    @property
    def complete(self) -> bool:
        """Every backfill finished every segment, and this runner is the one to verify the result.

        False in a dry run and while fan-out workers remain; when several workers finish at once,
        true for exactly one of them.
        """
        if self.dry_run or not all(result.complete for result in self.backfills):
            return False
        if self._verifier is None:
            with self._writes.engine() if self._writes else nullcontext():
                self._verifier = self.history.claim_verification(self.migration_id)
        return self._verifier

    def table(self, spec: TableSpec) -> str:
        """The physical name of a table of the model (e.g. `products_table`) in this stack.

        A migration names its tables before it touches them, so this is where each gets its undo point.
        """
        plan = find_plan(self.plans, spec)
        if plan is None:
            raise ToolError("UnknownTable", f"migration {self.migration_id}: the stack does not deploy table "
                                            f"'{spec.key}' ({spec.base_name}); add its family to the stack")
        if not self.dry_run:
            self._undo_point(plan.name)
        return plan.name

    def get_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """One item by key, read consistently, as plain Python values; None when there is none."""
        found = self.client.get_item(TableName=table, Key=to_item(key), ConsistentRead=True,
                                     ReturnConsumedCapacity="TOTAL")
        self.capacity.add(found.get("ConsumedCapacity"), "read")
        return from_item(found["Item"]) if "Item" in found else None

    def scan(self, table: str, attributes: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every item of a table, projected to `attributes`, as plain Python values (paginated)."""
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        for page in self.client.get_paginator("scan").paginate(
                TableName=table, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names,
                ReturnConsumedCapacity="TOTAL"):
            self.capacity.add(page.get("ConsumedCapacity"), "read")  # a verification's reads are the run's cost
            for item in page.get("Items", []):
                yield from_item(item)

    def log(self, message: str) -> None:
        self.options.log(message)

    def backfill(self, spec: Backfill) -> BackfillResult:
        if not self.dry_run:
            self._undo_point(spec.table)  # at once when the migration named it through table()
            self._warm_enough(spec.table)
        progress = self.options.progress(spec.name) if self.options.progress else None
        with self._writes.engine() if self._writes else nullcontext():
            result = run_backfill(self.client, self.history, self.migration_id, spec, self.options.backfill,
                                  progress)
        self.backfills.append(result)
        for name in COUNTERS:
            self.counts[name] += result.counts[name]
        self.consumed_capacity += result.consumed_capacity
        self.capacity.add_units(result.capacity.read, result.capacity.write)
        if self.options.backfill.stop.is_set():
            raise InterruptError(f"migration {self.migration_id}: stopped by {stop_reason(self.options)} during "
                                 f"backfill {spec.name}; {self.progress_so_far()}; checkpoints saved, leases "
                                 "released; run tables migrate up again to resume",
                                 where=f"migration {self.migration_id}", signal=self.options.backfill.stop.reason)
        return result

    def progress_so_far(self) -> str:
        return ", ".join(f"{name} {self.counts[name]:,}" for name in COUNTERS) + " in this run"

    def _undo_point(self, table: str) -> None:
        """Writing needs a way back: point-in-time recovery on, and the time to restore to, printed."""
        if table in self._undo_checked:
            return
        self._undo_checked.add(table)
        try:
            described = self.client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        except ClientError as error:
            if not is_unsupported(error):
                raise
            self.log(f"{endpoint_of(self.client)} has no point-in-time recovery: no undo point for {table}")
            return
        status = (described.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
        if status != "ENABLED" and self.options.undo_point:
            # The runner puts "migration <id>:" in front, as for every error of a migration.
            raise ToolError("NoUndoPoint", f"point-in-time recovery is off on {table}, so nothing could undo this "
                                           "migration's writes; turn it on (the stack's pointInTimeRecovery) or pass "
                                           "--no-undo-point to write anyway", where=table)
        if status != "ENABLED":
            self.log(f"point-in-time recovery is off on {table}: writing without an undo point (--no-undo-point)")
            return
        command = (f"tables restore --stack {self.options.stack or '<stack>'} --table {self._key_of(table)} "
                   f"--to-time {self.started_at}")
        self.undo.append(command)
        self.log(f"to undo: restore {table} to {self.started_at}: {command}")

    def _warm_enough(self, table: str) -> None:
        """Says once a run when the backfill's planned write rate is above the table's warm throughput."""
        planned, checked = self.options.planned_rate, self.options.warm_checked
        plan = next((p for p in self.plans if p.name == table), None)
        if planned is None or plan is None or table in checked:
            return
        checked.add(table)
        warning = warm_warning(self.client, plan, planned, self.options.stack or "<stack>")
        if warning:
            self.log(warning)

    def _key_of(self, table: str) -> str:
        return next((plan.spec.key for plan in self.plans if plan.name == table), table)


def stop_reason(options: RunOptions) -> str:
    return options.backfill.stop.reason or "a stop request"


@dataclass
class RunResult:
    migration_id: str
    # succeeded | partial (a fan-out worker: others remain) | incomplete (segments left to another runner)
    # | dry-run | failed
    outcome: str
    counts: dict[str, int]
    consumed_capacity: float
    backfills: list[BackfillResult]
    error: str = ""
    undo: list[str] = field(default_factory=list)
    write_api: str = ""
    capacity: Capacity = field(default_factory=Capacity)  # item reads and writes
    record_capacity: Capacity = field(default_factory=Capacity)  # the runner's own records (history table)

    @property
    def writes(self) -> int:
        return sum(b.writes for b in self.backfills)

    @property
    def write_rate(self) -> float:
        elapsed = sum(b.elapsed for b in self.backfills)
        return self.writes / elapsed if elapsed > 0 else 0.0


class _Heartbeat:
    """Renews the lock (when held) and every held segment's lease while a run goes on, so only a
    dead runner's leases expire, however long one page takes under a low write cap."""

    def __init__(self, history: History, lease_seconds: float, lock: bool) -> None:
        self.history, self.lease, self.lock = history, lease_seconds, lock
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self.stopped.wait(self.lease / 3):
            try:
                if self.lock:
                    self.history.renew_lock(self.lease)
                self.history.renew_segments(self.lease)
            except LeaseLostError:
                return  # the run stops at its next step: every segment checks history.lost
            except Exception:  # the run notices at its next checkpoint; keep beating meanwhile
                logger.warning("could not renew the migration leases", exc_info=logger.isEnabledFor(logging.DEBUG))

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


def _held_segments(backfills: Sequence[BackfillResult]) -> str:
    held = [(segment, holder, until) for b in backfills for segment, holder, until in b.segments_held]
    return "; ".join(f"segment {segment} held by {holder or 'another runner'} until {clock(until)}"
                     for segment, holder, until in sorted(held))


# The calls that write; what a migration sends itself (outside the engine) is held to the stop signal.
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
                              "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"})


class _MigrationWrites:
    """Refuses a migration's own writes once the run is stopping or lost its lease.

    The engine stops between its requests by itself; a migration's earlier writes (a default
    creator, say) go through this hook on the client, so a stop before the backfill stops them too.
    Only the thread running the migration is held: the engine's record writes still save progress.
    """

    def __init__(self, client: DynamoDBClient, options: RunOptions, history: History) -> None:
        self.options, self.history = options, history
        self.migration_id = ""
        self.local = threading.local()
        client.meta.events.register("before-parameter-build.dynamodb", self._check)

    def _check(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if not getattr(self.local, "guarded", False) or model.name not in WRITE_OPERATIONS:
            return
        if model.name == "ExecuteStatement" and str(params.get("Statement", "")).lstrip().upper().startswith("SELECT"):
            return
        if self.history.lost.is_set():
            raise LeaseLostError(self.history.lost_to)
        if self.options.backfill.stop.is_set():
            raise InterruptError(f"migration {self.migration_id}: stopped by {stop_reason(self.options)} before its "
                                 f"{model.name}; nothing written after the stop; run tables migrate up again to "
                                 "resume", where=f"migration {self.migration_id}",
                                 signal=self.options.backfill.stop.reason)

    @contextmanager
    def guarding(self, migration_id: str) -> Iterator[None]:
        self.migration_id = migration_id
        self.local.guarded = True
        try:
            yield
        finally:
            self.local.guarded = False

    @contextmanager
    def engine(self) -> Iterator[None]:
        """The engine's own calls on this thread (its record writes) are not the migration's."""
        guarded = getattr(self.local, "guarded", False)
        self.local.guarded = False
        try:
            yield
        finally:
            self.local.guarded = guarded


def _exited(error: BaseException, migration_id: str) -> ToolError:
    """A migration that called sys.exit or raised SystemExit/KeyboardInterrupt, as one line."""
    where = f"migration {migration_id}"
    if isinstance(error, KeyboardInterrupt):
        return InterruptError(f"migration {migration_id}: interrupted (KeyboardInterrupt in the migration); "
                              "checkpoints saved; run tables migrate up again to resume", where=where,
                              signal="SIGTERM" if isinstance(error, Terminated) else "")
    code = error.code if isinstance(error, SystemExit) else None
    return ToolError("MigrationExited", f"migration {migration_id}: run() called sys.exit({code!r}); a migration "
                                        "returns when it is done and raises to fail; recorded as failed", where=where)


def run_one(client: DynamoDBClient, plans: Sequence[TablePlan], history: History, migration: Migration,
            options: RunOptions, guard: _MigrationWrites | None = None) -> RunResult:
    ctx = MigrationContext(client, plans, history, migration.id, options)
    ctx._writes = guard
    if not ctx.dry_run:
        if options.backfill.stop.is_set():
            raise InterruptError(f"migration {migration.id}: stopped by {stop_reason(options)} before it started; "
                                 "nothing written; run tables migrate up again to go on",
                                 where=f"migration {migration.id}", signal=options.backfill.stop.reason)
        ctx.started_at = history.start(migration.id, migration.checksum, migration.description)

    def result(outcome: str, error: str = "") -> RunResult:
        return RunResult(migration.id, outcome, ctx.counts, ctx.consumed_capacity, ctx.backfills, error, ctx.undo,
                         options.backfill.write_api or "", ctx.capacity, history.capacity)

    def ended(status: str, message: str) -> None:
        if not ctx.dry_run:
            mine = history.finish(migration.id, status, message, ctx.started_at)
            ctx.counts.update(mine)

    try:
        with guard.guarding(migration.id) if guard else nullcontext():
            migration.run(ctx)
    except LeaseLostError:
        raise  # nothing of this run's records may be written any more
    except (SystemExit, KeyboardInterrupt) as error:
        if history.lost.is_set():
            raise LeaseLostError(history.lost_to) from None
        named = _exited(error, migration.id)
        ended("interrupted" if isinstance(named, InterruptError) else "failed", named.message)
        raise named from None
    except Exception as error:
        if history.lost.is_set():
            raise LeaseLostError(history.lost_to) from None
        named = error if isinstance(error, InterruptError) else _naming_the_migration(error, migration.id,
                                                                                  endpoint_of(client))
        ended("interrupted" if isinstance(named, InterruptError) else "failed", named.message)
        raise named from error
    if history.lost.is_set():
        raise LeaseLostError(history.lost_to)
    if ctx.dry_run:
        return result("dry-run")
    if ctx.counts["failed"]:
        message = f"{ctx.counts['failed']} items failed; run up again to retry them"
        ended("failed", message)
        return result("failed", message)
    if not ctx.complete:
        if options.fan_out:
            ended("partial", "")
            return result("partial")
        held = _held_segments(ctx.backfills) or "another worker is verifying it"
        message = f"not finished: {held}; run tables migrate up again when that runner is done or its lease expired"
        ended("incomplete", message)
        return result("incomplete", message)
    ended("succeeded", "")
    return result("succeeded")


def _choose_write_api(client: DynamoDBClient, history: History, options: RunOptions) -> None:
    """Probe the endpoint before the first write, unless the write API was forced (--write-api)."""
    if options.backfill.write_api is not None:
        return
    path = probe_statements(options.probe_client or client, history.table, history.me)
    options.backfill.write_api = path.api
    if path.note:
        options.log(path.note)


def up(client: DynamoDBClient, plans: Sequence[TablePlan], history: History, migrations: Sequence[Migration],
       options: RunOptions) -> list[RunResult]:
    if options.backfill.dry_run:
        return [run_one(client, plans, history, m, options) for m in pending(migrations, history.records(), options.to)]
    take_lock = not options.fan_out  # fan-out workers share a migration and claim segments instead
    guard = _MigrationWrites(client, options, history)
    if take_lock:
        history.acquire_lock(options.lock_lease_seconds)
    try:
        with _Heartbeat(history, options.lock_lease_seconds, lock=take_lock):
            _choose_write_api(client, history, options)
            targets = pending(migrations, history.records(), options.to)
            if options.fan_out:
                targets = targets[:1]  # every worker must be on the same migration: the first unfinished one
            results: list[RunResult] = []
            for migration in targets:
                if options.backfill.stop.is_set():
                    done = ", ".join(r.migration_id for r in results) or "none"
                    raise InterruptError(f"stopped by {stop_reason(options)} before migration {migration.id} "
                                         f"(finished in this run: {done}); run tables migrate up again to go on",
                                         signal=options.backfill.stop.reason)
                result = run_one(client, plans, history, migration, options, guard)
                results.append(result)
                if result.outcome != "succeeded":
                    break
            return results
    finally:
        if take_lock:
            history.release_lock()
