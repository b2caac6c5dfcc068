"""Wiring shared by the subcommands: the connection from the common flags, and stack loading."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from components.plan import TablePlan, plan_from_stack_file
from scripts import local_endpoint
from scripts.aws import Connection
from scripts.errors import ToolError
from scripts.paths import PROJECT_DIR
from scripts.schema_files import TableSchema, declared_schema, read_schema_dir


def add_local_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--local", action="store_true",
                        help="use the endpoint started by `tables local up` (with placeholder credentials)")


def connection(args: argparse.Namespace, **overrides: Any) -> Connection:
    endpoint_url, region = args.endpoint_url, args.region
    args.local_engine = None
    if getattr(args, "local", False):
        endpoint = local_endpoint.recorded()
        if endpoint is None or not local_endpoint.is_alive(endpoint):
            raise ToolError("NoLocalEndpoint", "no local endpoint is running; start one with tables local up")
        endpoint_url, args.local_engine = endpoint.url, endpoint.engine
        region = region or local_endpoint.LOCAL_CREDENTIALS["region_name"]
        # Local engines accept any credentials; boto3 needs some. Real ones set by the user still win.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", local_endpoint.LOCAL_CREDENTIALS["aws_access_key_id"])
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", local_endpoint.LOCAL_CREDENTIALS["aws_secret_access_key"])
    args.where = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or "DynamoDB"
    return Connection(endpoint_url=endpoint_url, region=region, profile=args.profile, **overrides)


def add_stack_or_schemas(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="the stack whose declared tables to use (Pulumi.<stack>.yaml)")
    source.add_argument("--schemas", type=Path, help="a directory of <table>.json schema files")


def stack_plans(stack: str) -> list[TablePlan]:
    return plan_from_stack_file(PROJECT_DIR, stack)


def load_schemas(args: argparse.Namespace) -> list[TableSchema]:
    if getattr(args, "stack", None):
        return [declared_schema(plan) for plan in stack_plans(args.stack)]
    return read_schema_dir(args.schemas)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))
