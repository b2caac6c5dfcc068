"""Wiring shared by the subcommands: the project, the connection from the common flags, stack loading.

Only cheap modules are imported at the top: `tables --help` and every subcommand's `--help` must not
pay for boto3 or the model. Each handler imports what its work needs when it runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.errors import ToolError

if TYPE_CHECKING:  # for annotations only: importing them at start-up would slow every --help
    from components.model.plan import TablePlan
    from scripts.aws import Connection
    from scripts.project import Project
    from scripts.schema_files import TableSchema


DEFAULT_TIMEOUT = 30.0  # scripts.aws.DEFAULT_REQUEST_TIMEOUT, for handlers called without the common flags


def add_local_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--local", action="store_true",
                        help="use the endpoint started by `tables local up` (with placeholder credentials)")


def project(args: argparse.Namespace) -> Project:
    """The project from --project-dir, else the nearest Pulumi.yaml at or above the working directory."""
    from scripts.project import find_project

    if getattr(args, "project", None) is None:
        explicit = args.project_dir is not None
        args.project = find_project(args.project_dir if explicit else Path.cwd(), explicit=explicit)
    found: Project = args.project
    return found


def connection(args: argparse.Namespace, **overrides: Any) -> Connection:
    from scripts import local_endpoint
    from scripts.aws import Connection

    endpoint_url, region = args.endpoint_url, args.region
    args.local_engine = None
    if getattr(args, "local", False):
        endpoint = local_endpoint.recorded(local_endpoint.state_dir(project(args)))
        if endpoint is None or not local_endpoint.is_alive(endpoint):
            raise ToolError("NoLocalEndpoint", "no local endpoint is running; start one with tables local up")
        endpoint_url, args.local_engine = endpoint.url, endpoint.engine
        region = region or local_endpoint.LOCAL_CREDENTIALS["region_name"]
        # Local engines accept any credentials; boto3 needs some. Real ones set by the user still win.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", local_endpoint.LOCAL_CREDENTIALS["aws_access_key_id"])
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", local_endpoint.LOCAL_CREDENTIALS["aws_secret_access_key"])
    args.where = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or "DynamoDB"
    return Connection(endpoint_url=endpoint_url, region=region, profile=args.profile,
                      request_timeout=getattr(args, "request_timeout", None) or DEFAULT_TIMEOUT, **overrides)


def add_stack_or_schemas(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="the stack whose declared tables to use (Pulumi.<stack>.yaml)")
    source.add_argument("--schemas", type=Path, help="a directory of <table>.json schema files")


def stack_plans(args: argparse.Namespace, writer: str | None = None) -> list[TablePlan]:
    """The stack's tables; with `writer` (the command about to write them), refused if a prod stack
    other than this one declares any of them."""
    plans = project(args).plans(args.stack)
    if writer:
        project(args).refuse_production_names(args.stack, [plan.name for plan in plans], writer)
    return plans


def load_schemas(args: argparse.Namespace, writer: str | None = None) -> list[TableSchema]:
    from scripts.schema_files import declared_schema, read_schema_dir

    if getattr(args, "stack", None):
        return [declared_schema(plan) for plan in stack_plans(args, writer)]
    schemas = read_schema_dir(args.schemas)
    if writer:
        refuse_production_names_without_stack(args, [schema.name for schema in schemas], writer)
    return schemas


def refuse_production_names_without_stack(args: argparse.Namespace, names: list[str], writer: str) -> None:
    """For commands that name tables without a stack (`create --schemas`, `add-gsi --table T`): a prod
    stack's table is written only under that stack. Outside a project there are no prod stacks to guard."""
    try:
        found = project(args)
    except ToolError:
        return
    found.refuse_production_names(None, names, writer)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


# The longest any command waits for AWS (an index backfill, a restore): a week. A longer --timeout is a
# typo, and Python's clock arithmetic overflows long before inf.
MAX_WAIT_SECONDS = 7 * 86_400
# A rate above DynamoDB's own ceiling on a table's write throughput (a million per second) says nothing.
MAX_ITEMS_PER_SECOND = 1_000_000


def number_in(low: float, high: float, integer: bool = False, unit: str = "") -> Any:
    """An argparse type for a number in [low, high], the one place every numeric option is checked: a bad
    value (out of range, inf, nan, 1e308) is one usage line, before any work. Every option has both bounds."""
    def parse(text: str) -> float | int:
        try:
            value: float | int = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if integer else ''}number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range; allowed: a number from {low:g} to "
                                             f"{high:g}{unit}")
        return value
    parse.__name__ = "whole number" if integer else "number"  # what argparse calls the type in errors
    parse.bounds = (low, high)  # type: ignore[attr-defined]  # read by the tests that walk every option
    return parse
