"""The `tables` command: argument parsing, shared flags and error reporting for every subcommand.

Each subcommand module exposes `register(subparsers, common)`; its handler takes the parsed
arguments and returns an exit code: 0 all is well, 1 a problem was found (drift, violations,
pending migrations), 2 an error, reported as one line `ERROR [Kind]: what, where`.

Start-up imports only argparse and the command modules' option declarations; each command imports
its own work (boto3, the model, Pulumi for policy-check) when it runs, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from scripts import commands
from scripts.errors import ToolError

EXIT_OK, EXIT_PROBLEM, EXIT_ERROR = 0, 1, 2


def common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument("--endpoint-url", help="DynamoDB endpoint (default: AWS, or AWS_ENDPOINT_URL_DYNAMODB)")
    group.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's)")
    group.add_argument("--profile", help="AWS profile from the AWS config files")
    group.add_argument("--json", action="store_true", help="print the result as JSON")
    group.add_argument("--debug", action="store_true", help="log AWS calls and show tracebacks on errors")
    group.add_argument("--project-dir", type=Path,
                       help="the project (a directory with Pulumi.yaml); default: the nearest one at or above "
                            "the working directory")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tables", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_options()
    for module in commands.MODULES:
        module.register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.debug:
        logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("ERROR [Interrupted]: stopped by the user", file=sys.stderr)
        return 130
    # Every error becomes one line; only --debug adds the traceback.
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        reported = _as_tool_error(error, args)
        if reported is None:
            reported = ToolError(type(error).__name__, f"{error} (run with --debug for the traceback)")
        print(reported, file=sys.stderr)
        return EXIT_ERROR


def _as_tool_error(error: Exception, args: argparse.Namespace) -> ToolError | None:
    from components.model.spec import ModelError

    if isinstance(error, ModelError):
        return ToolError("InvalidConfig", str(error))
    if isinstance(error, ToolError):
        return error
    from scripts.aws import translate

    where = getattr(args, "where", None) or args.endpoint_url or "DynamoDB"
    return translate(error, where)


if __name__ == "__main__":
    sys.exit(main())
