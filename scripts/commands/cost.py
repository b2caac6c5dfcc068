"""`tables cost --stack S`: each table's monthly cost, itemized, and what a change does to it.

Exit 0; 3 when the stack is over a `costBudget` whose enforcement is mandatory.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scripts.commands._common import add_local_flag, connection, print_json, project


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "cost", parents=[common], help="estimate each table's monthly cost and a change's delta",
        description="Prices every table the stack declares for a month, line by line: write and read request "
                    "units (declared rates, every index a write lands in, item size rounding), storage (live "
                    "sizes with an endpoint, else declared ones, 100 bytes a item of index overhead), "
                    "point-in-time recovery, AWS Backup storage and cross-region copies, streams, in the "
                    "table's class; with the cheaper table class per table. --base-ref, --against live or "
                    "--pulumi-preview prices the change: before, after and delta per table. Exit 3 when the "
                    "stack is over a mandatory costBudget. docs/cost.md explains every line.")
    parser.add_argument("--stack", required=True, help="the stack to price (Pulumi.<stack>.yaml)")
    before = parser.add_mutually_exclusive_group()
    before.add_argument("--base-ref", metavar="REF",
                        help="price the change from the model at this git commit, branch or tag (e.g. origin/main)")
    before.add_argument("--against", choices=["live"],
                        help="price the change from the live tables (needs an endpoint or AWS credentials)")
    before.add_argument("--pulumi-preview", type=Path, metavar="FILE",
                        help="price the change FILE shows, what `pulumi preview --json --stack S` printed: tables it "
                             "creates are added, ones it deletes or replaces priced from their old state")
    parser.add_argument("--prices", type=Path, metavar="DIR",
                        help="a directory of <region>.yaml price files (default: the project's prices/); use it "
                             "for negotiated prices")
    parser.add_argument("--format", choices=["text", "markdown"], default="text",
                        help="markdown: the pull-request comment")
    parser.add_argument("--live-sizes", action="store_true",
                        help="measure storage on the live tables (implied by --endpoint-url, --local and --against)")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from scripts.cost import build_report, format_markdown, format_text

    root = project(args).root
    wants_live = bool(args.endpoint_url or args.local or args.against or args.live_sizes)
    client = connection(args).client() if wants_live else None
    report = build_report(root, args.stack, args.prices or root / "prices", client,
                          base_ref=args.base_ref, against_live=args.against == "live",
                          pulumi_preview=args.pulumi_preview)
    if args.json:
        print_json(report.as_json())
    elif args.format == "markdown":
        print(format_markdown(report))
    else:
        print(format_text(report))
    return report.exit_code()
