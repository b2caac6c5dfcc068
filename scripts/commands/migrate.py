"""`tables migrate status|up|history|validate --stack S [--to ID] [--dry-run] [--segments ...]`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.commands._common import add_local_flag, connection, number_in, print_json, project, stack_plans
from scripts.errors import ToolError
from scripts.migrate import WRITE_APIS

if TYPE_CHECKING:  # annotations only: the runner and boto3 load when the command runs, not for --help
    from components.model.plan import TablePlan
    from scripts.aws import DynamoDBClient
    from scripts.migrate.history import History
    from scripts.migrate.runner import RunResult


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
    parser.add_argument("--segments", type=_segment_list,
                        help="up, fan-out: run only these scan segments (e.g. 0-3,8); needs --total-segments")
    # DynamoDB allows 1 to 1,000,000 scan segments; pages of 1 to 1,000 items keep checkpoints useful.
    parser.add_argument("--total-segments", type=number_in(1, 1_000_000, integer=True), default=16,
                        help="parallel scan segments (default 16)")
    parser.add_argument("--workers", type=number_in(1, 256, integer=True), default=16,
                        help="segments worked on at once (default 16)")
    parser.add_argument("--page-size", type=number_in(1, 1000, integer=True), default=250,
                        help="items per page, so per checkpoint")
    parser.add_argument("--write-api", choices=WRITE_APIS,
                        help="batch-statement: 25 conditional PartiQL UPDATEs per request (the default); "
                             "update-item: one UpdateItem each (the default on a local moto endpoint, which "
                             "ignores PartiQL conditions)")
    # The heartbeat renews every third of the lease: below 3 s one slow request would let it expire.
    parser.add_argument("--lock-lease", type=number_in(3, 3600, unit=" seconds"), default=60,
                        help="seconds a lock or segment lease lasts (3 to 3600)")
    parser.add_argument("--retry-mode", choices=["standard", "adaptive"], default="adaptive",
                        help="botocore retry mode (adaptive also rate-limits the client when throttled)")
    parser.add_argument("--max-attempts", type=number_in(1, 50, integer=True), default=10,
                        help="botocore attempts per request")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


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
    plans = stack_plans(args)
    table = history_table(plans, args.stack)
    conn = connection(args, retry_mode=args.retry_mode, max_attempts=args.max_attempts)
    # The engine builds every request itself: skip botocore's client-side validation (pure CPU per call).
    client = conn.client(max_pool_connections=args.workers + 4, parameter_validation=False)
    history = History(client, table)
    migrations_dir = args.migrations or project(args).migrations_dir
    if not migrations_dir.is_dir():
        raise ToolError("NoMigrations", f"--migrations {migrations_dir}: no such directory", where=str(migrations_dir))
    migrations = discover(migrations_dir)
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
    from scripts.migrate.runner import states

    found = states(migrations, history.records())
    if args.json:
        print_json([{"id": s.migration_id, "state": s.state, "description": s.description} for s in found])
    else:
        for s in found:
            when = f"  (applied {s.record.finished_at})" if s.record and s.state == "applied" else ""
            print(f"{s.migration_id}  {s.state:<8}  {s.description}{when}")
        waiting = [s for s in found if s.state in ("pending", "failed", "running")]
        print(f"{len(found)} migrations, {len(waiting)} pending" if found else "no migrations")
    return 1 if any(s.state in ("pending", "failed", "running") for s in found) else 0


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


def _history(args: argparse.Namespace, history: History) -> int:
    from scripts.migrate.history import COUNTERS

    records = sorted(history.records().values(), key=lambda r: r.migration_id)
    if args.json:
        print_json([vars(r) for r in records])
        return 0
    for r in records:
        counts = ", ".join(f"{name} {r.counts[name]}" for name in COUNTERS)
        print(f"{r.migration_id}  {r.status:<9}  {r.started_at} -> {r.finished_at or '...'}  by {r.ran_by}  ({counts})"
              + (f"  error: {r.error}" if r.error else ""))
    if not records:
        print("no migrations have run")
    return 0


@contextmanager
def _progress_display(args: argparse.Namespace) -> Iterator[Any]:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class _ItemsPerSecond(ProgressColumn):
        def render(self, task: Task) -> Text:
            return Text(f"{task.speed or 0:,.0f} items/s")

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,.0f} scanned"),
                  TextColumn("{task.fields[updated]:,} updated"), _ItemsPerSecond(), TimeElapsedColumn(),
                  console=console, disable=args.json or not console.is_terminal) as progress:
        def factory(name: str) -> Any:
            task = progress.add_task(name, total=None, updated=0)

            def advance(scanned: int, updated: int) -> None:
                progress.update(task, advance=scanned,
                                updated=progress.tasks[task].fields["updated"] + updated)
            return advance
        yield factory


def _write_api(args: argparse.Namespace) -> str:
    if args.write_api:
        return str(args.write_api)
    # moto 5 applies a PartiQL UPDATE whatever its WHERE condition says; UpdateItem conditions it honours.
    return "update-item" if args.local_engine == "moto" else "batch-statement"


def _up(args: argparse.Namespace, plans: list[TablePlan], client: DynamoDBClient, history: History,
        migrations: Any) -> int:
    from scripts.migrate.backfill import BackfillOptions
    from scripts.migrate.runner import RunOptions, pending, up

    options = RunOptions(
        backfill=BackfillOptions(total_segments=args.total_segments, segments=args.segments, workers=args.workers,
                                 page_size=args.page_size, lease_seconds=args.lock_lease, dry_run=args.dry_run,
                                 write_api=_write_api(args)),
        to=args.to, lock_lease_seconds=args.lock_lease,
        log=(lambda message: None) if args.json else print)
    if not pending(migrations, history.records(), args.to):
        print_json([]) if args.json else print("no pending migrations")
        return 0
    started = time.monotonic()
    with _progress_display(args) as factory:
        options.progress = factory
        results = up(client, plans, history, migrations, options)
    elapsed = time.monotonic() - started
    if args.json:
        print_json([_as_json(r, options.backfill.write_api) for r in results])
    else:
        for result in results:
            print(_summary(result, elapsed))
    return 1 if any(r.outcome == "failed" for r in results) else 0


def _as_json(result: RunResult, write_api: str) -> dict[str, Any]:
    return {"id": result.migration_id, "outcome": result.outcome, "counts": result.counts, "writeApi": write_api,
            "conflicts": sum(b.conflicts for b in result.backfills),
            "throttledStatements": sum(b.throttled_statements for b in result.backfills),
            "consumedCapacity": result.consumed_capacity, "error": result.error,
            "candidates": sum(b.candidates for b in result.backfills),
            "sample": [s for b in result.backfills for s in b.sample]}


def _summary(result: RunResult, elapsed: float) -> str:
    from scripts.migrate.history import COUNTERS

    counts = ", ".join(f"{name} {result.counts[name]}" for name in COUNTERS)
    if result.outcome == "dry-run":
        lines = [f"{result.migration_id} dry run: {sum(b.candidates for b in result.backfills)} items would change "
                 f"(scanned {result.counts['scanned']}); nothing written"]
        lines += [f"  e.g. {s['key']}: {s['update']}" for b in result.backfills for s in b.sample]
        return "\n".join(lines)
    rate = result.counts["scanned"] / elapsed if elapsed > 0 else 0
    conflicts = sum(b.conflicts for b in result.backfills)
    line = (f"{result.migration_id} {result.outcome}: {counts}; {conflicts} concurrent changes re-read; consumed "
            f"{result.consumed_capacity:,.1f} capacity units; {elapsed:.1f}s, {rate:,.0f} items/s")
    if result.outcome == "partial":
        line += " (other segments remain for other workers)"
    return line + (f"; {result.error}" if result.error else "")
