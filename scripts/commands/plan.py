"""`tables plan --stack S [--allow-replace TABLE ...]`: what `pulumi up` will do to each live table.

Exit 0: nothing to do; 1: safe changes pending; 3: a replacement, index rebuild, index deletion or stream
cycle on a table not named with --allow-replace, a change AWS rejects as one step, a change `pulumi up`
will not apply (key attribute types), an adoption whose import fails, the deletion or rebuild of an
index a declared access pattern uses (a rebuild named with --allow-replace aside:
scripts/pattern_guard.py), or (with --pulumi-preview) a table on
which Pulumi's own preview and the plan disagree. The deploy workflow runs it before every `pulumi up`;
the pull-request workflow posts its `--format markdown` output.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scripts.commands._common import (
    MAX_ITEMS_PER_SECOND,
    add_local_flag,
    connection,
    number_in,
    print_json,
    stack_plans,
)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "plan", parents=[common], help="classify what applying the model does to each live table",
        description="Reads every declared table live and classifies each difference by its consequence: create, "
                    "update (in place), index-create, index-delete, index-rebuild, replace (the table is deleted "
                    "and recreated empty, naming the old table and its items), stream-cycle (a new stream ARN), "
                    "blocked (AWS rejects it as one step) or not-applied (pulumi up leaves it undone: key attribute "
                    "types). Tables the stack adopts get an import check. Exit 0 nothing to do, 1 safe changes "
                    "pending, 3 destructive changes on tables not named with --allow-replace, blocked or "
                    "not-applied changes, an import that fails, or a deleted index a declared access pattern uses "
                    "(removing the pattern lifts that, --allow-replace does not; it does accept a rebuild).")
    parser.add_argument("--stack", required=True, help="the stack whose declared tables to plan (Pulumi.<stack>.yaml)")
    parser.add_argument("--allow-replace", nargs="+", default=[], metavar="TABLE",
                        help="table names (or family.key) on which a person accepts destructive changes")
    parser.add_argument("--backfill-rate", type=number_in(1, MAX_ITEMS_PER_SECOND, unit=" items per second"),
                        help="items per second an on-demand index backfills at, for the estimates "
                             "(default: an assumed 1000; use what your own index builds showed)")
    parser.add_argument("--previous-config", type=Path, metavar="FILE",
                        help="the stack file as it was before this change (a Pulumi.<stack>.yaml, e.g. from git show), "
                             "to name the old tables a prefix, suffix or base name change replaces; without it they "
                             "are found among the live tables the stack's families match")
    parser.add_argument("--pulumi-preview", type=Path, metavar="FILE",
                        help="what `pulumi preview --json --stack S` printed: Pulumi's operation is shown beside "
                             "each table's consequence, and a table on which the two disagree exits 3")
    parser.add_argument("--format", choices=("text", "markdown"), default="text",
                        help="markdown: the plan as a pull-request comment, a table of the changes that matter, "
                             "destructive ones first")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from components.families import patterns_by_family
    from components.model.pattern_access import planned_patterns
    from scripts.change_plan import (
        DEFAULT_BACKFILL_ITEMS_PER_SECOND,
        DESTRUCTIVE_PENDING,
        check_allowed,
        format_plan,
        load_previous_config,
        plan_changes,
    )
    from scripts.errors import ToolError
    from scripts.pattern_guard import pattern_breaks
    from scripts.plan_markdown import format_markdown
    from scripts.pulumi_preview import compare_preview, format_comparison, read_preview

    if args.json and args.format != "text":
        raise ToolError("Usage", f"tables plan: --json and --format {args.format} each choose the output; give one")
    plans = stack_plans(args)
    allowed = check_allowed(plans, args.allow_replace, args.stack)
    previous = load_previous_config(args.previous_config) if args.previous_config else None
    # A bad preview file is found before any call to the endpoint.
    preview = read_preview(args.pulumi_preview, args.stack) if args.pulumi_preview else None
    client = connection(args).client()
    stack_changes = plan_changes(client, plans, args.stack, args.where, allowed,
                                 rate=args.backfill_rate or DEFAULT_BACKFILL_ITEMS_PER_SECOND, previous=previous)
    comparison = compare_preview(stack_changes, preview) if preview else None
    # A declared pattern on an index this change deletes (or rebuilds, unless allowed): exit 3.
    breaks = pattern_breaks(stack_changes, planned_patterns(plans, patterns_by_family()))
    exit_code = comparison.exit_code() if comparison else stack_changes.exit_code()
    if any(not found.allowed for found in breaks):
        exit_code = DESTRUCTIVE_PENDING
    broken = "\n".join(["Access patterns this change interrupts:", *(f"  {found.text()}" for found in breaks)])
    if args.json:
        print_json({**stack_changes.as_json(), "exitCode": exit_code,
                    "pulumiPreview": comparison.as_json() if comparison else None,
                    "patternBreaks": [found.as_json() for found in breaks]})
    elif args.format == "markdown":
        print(format_markdown(stack_changes, comparison), end="")
        if breaks:
            print("\n" + broken)
    else:
        print(format_plan(stack_changes))
        if comparison:
            print()
            print(format_comparison(comparison))
        if breaks:
            print("\n" + broken)
    return exit_code
