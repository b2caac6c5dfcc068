"""`tables plan --stack S [--allow-replace TABLE ...]`: what `pulumi up` will do to each live table.

Exit 0: nothing to do; 1: safe changes pending; 3: a replacement, index rebuild or index deletion on a
table not named with --allow-replace, or a change AWS rejects as one step. The deploy workflow runs it
before every `pulumi up`.
"""

from __future__ import annotations

import argparse
from typing import Any

from scripts.commands._common import add_local_flag, connection, number_in, print_json, stack_plans


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "plan", parents=[common], help="classify what applying the model does to each live table",
        description="Reads every declared table live and classifies each difference by its consequence: create, "
                    "update (in place), index-create, index-delete, index-rebuild, replace (the table is deleted "
                    "and recreated empty) or blocked (AWS rejects it as one step). Tables the stack adopts get an "
                    "import check. Exit 0 nothing to do, 1 safe changes pending, 3 destructive changes on tables "
                    "not named with --allow-replace (or blocked changes).")
    parser.add_argument("--stack", required=True, help="the stack whose declared tables to plan (Pulumi.<stack>.yaml)")
    parser.add_argument("--allow-replace", nargs="+", default=[], metavar="TABLE",
                        help="table names (or family.key) on which a person accepts destructive changes")
    parser.add_argument("--backfill-rate", type=number_in(1, unit=" items per second"),
                        help="items per second an on-demand index backfills at, for the estimates "
                             "(default: an assumed 1000; use what your own index builds showed)")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from scripts.change_plan import DEFAULT_BACKFILL_ITEMS_PER_SECOND, check_allowed, format_plan, plan_changes

    plans = stack_plans(args)
    allowed = check_allowed(plans, args.allow_replace, args.stack)
    client = connection(args).client()
    stack_changes = plan_changes(client, plans, args.stack, args.where, allowed,
                              rate=args.backfill_rate or DEFAULT_BACKFILL_ITEMS_PER_SECOND)
    if args.json:
        print_json(stack_changes.as_json())
    else:
        print(format_plan(stack_changes))
    return stack_changes.exit_code()
