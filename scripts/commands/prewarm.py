"""`tables prewarm --stack S --table KEY --writes-per-second N`: warm a table up before a backfill."""

from __future__ import annotations

import argparse
from typing import Any

from scripts.commands._common import add_local_flag, connection, number_in, print_json, stack_plans
from scripts.errors import ToolError


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "prewarm", parents=[common], help="raise a table's warm throughput before a big backfill",
        description="Raises the declared table's warm throughput (UpdateTable WarmThroughput) to at least the "
                    "given rates, in write (and read) units a second, never lowering it, and waits until it is "
                    "ACTIVE. A fresh on-demand table takes 4,000 writes a second at once. AWS charges for the "
                    "increase.")
    parser.add_argument("--stack", required=True, help="the stack that declares the table (Pulumi.<stack>.yaml)")
    parser.add_argument("--table", required=True, help="the table's key in the model (e.g. products)")
    parser.add_argument("--writes-per-second", required=True, type=number_in(1, 40_000_000, integer=True),
                        help="write units a second the table must take at once (a 2 KB item is 2 units)")
    parser.add_argument("--reads-per-second", type=number_in(1, 40_000_000, integer=True),
                        help="read units a second the table must take at once")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from scripts.prewarm import prewarm

    plans = stack_plans(args)
    plan = next((p for p in plans if p.spec.key == args.table or p.name == args.table), None)
    if plan is None:
        keys = ", ".join(sorted(p.spec.key for p in plans))
        raise ToolError("UnknownTable", f"stack '{args.stack}' declares no table '{args.table}'; table keys: {keys}")
    result = prewarm(connection(args).client(), plan.name, args.writes_per_second, args.reads_per_second)
    if args.json:
        print_json(result.as_json())
    else:
        print(result.text())
    return 0
