"""`tables policy-check --stack S`: the policy pack over the stack's declared resources, offline."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from scripts.commands._common import project


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "policy-check", parents=[common],
        help="run the policy pack over a stack's resources without the Pulumi CLI or AWS",
        description="Runs the real program under Pulumi's mock runtime with Pulumi.<stack>.yaml, then the "
                    "policy pack (over gRPC) with policies/config/<environment>.json. Exit 1 on any "
                    "mandatory violation.")
    parser.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # The only command that needs Pulumi: it runs the program and the pack.
    from scripts.policy_check import check_stack, format_report

    report = check_stack(args.stack, project(args).root)
    if args.json:
        print(json.dumps({"stack": report.stack, "environment": report.environment,
                          "violations": [asdict(v) for v in report.violations]}, indent=2))
    else:
        print(format_report(report))
    return 1 if report.mandatory else 0
