"""`tables add-gsi`: one GSI, waited to ACTIVE; from the model or from flags.

- `--stack S --table KEY --index NAME`: the index as the stack's table model declares it.
- `--table NAME --index-name N --partition-key a:S ...`: an ad-hoc index on any live table.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scripts.commands._common import (
    MAX_WAIT_SECONDS,
    add_local_flag,
    connection,
    number_in,
    print_json,
    project,
    refuse_production_names_without_stack,
    stack_plans,
)
from scripts.errors import ToolError


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "add-gsi", parents=[common], help="add one global secondary index and wait until it is ACTIVE",
        description="Adds one GSI (single or multi-attribute keys) and waits through CREATING and backfilling. "
                    "With --stack, --table is the table's key in the model and --index names one of its declared "
                    "indexes; without it, --table is a live table's name and the flags define the index. An "
                    "identical existing index is a success; refuses while another index is being built or "
                    "deleted, because DynamoDB allows one at a time.")
    parser.add_argument("--stack", help="take the index from this stack's table model (with --table KEY --index N)")
    parser.add_argument("--table", required=True, help="a table key of the model (with --stack), or a table name")
    parser.add_argument("--index", help="with --stack: the declared index to add")
    parser.add_argument("--index-name", help="without --stack: the new index's name")
    parser.add_argument("--partition-key", action="append", default=[], metavar="NAME:TYPE",
                        help="repeat for a multi-attribute key (up to 4); TYPE is S, N or B")
    parser.add_argument("--sort-key", action="append", default=[], metavar="NAME:TYPE", help="repeatable, up to 4")
    parser.add_argument("--projection", choices=["ALL", "KEYS_ONLY", "INCLUDE"], default="ALL")
    parser.add_argument("--non-key-attributes", default="", help="comma-separated, with --projection INCLUDE")
    parser.add_argument("--timeout", type=number_in(1, MAX_WAIT_SECONDS, unit=" seconds"), default=3600,
                        help="seconds to wait for ACTIVE (default 3600)")
    parser.add_argument("--poll-interval", type=number_in(0.1, 600, unit=" seconds"), default=5,
                        help="seconds between status checks (default 5)")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def _from_model(args: argparse.Namespace) -> Any:
    from scripts.add_gsi import IndexRequest

    if args.index is None or args.index_name or args.partition_key or args.sort_key or args.non_key_attributes:
        raise ToolError("InvalidArgument", "with --stack, name the declared index with --index; the index's keys and "
                                           "projection come from the model (drop --index-name and the key flags)")
    plans = stack_plans(args)
    plan = next((p for p in plans if p.spec.key == args.table), None)
    if plan is None:
        keys = ", ".join(sorted({p.spec.key for p in plans}))
        raise ToolError("UnknownTable", f"stack '{args.stack}' declares no table '{args.table}'; table keys: {keys}")
    index = next((i for i in plan.spec.global_indexes if i.name == args.index), None)
    if index is None:
        names = ", ".join(i.name for i in plan.spec.global_indexes) or "none"
        raise ToolError("UnknownIndex", f"table '{args.table}' ({plan.name}) of stack '{args.stack}' declares no "
                                        f"index '{args.index}'; its indexes: {names}")
    project(args).refuse_production_names(args.stack, [plan.name], "add-gsi")
    return IndexRequest(table=plan.name, index=index)


def _from_flags(args: argparse.Namespace) -> Any:
    from components.model.spec import GlobalIndex, Projection
    from scripts.add_gsi import IndexRequest, parse_key

    if args.index is not None:
        raise ToolError("InvalidArgument", "--index takes a declared index and needs --stack; for an ad-hoc index "
                                           "use --index-name with --partition-key")
    if not args.index_name or not args.partition_key:
        raise ToolError("InvalidArgument", "an ad-hoc index needs --index-name and --partition-key NAME:TYPE "
                                           "(or use --stack S --table KEY --index NAME for a declared one)")
    refuse_production_names_without_stack(args, [args.table], "add-gsi")
    return IndexRequest(table=args.table, index=GlobalIndex(
        name=args.index_name,
        partition=tuple(parse_key(k, "--partition-key") for k in args.partition_key),
        sort=tuple(parse_key(k, "--sort-key") for k in args.sort_key),
        projection=Projection(args.projection),
        non_key_attributes=tuple(a.strip() for a in args.non_key_attributes.split(",") if a.strip()),
    ))


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from scripts.add_gsi import add_gsi

    request = _from_model(args) if args.stack else _from_flags(args)
    client = connection(args).client()
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True, disable=args.json or not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"{request.table}: index {request.name} CREATING", total=None)

        def show(status: str, backfilling: bool | None, _elapsed: int) -> None:
            phase = " (backfilling)" if backfilling else ""
            progress.update(task, description=f"{request.table}: index {request.name} {status}{phase}")

        result = add_gsi(client, request, args.timeout, args.poll_interval, show)
    if args.json:
        print_json({"table": request.table, "index": request.name, "result": result, "status": "ACTIVE"})
    else:
        verb = "created" if result == "created" else "already present"
        print(f"{request.table}: index {request.name} {verb}, ACTIVE")
    return 0
