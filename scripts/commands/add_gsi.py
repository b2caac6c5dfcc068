"""`tables add-gsi --table T --index-name N --partition-key a:S ...`: one GSI, waited to ACTIVE."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from scripts.add_gsi import IndexRequest, add_gsi, parse_key
from scripts.commands._common import add_local_flag, connection, print_json


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "add-gsi", parents=[common], help="add one global secondary index and wait until it is ACTIVE",
        description="Adds one GSI (single or multi-attribute keys) and waits through CREATING and backfilling. "
                    "An identical existing index is a success; refuses while another index is being built or "
                    "deleted, because DynamoDB allows one at a time.")
    parser.add_argument("--table", required=True)
    parser.add_argument("--index-name", required=True)
    parser.add_argument("--partition-key", action="append", required=True, metavar="NAME:TYPE",
                        help="repeat for a multi-attribute key (up to 4); TYPE is S, N or B")
    parser.add_argument("--sort-key", action="append", default=[], metavar="NAME:TYPE", help="repeatable, up to 4")
    parser.add_argument("--projection", choices=["ALL", "KEYS_ONLY", "INCLUDE"], default="ALL")
    parser.add_argument("--non-key-attributes", default="", help="comma-separated, with --projection INCLUDE")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for ACTIVE (default 3600)")
    parser.add_argument("--poll-interval", type=float, default=5, help="seconds between status checks (default 5)")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    request = IndexRequest(
        table=args.table, name=args.index_name,
        partition=tuple(parse_key(k, "--partition-key") for k in args.partition_key),
        sort=tuple(parse_key(k, "--sort-key") for k in args.sort_key),
        projection=args.projection,
        non_key_attributes=tuple(a.strip() for a in args.non_key_attributes.split(",") if a.strip()),
    )
    client = connection(args).client()
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True, disable=args.json or not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"{args.table}: index {args.index_name} CREATING", total=None)

        def show(status: str, backfilling: bool | None, _elapsed: int) -> None:
            phase = " (backfilling)" if backfilling else ""
            progress.update(task, description=f"{args.table}: index {args.index_name} {status}{phase}")

        result = add_gsi(client, request, args.timeout, args.poll_interval, show)
    if args.json:
        print_json({"table": args.table, "index": args.index_name, "result": result, "status": "ACTIVE"})
    else:
        verb = "created" if result == "created" else "already present"
        print(f"{args.table}: index {args.index_name} {verb}, ACTIVE")
    return 0
