"""`tables migrate status|up|history|validate --stack S [--to ID] [--dry-run] [--worker I/N] ...`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.commands._common import add_local_flag, connection, number_in, print_json, project
from scripts.errors import ToolError
from scripts.migrate import WRITE_APIS

if TYPE_CHECKING:  # annotations only: the runner and boto3 load when the command runs, not for --help
    from components.model.plan import TablePlan
    from scripts.aws import DynamoDBClient
    from scripts.migrate.history import History
    from scripts.migrate.runner import RunResult
    from scripts.prewarm import PlannedRate


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "migrate", parents=[common], help="data migrations: status, up, history, validate",
        description="Versioned, locked, resumable data migrations (migrations/NNNN_*.py). status exits 1 while "
                    "any migration is pending; validate exits 1 when an applied migration's source changed.")
    parser.add_argument("action", choices=["status", "up", "history", "validate"])
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--to", help="up: stop after this migration id")
    parser.add_argument("--migrations", type=Path, help="the migrations directory (default: the project's migrations/)")
    parser.add_argument("--dry-run", action="store_true", help="up: report what would change; write nothing")
    share = parser.add_mutually_exclusive_group()
    share.add_argument("--worker", type=_worker_share, metavar="I/N",
                       help="up, fan-out: be worker I (0 to N-1) of N and take every N-th scan segment; "
                            f"batch/N reads I from {BATCH_INDEX_ENV}, which AWS Batch array jobs set")
    share.add_argument("--segments", type=_segment_list,
                       help="up, fan-out: run only these scan segments (e.g. 0-3,8)")
    # DynamoDB allows 1 to 1,000,000 scan segments; pages of 1 to 1,000 items keep checkpoints useful.
    parser.add_argument("--total-segments", type=number_in(1, 1_000_000, integer=True), default=16,
                        help="parallel scan segments (default 16)")
    parser.add_argument("--workers", type=number_in(1, 256, integer=True),
                        help="segments worked on at once; pins the number (default: ramped from 2 while the "
                             "throughput rises, up to --total-segments, and cut back on throttling)")
    parser.add_argument("--page-size", type=number_in(1, 1000, integer=True), default=250,
                        help="items per page, so per checkpoint")
    parser.add_argument("--write-api", choices=WRITE_APIS,
                        help="batch-statement: 25 conditional PartiQL UPDATEs per request; update-item: one "
                             "conditional UpdateItem each; transact: 100 conditional updates per TransactWriteItems "
                             "(twice the write units on AWS). Default: batch-statement where the endpoint honours "
                             "PartiQL conditions (probed before the first write), else update-item")
    parser.add_argument("--max-writes-per-second", type=number_in(1, 1_000_000, integer=True), metavar="N",
                        help="cap this process's item writes per second, all segments together (default: the "
                             "stack's migrations.maxWritesPerSecond, else no cap)")
    parser.add_argument("--no-undo-point", action="store_true",
                        help="up: write even to tables without point-in-time recovery (no way back)")
    # The heartbeat renews every third of the lease: below 3 s one slow request would let it expire.
    parser.add_argument("--lock-lease", type=number_in(3, 3600, unit=" seconds"), default=60,
                        help="seconds a lock or segment lease lasts (3 to 3600)")
    parser.add_argument("--retry-mode", choices=["standard", "adaptive"], default="adaptive",
                        help="botocore retry mode (adaptive also rate-limits the client when throttled)")
    parser.add_argument("--max-attempts", type=number_in(1, 50, integer=True), default=10,
                        help="botocore attempts per request")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


BATCH_INDEX_ENV = "AWS_BATCH_JOB_ARRAY_INDEX"


def _worker_share(text: str) -> tuple[str, int]:
    """I/N or batch/N, checked for form here; the index and N against --total-segments when the command runs."""
    index, slash, count = text.partition("/")
    if not slash or not count.isdigit() or int(count) < 1 or not (index == "batch" or index.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r}: expected I/N (worker I of N, 0 <= I < N) or batch/N")
    if index.isdigit() and int(index) >= int(count):
        raise argparse.ArgumentTypeError(f"{text!r}: the worker index runs from 0 to {int(count) - 1}")
    return index, int(count)


def worker_segments(share: tuple[str, int], total_segments: int, environ: Any = os.environ) -> list[int]:
    """The scan segments of worker I of N: every N-th, so N workers split the table evenly."""
    index_text, count = share
    if index_text == "batch":
        index_text = str(environ.get(BATCH_INDEX_ENV, "")).strip()
        if not index_text.isdigit() or int(index_text) >= count:
            raise ToolError("InvalidArgument", f"--worker batch/{count}: {BATCH_INDEX_ENV} is "
                                               f"{index_text or 'not set'}; AWS Batch sets it from 0 to the array "
                                               f"size - 1 in an array job of size {count}", where=BATCH_INDEX_ENV)
    if count > total_segments:
        raise ToolError("InvalidArgument", f"--worker {index_text}/{count}: {count} workers need at least as many "
                                           f"segments; pass --total-segments {count} or more")
    return list(range(int(index_text), total_segments, count))


def _segment_list(text: str) -> list[int]:
    segments: list[int] = []
    for part in text.split(","):
        low_text, _, high_text = part.partition("-")
        try:
            low, high = int(low_text), int(high_text or low_text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected segment numbers like 0-3,8") from None
        if low < 0 or high < low:
            raise argparse.ArgumentTypeError(f"{part!r}: a range runs from a lower to a higher segment number, "
                                             "both 0 or more (like 0-3)")
        segments += range(low, high + 1)
    return sorted(set(segments))


def run(args: argparse.Namespace) -> int:
    from scripts.aws import find_table
    from scripts.migrate.history import History
    from scripts.migrate.registry import discover
    from scripts.migrate.runner import history_table

    if args.segments is not None and any(s >= args.total_segments for s in args.segments):
        raise ToolError("InvalidArgument", f"--segments {max(args.segments)} is not below --total-segments "
                                           f"{args.total_segments}")
    if args.worker is not None:
        args.segments = worker_segments(args.worker, args.total_segments)
    # Every option is checked before anything is read or written.
    migrations_dir = args.migrations or project(args).migrations_dir
    if not migrations_dir.is_dir():
        raise ToolError("NoMigrations", f"--migrations {migrations_dir}: no such directory", where=str(migrations_dir))
    migrations = discover(migrations_dir)
    stack = project(args).stack_plan(args.stack)
    plans = stack.tables
    if args.action == "up":
        project(args).refuse_production_names(args.stack, [plan.name for plan in plans], "migrate up")
    args.max_writes = args.max_writes_per_second or stack.settings.max_writes_per_second
    table = history_table(plans, args.stack)
    conn = connection(args, retry_mode=args.retry_mode, max_attempts=args.max_attempts)
    # The engine builds every request itself: skip botocore's client-side validation (pure CPU per call).
    client = conn.client(max_pool_connections=(args.workers or args.total_segments) + 4, parameter_validation=False)
    args.probe_client = conn.client(max_attempts=2, parameter_validation=False)
    history = History(client, table)
    if find_table(client, table) is None:
        raise ToolError("TableNotFound", f"the migration history table '{table}' does not exist at {args.where}; "
                                         "create the stack's tables first (pulumi up, or tables create)")
    if args.action == "status":
        return _status(args, migrations, history)
    if args.action == "validate":
        return _validate(args, migrations, history)
    if args.action == "history":
        return _history(args, history)
    return _up(args, plans, client, history, migrations)


def _status(args: argparse.Namespace, migrations: Any, history: History) -> int:
    from scripts.migrate.runner import UNFINISHED, states

    found = states(migrations, history.records())
    segments = {s.migration_id: history.segment_states(s.migration_id) for s in found
                if s.state in UNFINISHED and s.record is not None}
    now = time.time()
    if args.json:
        print_json([{"id": s.migration_id, "state": s.state, "description": s.description,
                     **({"error": s.record.error} if s.record and s.record.error else {}),
                     **({"segments": [_segment_json(seg, now) for seg in segments[s.migration_id]]}
                        if s.migration_id in segments else {})} for s in found])
    else:
        for s in found:
            when = f"  (applied {s.record.finished_at})" if s.record and s.state == "applied" else ""
            print(f"{s.migration_id}  {s.state:<11}  {s.description}{when}")
            if s.record and s.state != "applied" and s.record.error:
                print(f"      {s.record.error}")
            for line in _segment_lines(segments.get(s.migration_id, []), now):
                print(f"      {line}")
        waiting = [s for s in found if s.state in UNFINISHED]
        print(f"{len(found)} migrations, {len(waiting)} pending" if found else "no migrations")
    return 1 if any(s.state in UNFINISHED for s in found) else 0


def _segment_json(state: Any, now: float) -> dict[str, Any]:
    status = "done" if state.done else "held" if state.held(now) else "waiting"
    return {"backfill": state.backfill, "segment": state.segment, "state": status,
            **({"holder": state.holder, "leaseExpiresAt": state.lease_expires_at} if status == "held" else {})}


def _segment_lines(segments: list[Any], now: float) -> list[str]:
    """Per backfill: how many segments are done, which are held (by whom, until when), how many wait."""
    from scripts.migrate.history import clock

    lines = []
    for backfill in sorted({s.backfill for s in segments}):
        mine = [s for s in segments if s.backfill == backfill]
        total = max(s.total_segments for s in mine) or len(mine)
        done = sum(s.done for s in mine)
        held = [s for s in mine if s.held(now)]
        waiting = total - done - len(held)
        lines.append(f"backfill {backfill}: {done} of {total} segments done, {len(held)} held, {waiting} waiting")
        lines += [f"  segment {s.segment} held by {s.holder} until {clock(s.lease_expires_at)}" for s in held]
    return lines


def _validate(args: argparse.Namespace, migrations: Any, history: History) -> int:
    from scripts.migrate.runner import states

    found = states(migrations, history.records())
    changed = [s for s in found if s.state in ("changed", "missing")]
    if args.json:
        print_json({"changed": [s.migration_id for s in changed if s.state == "changed"],
                    "missing": [s.migration_id for s in changed if s.state == "missing"]})
    elif changed:
        for s in changed:
            reason = "source changed since it was applied" if s.state == "changed" else "applied, but its file is gone"
            print(f"{s.migration_id}: {reason}", file=sys.stderr)
    else:
        print(f"{sum(s.state == 'applied' for s in found)} applied migrations match their source")
    return 1 if changed else 0


def _ledger(history: History, record: Any) -> dict[str, Any]:
    """One migration's runs with their counts from the segment ledgers, their sum, and whether it adds up.

    Each run's counts are what it wrote per segment as DynamoDB answered; the record's `runs` add
    each run's outcome. A run without one died or lost its lease (its counts are still there).
    The check: the sum over runs equals the counts every segment keeps over all runs, i.e. the
    items migrated.
    """
    from scripts.migrate.history import COUNTERS, zero_counts

    ledgers = history.ledgers(record.migration_id)
    outcomes = {run.get("ranBy"): run for run in record.runs}
    order = [run.get("ranBy") for run in record.runs] + sorted(set(ledgers) - {r.get("ranBy") for r in record.runs})
    runs = []
    for run_id in dict.fromkeys(order):
        known = outcomes.get(run_id, {})
        runs.append({"ranBy": run_id, "outcome": known.get("outcome", "no outcome (died or lost its lease)"),
                     "startedAt": known.get("startedAt", "?"), "finishedAt": known.get("finishedAt", "?"),
                     "counts": ledgers.get(run_id, zero_counts())})
    summed = zero_counts()
    for run in runs:
        for name in COUNTERS:
            summed[name] += run["counts"][name]
    migrated = history.segment_totals(record.migration_id)
    return {"runs": runs, "sum": summed, "segments": migrated, "addsUp": summed == migrated}


def _history(args: argparse.Namespace, history: History) -> int:
    from scripts.migrate.history import COUNTER_LABELS, COUNTERS

    records = sorted(history.records().values(), key=lambda r: r.migration_id)
    ledgers = {r.migration_id: _ledger(history, r) for r in records}
    broken = [r.migration_id for r in records if not ledgers[r.migration_id]["addsUp"]]
    if args.json:
        print_json([{**{k: v for k, v in vars(r).items() if k != "runs"}, **ledgers[r.migration_id]}
                    for r in records])
    else:
        for r in records:
            ledger = ledgers[r.migration_id]
            counts = ", ".join(f"{COUNTER_LABELS[name]} {ledger['sum'][name]}" for name in COUNTERS)
            print(f"{r.migration_id}  {r.status:<11}  {r.started_at} -> {r.finished_at or '...'}  by {r.ran_by}  "
                  f"(all runs: {counts})" + (f"  error: {r.error}" if r.error else ""))
            for run in ledger["runs"]:
                run_counts = ", ".join(f"{COUNTER_LABELS[name]} {run['counts'][name]}" for name in COUNTERS)
                print(f"      run {run['startedAt']} -> {run['finishedAt']}  {run['outcome']:<11}  by {run['ranBy']}  "
                      f"({run_counts})")
            if ledger["addsUp"]:
                print(f"      adds up: the runs' sum, updated {ledger['sum']['updated']:,}, equals the items migrated "
                      f"by the segments' count, {ledger['segments']['updated']:,}")
        if not records:
            print("no migrations have run")
    for migration_id in broken:
        ledger = ledgers[migration_id]
        print(f"ERROR [HistoryMismatch]: migration {migration_id}: the runs' counts sum to "
              f"{_counts_text(ledger['sum'])} but the segments count {_counts_text(ledger['segments'])}; a run "
              "wrote counts it did not keep: report it with tables migrate history --json", file=sys.stderr)
    return 1 if broken else 0


def _counts_text(counts: dict[str, int]) -> str:
    from scripts.migrate.history import COUNTER_LABELS

    return ", ".join(f"{COUNTER_LABELS[name]} {value:,}" for name, value in counts.items())


@contextmanager
def _progress_display(args: argparse.Namespace) -> Iterator[Any]:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class _Rates(ProgressColumn):
        def render(self, task: Task) -> Text:
            elapsed = task.elapsed or 0
            writes = task.fields["updated"] / elapsed if elapsed else 0
            return Text(f"{task.speed or 0:,.0f} items/s, {writes:,.0f} updates/s")

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,.0f} scanned"),
                  TextColumn("{task.fields[updated]:,} updated"), _Rates(), TimeElapsedColumn(),
                  console=console, disable=args.json or not console.is_terminal) as progress:
        def factory(name: str) -> Any:
            task = progress.add_task(name, total=None, updated=0)

            def advance(scanned: int, updated: int) -> None:
                progress.update(task, advance=scanned,
                                updated=progress.tasks[task].fields["updated"] + updated)
            return advance
        yield factory


@contextmanager
def _stop_on_signals(stop: Any, log: Any) -> Iterator[None]:
    """SIGINT and SIGTERM (Ctrl-C, a spot instance's notice, AWS Batch's stop) stop the run cleanly:
    in-flight requests finish, checkpoints are saved, leases and the lock released. A second SIGINT
    aborts at once (leases then expire by themselves)."""
    def handle(number: int, _frame: Any) -> None:
        name = signal.Signals(number).name
        if stop.is_set() and number == signal.SIGINT:
            raise KeyboardInterrupt
        stop.request(name)
        log(f"{name}: stopping after the requests in flight (checkpoints are kept); Ctrl-C again to abort")

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _up(args: argparse.Namespace, plans: list[TablePlan], client: DynamoDBClient, history: History,
        migrations: Any) -> int:
    from scripts.migrate.backfill import BackfillOptions
    from scripts.migrate.rate import WriteRateLimiter
    from scripts.migrate.runner import RunOptions, pending, up
    from scripts.migrate.writes import STATEMENTS_PER_REQUEST

    backfill = BackfillOptions(total_segments=args.total_segments, segments=args.segments,
                               workers=args.workers or args.total_segments, adaptive_workers=args.workers is None,
                               page_size=args.page_size, lease_seconds=args.lock_lease, dry_run=args.dry_run,
                               write_api=args.write_api, wait_for_held=args.segments is not None)
    if args.max_writes and not args.dry_run:
        backfill.rate = WriteRateLimiter(args.max_writes, burst=min(args.max_writes, STATEMENTS_PER_REQUEST),
                                         stop=backfill.stop)
    log = (lambda message: print(message, file=sys.stderr)) if args.json else print
    options = RunOptions(backfill=backfill, to=args.to, lock_lease_seconds=args.lock_lease, log=log,
                         probe_client=args.probe_client,
                         fan_out=args.segments is not None, undo_point=not args.no_undo_point, stack=args.stack,
                         planned_rate=_planned_rate(args))
    if not pending(migrations, history.records(), args.to):
        print_json([]) if args.json else print("no pending migrations")
        return 0
    if args.max_writes and not args.dry_run:
        source = "--max-writes-per-second" if args.max_writes_per_second else f"stack {args.stack}'s " \
                 "migrations.maxWritesPerSecond"
        log(f"write cap: {args.max_writes:,} item writes per second ({source})")
    started = time.monotonic()
    with _stop_on_signals(backfill.stop, log), _progress_display(args) as factory:
        options.progress = factory
        results = up(client, plans, history, migrations, options)
    elapsed = time.monotonic() - started
    if args.json:
        print_json([_as_json(r, args.max_writes) for r in results])
    else:
        for result in results:
            print(_summary(result, elapsed, args.max_writes))
    return 1 if any(r.outcome in ("failed", "incomplete") for r in results) else 0


def _planned_rate(args: argparse.Namespace) -> PlannedRate | None:
    """What the write cap lets the backfill reach: one limiter per process, so the cap times the fan-out
    workers of `--worker I/N` (each its own process with the same cap), else the cap alone; None uncapped."""
    from scripts.prewarm import PlannedRate

    if not args.max_writes:
        return None
    if args.worker is not None:
        count = args.worker[1]
        return PlannedRate(args.max_writes * count, f"{count} fan-out workers at the cap of {args.max_writes:,} each")
    return PlannedRate(args.max_writes, "the write cap")


def _as_json(result: RunResult, cap: int | None) -> dict[str, Any]:
    return {"id": result.migration_id, "outcome": result.outcome, "counts": result.counts,
            "writeApi": result.write_api, "writes": result.writes, "writesPerSecond": round(result.write_rate, 1),
            "maxWritesPerSecond": cap,
            "conflicts": sum(b.conflicts for b in result.backfills),
            "throttledStatements": sum(b.throttled_statements for b in result.backfills),
            "consumedCapacity": result.consumed_capacity, "capacityUnits": _capacity_json(result),
            "workers": [_workers_json(b.concurrency) for b in result.backfills if b.concurrency],
            "error": result.error, "undo": result.undo,
            "heldSegments": [{"segment": s, "holder": h, "leaseExpiresAt": u}
                             for b in result.backfills for s, h, u in b.segments_held],
            "candidates": sum(b.candidates for b in result.backfills),
            "sample": [s for b in result.backfills for s in b.sample]}


def _workers_json(concurrency: Any) -> dict[str, Any]:
    return {"chosen": concurrency.limit, "adaptive": concurrency.adaptive, "reason": concurrency.reason,
            "ramp": [{"workers": s.workers, "itemsPerSecond": round(s.items_per_second, 1),
                      "writeLatencyMs": round(s.latency_ms, 1), "throttled": s.throttled}
                     for s in concurrency.steps]}


def _capacity_json(result: RunResult) -> dict[str, Any]:
    """Capacity units as DynamoDB reported them, and per item migrated, beside the least possible."""
    migrated = result.counts["updated"]

    def per_item(units: float) -> float | None:
        return round(units / migrated, 4) if migrated else None

    return {"read": round(result.capacity.read, 2), "write": round(result.capacity.write, 2),
            "records": round(result.record_capacity.total, 2),
            "perMigratedItem": {"read": per_item(result.capacity.read), "write": per_item(result.capacity.write),
                                "records": per_item(result.record_capacity.total)},
            # An item write costs one unit per KB (rounded up): one for an item of up to 1 KB.
            "minimumWritePerItem": 1.0}


def _capacity_text(result: RunResult) -> str:
    units = _capacity_json(result)["perMigratedItem"]
    if units["read"] is None:
        return ""
    return (f"; capacity units per migrated item: {units['read']:.3f} read, {units['write']:.3f} write, "
            f"{units['records']:.3f} for the runner's records (least possible: the scan's reads and 1 write per "
            "item of up to 1 KB)")


def _summary(result: RunResult, elapsed: float, cap: int | None) -> str:
    from scripts.migrate.history import COUNTER_LABELS, COUNTERS

    counts = ", ".join(f"{COUNTER_LABELS[name]} {result.counts[name]}" for name in COUNTERS)
    if result.outcome == "dry-run":
        candidates = sum(b.candidates for b in result.backfills)
        lines = [f"{result.migration_id} dry run: {candidates} items would change "
                 f"(scanned {result.counts['scanned']}); nothing written"]
        if candidates:
            # A conditional update costs one write unit per KB of the item (rounded up), at least one.
            units = f"at least {candidates:,} write units (one per item of up to 1 KB, one more per extra KB)"
            at_cap = (f"about {_duration(candidates / cap)} at the cap of {cap:,} writes/s" if cap
                      else "no write cap (--max-writes-per-second)")
            lines.append(f"  estimate: {units}; {at_cap}")
        lines += [f"  e.g. {s['key']}: {s['update']}" for b in result.backfills for s in b.sample]
        return "\n".join(lines)
    rate = result.counts["scanned"] / elapsed if elapsed > 0 else 0
    achieved = f"{result.writes:,} writes at {result.write_rate:,.0f}/s" + (f" (cap {cap:,}/s)" if cap else "")
    line = (f"{result.migration_id} {result.outcome}: {counts}; consumed "
            f"{result.consumed_capacity:,.1f} capacity units; {achieved}; {elapsed:.1f}s, {rate:,.0f} items/s")
    line += _capacity_text(result)
    line += "".join(f"; {b.concurrency.describe()}" for b in result.backfills if b.concurrency and not b.stopped)
    if result.outcome == "partial":
        line += " (this worker's segments are done; others remain for other workers)"
    return line + (f"; {result.error}" if result.error else "")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:,.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h"
