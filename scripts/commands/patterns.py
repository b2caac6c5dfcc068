"""`tables patterns verify --stack S`: run every declared access pattern against the stack's tables."""

from __future__ import annotations

import argparse
from typing import Any

from scripts.commands._common import add_local_flag, connection, print_json, project


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "patterns", parents=[common], help="run every declared access pattern against the tables",
        description="verify: runs each access pattern the families declare (components/families/) as the real "
                    "DynamoDB call against the stack's seeded tables, with the pattern's example values or values "
                    "from a seeded item, and prints the call, the items returned, the consumed capacity and "
                    "pass/fail. A pattern whose call returns nothing is flagged. Writes are checked with an "
                    "always-false condition, so nothing is written. Notes GSIs whose partition key is too hot for "
                    "the declared write rate. Exit 0 when every pattern passed, 1 otherwise.")
    parser.add_argument("action", choices=["verify"])
    parser.add_argument("--stack", required=True, help="the stack whose tables to run the patterns on")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the patterns that did not pass, the hot-key notes and the summary line")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from components.families import check_patterns
    from scripts.patterns import format_verification, verify

    plans = project(args).plans(args.stack)
    planned = check_patterns(plans)
    client = connection(args).client()
    verification = verify(client, args.stack, args.where, plans, planned)
    if args.json:
        print_json(verification.as_json())
    else:
        print(format_verification(verification, quiet=args.quiet))
    return verification.exit_code()
