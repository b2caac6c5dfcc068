"""`tables seed --stack S [--clear]`: development seed data; refused for prod stacks."""

from __future__ import annotations

import argparse
from typing import Any

from scripts.commands._common import add_local_flag, connection, print_json, stack_plans


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("seed", parents=[common], help="load development seed data (never prod)",
                                   description="Loads sample items, shops, jobs, import history, creators, products "
                                               "and analytics events. Refuses prod stacks.")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--clear", action="store_true", help="empty the seeded tables first (only those)")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from scripts.seed_data import seed

    plans = stack_plans(args, writer="seed")
    environment = plans[0].environment if plans else ""
    conn = connection(args)
    report = seed(conn.client(), conn.resource(), plans, environment, clear=args.clear)
    if args.json:
        print_json({"tables": {t: dict(c) for t, c in report.tables.items()}, "cleared": report.cleared})
        return 0
    for table, deleted in report.cleared.items():
        print(f"cleared {table}: {deleted} items deleted")
    for table, counts in report.tables.items():
        print(f"{table}: {sum(counts.values())} seeded")
        for status, count in sorted(counts.items()):
            print(f"  - {status}: {count}")
    return 0
