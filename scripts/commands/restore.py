"""`tables restore` and `tables restore-drill`: point-in-time restores of declared tables, and their rehearsal.

- `restore --stack S --table KEY (--to-time ISO | --latest) [--target NAME]`: one table restored into a
  new table, with what a restore drops put back from the model, verified and counted.
- `restore-drill --stack S [--table KEY ...] [--report FILE]`: every table (or the named ones) restored
  into scratch tables, verified, timed and deleted; exit 1 if any table fails.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.commands._common import (
    MAX_WAIT_SECONDS,
    add_local_flag,
    connection,
    number_in,
    print_json,
    project,
    stack_plans,
)
from scripts.errors import ToolError

if TYPE_CHECKING:
    from components.model.plan import TablePlan
    from scripts.restore import DrillReport, RestoreResult


def iso_time(text: str) -> datetime:
    """An argparse type: an ISO 8601 time with its time zone; a bad one is one usage line."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time such as 2026-12-01T09:30:00Z") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z for UTC or an offset such as +01:00")
    return value


iso_time.__name__ = "ISO time"  # what argparse calls the type in errors


def table_name(text: str) -> str:
    from components.model.spec import NAME_PATTERN, NAME_RULE

    if not NAME_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid DynamoDB table name ({NAME_RULE})")
    return text


table_name.__name__ = "table name"


def _waiting_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=number_in(1, MAX_WAIT_SECONDS, unit=" seconds"), default=6 * 3600,
                        help="seconds to wait for each table to be ACTIVE (default 21600: large restores take hours)")
    parser.add_argument("--poll-interval", type=number_in(0.1, 600, unit=" seconds"), default=10,
                        help="seconds between status checks (default 10)")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "restore", parents=[common], help="restore a declared table to a point in time, into a new table",
        description="Restores the table with RestoreTableToPointInTime into a new table (<name>-restored-<UTC "
                    "timestamp> unless --target), with the declared encryption and billing; waits until ACTIVE; puts "
                    "back what a restore does not carry (TTL, point-in-time recovery and its period, tags, stream, "
                    "deletion protection) from the model; then compares it with the declared table (the name aside) "
                    "and counts the items of both. The source table is only read.")
    parser.add_argument("--stack", required=True, help="the stack that declares the table (Pulumi.<stack>.yaml)")
    parser.add_argument("--table", required=True, metavar="KEY", help="the table's key in the model (e.g. products)")
    point = parser.add_mutually_exclusive_group(required=True)
    point.add_argument("--to-time", type=iso_time, metavar="ISO",
                       help="the time to restore to, with a zone, e.g. 2026-12-01T09:30:00Z")
    point.add_argument("--latest", action="store_true", help="the latest restorable time (about 5 minutes ago)")
    parser.add_argument("--target", type=table_name, help="the new table's name (default <name>-restored-<timestamp>)")
    _waiting_options(parser)
    add_local_flag(parser)
    parser.set_defaults(handler=run_restore)

    drill = subparsers.add_parser(
        "restore-drill", parents=[common], help="rehearse restores: restore, verify, time and delete scratch tables",
        description="For each table of the stack (or each --table), restores the latest restorable time into a "
                    "scratch table <name>-drill-<UTC timestamp> tagged as this drill's, puts back what a restore "
                    "drops, checks that only the name differs from the declared table and that the item count "
                    "equals the source's taken just before, times each step, and deletes the scratch table (only "
                    "tables this run restored). Writes a markdown report with --report. Exit 1 if any table fails.")
    drill.add_argument("--stack", required=True, help="the stack whose tables to drill (Pulumi.<stack>.yaml)")
    drill.add_argument("--table", action="append", default=[], metavar="KEY",
                       help="a table key of the model; repeat for several (default: every table of the stack)")
    drill.add_argument("--report", type=Path, metavar="FILE", help="write the report as markdown to FILE")
    drill.add_argument("--parallel", type=number_in(1, 10, integer=True), default=4,
                       help="tables drilled at once (default 4; AWS runs up to 50 restores at a time per account)")
    _waiting_options(drill)
    add_local_flag(drill)
    drill.set_defaults(handler=run_drill)


def select_plans(args: argparse.Namespace, keys: list[str]) -> list[TablePlan]:
    """The stack's plans for the given table keys (all of them when none); an unknown key lists the valid ones."""
    plans = stack_plans(args)
    by_key = {plan.spec.key: plan for plan in plans}
    for key in keys:
        if key not in by_key:
            raise ToolError("UnknownTable", f"stack '{args.stack}' declares no table '{key}'; table keys: "
                                            f"{', '.join(sorted(by_key))}", where=f"Pulumi.{args.stack}.yaml")
    return [by_key[key] for key in dict.fromkeys(keys)] if keys else plans


def next_steps(result: RestoreResult) -> list[str]:
    return [
        f"{result.source} was not changed. Next steps (docs/disaster-recovery.md):",
        f"  copy items back: read what you need from {result.target} and write it into {result.source} "
        "(Scan and BatchWriteItem, or export to S3 and import), then delete the restored table",
        f"  or cut over: point the services at {result.target} and bring it under the stack "
        "(docs/disaster-recovery.md, \"Cutting over\")",
    ]


