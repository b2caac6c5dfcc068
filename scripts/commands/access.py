"""`tables access --stack S`: who can do what on which table, from the stack's consumers config."""

from __future__ import annotations

import argparse
from typing import Any

from scripts.commands._common import print_json, project

SHORT = {"read": "R", "write": "W", "read-write": "RW", "stream": "S"}


def _short(levels: tuple[Any, ...]) -> str:
    """R, RW, or R+S for a table granted read and stream."""
    return "+".join(SHORT[level.value] for level in levels)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "access", parents=[common], help="show which service may read, write or stream which table",
        description="Prints the access matrix the stack's dynamodb-tables:consumers config grants: one row per "
                    "table, one column per consumer (R read, W write, RW read-write, S stream; R+S both). The "
                    "same grants become each consumer's IAM policy in the Pulumi program.")
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--patterns", action="store_true",
                        help="list, per consumer, the access patterns it runs (and grants wider than them)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from components.families import consumers_from_stack_file
    from components.model.access import levels_text

    plans, consumers = consumers_from_stack_file(project(args).root, args.stack)
    if args.patterns:
        return _patterns(args, plans, consumers)
    if args.json:
        print_json({
            "consumers": {c.name: {"role": c.role_name, "environment": c.environment(),
                                   "tables": {table: levels_text(levels) for table, levels in c.levels().items()}}
                          for c in consumers},
            "tables": {p.name: {c.name: levels_text(c.levels()[p.name]) for c in consumers if p.name in c.levels()}
                       for p in plans},
        })
        return 0
    if not consumers:
        print(f"stack '{args.stack}' grants no consumer access (dynamodb-tables:consumers is not set)")
        return 0
    for number, consumer in enumerate(consumers, start=1):
        print(f"[{number}] {consumer.name}: role {consumer.role_name}")
    width = max(len(p.name) for p in plans)
    print()
    print(f"{'TABLE':<{width}}  " + "  ".join(f"{n:>3}" for n in range(1, len(consumers) + 1)))
    for plan in plans:
        cells = [_short(c.levels()[plan.name]) if plan.name in c.levels() else "." for c in consumers]
        print(f"{plan.name:<{width}}  " + "  ".join(f"{cell:>3}" for cell in cells))
    unused = [p.name for p in plans if not any(p.name in c.levels() for c in consumers)]
    print(f"\n{len(consumers)} consumers, {len(plans)} tables; R read, W write, RW read-write, S stream"
          + (f"; no consumer: {', '.join(unused)}" if unused else ""))
    return 0


def _patterns(args: argparse.Namespace, plans: Any, consumers: Any) -> int:
    from components.families import patterns_by_family
    from components.model.pattern_access import planned_patterns, wider_than_patterns
    from scripts.patterns import consumer_patterns, format_consumer_patterns

    planned = planned_patterns(plans, patterns_by_family())
    if args.json:
        print_json({"consumers": consumer_patterns(consumers, planned),
                    "widerThanPatterns": wider_than_patterns(consumers, planned)})
    else:
        print(format_consumer_patterns(consumers, planned))
    return 0
