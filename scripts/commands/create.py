"""`tables create (--stack S | --schemas DIR) [--dry-run]`: create missing tables, idempotently."""

from __future__ import annotations

import argparse
from typing import Any

from scripts.commands._common import add_local_flag, add_stack_or_schemas, connection, load_schemas, print_json


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "create", parents=[common], help="create the tables of a stack or schema directory, and wait for ACTIVE",
        description="Creates missing tables with TTL, PITR, encryption, deletion protection and tags, and verifies "
                    "them. Existing tables that match are reported present; ones that differ are reported as drift "
                    "and left untouched. Safe to run again after a partial failure. Exit 1 on drift.")
    add_stack_or_schemas(parser)
    add_local_flag(parser)
    parser.add_argument("--dry-run", action="store_true", help="report what would be created; change nothing")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from scripts.create_tables import create_tables

    schemas = load_schemas(args, writer="create")
    results = create_tables(connection(args).client(), schemas, dry_run=args.dry_run)
    if args.json:
        print_json([r.as_json() for r in results])
    else:
        width = max(len(r.table) for r in results)
        for result in results:
            print(f"{result.table:<{width}}  {result.result:<14}  {'; '.join(result.notes)}".rstrip())
            for difference in result.differences:
                print(f"{'':<{width}}    {difference.text()}")
        counts: dict[str, int] = {}
        for result in results:
            counts[result.result] = counts.get(result.result, 0) + 1
        print(f"{len(results)} tables: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    return 1 if any(r.problem for r in results) else 0
