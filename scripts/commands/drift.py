"""`tables drift --stack S`: live tables against the declared model. Exit 1 on drift."""

from __future__ import annotations

import argparse
from typing import Any

from scripts.commands._common import add_local_flag, add_stack_or_schemas, connection, load_schemas, print_json


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("drift", parents=[common], help="compare live tables with the declared model",
                                   description="Compares keys, indexes, TTL, PITR, encryption, billing, deletion "
                                               "protection, stream, table class and tags. Exit 1 on any drift.")
    add_stack_or_schemas(parser)
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from scripts.drift import detect_drift, format_drift

    schemas = load_schemas(args)
    results = detect_drift(connection(args).client(), schemas)
    if args.json:
        print_json([r.as_json() for r in results])
    else:
        print(format_drift(results))
    return 1 if any(r.state != "in-sync" for r in results) else 0