def run_restore(args: argparse.Namespace) -> int:
    from datetime import UTC

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from scripts.aws import translate
    from scripts.restore import RESTORED_INFIX, restore_table, scratch_name

    (plan,) = select_plans(args, [args.table])
    target = args.target or scratch_name(plan.name, RESTORED_INFIX, datetime.now(UTC))
    project(args).refuse_production_names(args.stack, [target], "restore --target")
    client = connection(args).client()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True,
                  disable=args.json or not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"{target}: restoring {plan.name}", total=None)
        created: list[RestoreResult] = []
        try:
            result = restore_table(client, plan, target, args.to_time, timeout=args.timeout,
                                   poll_interval=args.poll_interval, on_created=created.append,
                                   progress=lambda status: progress.update(task, description=status))
        except KeyboardInterrupt:
            if created:
                print(f"{target} was requested and remains: DynamoDB goes on restoring it (tables drift, or "
                      "DescribeTable, shows it); delete it if it is not needed", file=sys.stderr)
            raise
        except Exception as error:
            if not created:
                raise
            reported = translate(error, target)
            done = f"; put back {', '.join(created[0].put_back)}" if created[0].put_back else ""
            raise ToolError(reported.kind if reported else type(error).__name__,
                            f"{plan.name} was restored into {target}, which remains{done}; then: "
                            f"{reported.message if reported else error}", where=target) from error
    if args.json:
        print_json({**result.as_json(), "clean": result.clean, "nextSteps": next_steps(result)[1:]})
        return 0 if result.clean else 1
    print(f"restored {result.source} to {result.target} at the {result.restore_time} "
          f"(restore window {result.window}), ACTIVE")
    print(f"put back: {', '.join(result.put_back) or 'nothing was missing'}")
    not_checked = f" ({', '.join(result.unsupported)} not checked: unsupported by this endpoint)" \
        if result.unsupported else ""
    if result.differences:
        count = len(result.differences)
        print(f"verify: {count} difference{'' if count == 1 else 's'} from the declared table{not_checked}")
        print("\n".join(f"  {d.text()}" for d in result.differences))
    else:
        print(f"verify: in sync with the declared table apart from the name{not_checked}")
    for note in result.notes:
        print(f"  note: {note}")
    how = (f"a paginated Scan, leaving out items whose {result.ttl_attribute} had passed"
           if result.ttl_attribute else "a paginated Scan, Select=COUNT")
    print(f"items (counted with {how}): source {result.source_items}, restored {result.restored_items}")
    print("\n".join(next_steps(result)))
    return 0 if result.clean else 1


def run_drill(args: argparse.Namespace) -> int:
    from datetime import UTC

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from scripts import restore

    plans = select_plans(args, args.table)
    if args.report:
        check_writable(args.report, "--report")  # before any restore: a drill's results are never lost at the end
    client = connection(args).client()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True,
                  disable=args.json or not sys.stderr.isatty()) as progress:
        tasks = {plan.spec.key: progress.add_task(f"{plan.name}: waiting", total=None) for plan in plans}
        try:
            report = restore.run_drill(client, args.stack, plans, now=datetime.now(UTC), timeout=args.timeout,
                                       poll_interval=args.poll_interval, parallel=args.parallel,
                                       progress=lambda key, status: progress.update(tasks[key], description=status))
        except restore.DrillInterruptedError as interrupted:
            _publish(args, interrupted.report)
            raise interrupted.interrupt from None  # the command's usual interrupt line: exit 130, or 143 for SIGTERM
    _publish(args, report)
    return 1 if report.failed or report.remaining else 0


def check_writable(path: Path, option: str) -> None:
    """One line, before any work, when `path` cannot be written: a directory, a file without write
    permission, or a folder that cannot be created or written into. Nothing is created here."""
    import os

    problem = ""
    if path.is_dir():
        problem = "is a directory"
    elif path.exists() and not os.access(path, os.W_OK):
        problem = "is not writable"
    else:
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            problem = f"cannot be created: {folder} is not a directory"
        elif not os.access(folder, os.W_OK | os.X_OK):
            problem = f"cannot be created: {folder} is not writable"
    if problem:
        raise ToolError("NotWritable", f"{option} {path} {problem}; nothing was done. Choose another {option}",
                        where=str(path))


def _publish(args: argparse.Namespace, report: DrillReport) -> None:
    from scripts.restore import drill_markdown

    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(drill_markdown(report))
    if args.json:
        print_json(report.as_json())
    else:
        for table in report.tables:
            print(f"{table.source:<48} {table.outcome:<8} {table.error}".rstrip())
        print(f"{len(report.tables)} tables: {len(report.tables) - len(report.failed)} passed, "
              f"{len(report.failed)} failed" + (f"; report: {args.report}" if args.report else ""))
    if report.remaining:
        print(f"scratch tables that remain (delete them by hand): {', '.join(t.scratch for t in report.remaining)}",
              file=sys.stderr)
    if report.earlier_scratch:
        print(f"scratch tables of earlier drills remain (delete them by hand): {', '.join(report.earlier_scratch)}",
              file=sys.stderr)
