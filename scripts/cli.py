"""The `tables` command: argument parsing, shared flags and error reporting for every subcommand.

Each subcommand module exposes `register(subparsers, common)`; its handler takes the parsed
arguments and returns an exit code: 0 all is well, 1 a problem was found (drift, violations,
pending migrations), 2 an error, reported as one line `ERROR [Kind]: what, where`.

Start-up imports only argparse and the command modules' option declarations; each command imports
its own work (boto3, the model, Pulumi for policy-check) when it runs, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NoReturn

from scripts import commands
from scripts.commands._common import number_in
from scripts.errors import Terminated, ToolError, interrupt_exit_code

EXIT_OK, EXIT_PROBLEM, EXIT_ERROR = 0, 1, 2


def common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument("--endpoint-url", help="DynamoDB endpoint (default: AWS, or AWS_ENDPOINT_URL_DYNAMODB)")
    group.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's)")
    group.add_argument("--profile", help="AWS profile from the AWS config files")
    group.add_argument("--json", action="store_true", help="print the result as JSON")
    group.add_argument("--debug", action="store_true", help="log AWS calls and show tracebacks on errors")
    # The values live in scripts/aws.py (DEFAULT_REQUEST_TIMEOUT, REQUEST_TIMEOUT_RANGE); repeated here so
    # that --help loads no boto3. tests/test_endpoint_safety.py keeps the two equal.
    group.add_argument("--request-timeout", type=number_in(1, 300, unit=" seconds"), default=30.0, metavar="SECONDS",
                       help="the longest one DynamoDB request may wait, retries included, before the command "
                            "stops with one line (1 to 300; default 30)")
    group.add_argument("--project-dir", type=Path,
                       help="the project (a directory with Pulumi.yaml); default: the nearest one at or above "
                            "the working directory")
    return common


class _Parser(argparse.ArgumentParser):
    """argparse with our error form: one line, exit 2, and JSON on stdout under --json.

    `--help` output is argparse's own; only mistakes change shape.
    """

    json_errors = False

    def error(self, message: str) -> NoReturn:
        report(ToolError("Usage", f"{self.prog}: {message} (see {self.prog} --help)"), self.json_errors)
        sys.exit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tables", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_options()
    for module in commands.MODULES:
        module.register(subparsers, common)
    return parser


def report(error: ToolError, as_json: bool) -> None:
    print(error, file=sys.stderr)
    if as_json:
        print(json.dumps(error.as_json(), indent=2))


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # argparse takes any unambiguous prefix of an option (`--jso` is --json), so usage errors do too.
    _Parser.json_errors = any(len(arg) > 2 and "--json".startswith(arg) for arg in arguments)
    args = build_parser().parse_args(arguments)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.debug:
        logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        with _sigterm_as_interrupt():
            return int(args.handler(args))
    except KeyboardInterrupt as interrupt:
        code = interrupt_exit_code(interrupt)
        report(ToolError("Interrupted", "stopped by SIGTERM" if code == Terminated.exit_code
                         else "stopped by the user"), args.json)
        if argv is None:
            _exit_now(code)
        return code
    # Every error becomes one line; only --debug adds the traceback.
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        reported = _as_tool_error(error, args)
        if reported is None:
            reported = ToolError(type(error).__name__, f"{error} (run with --debug for the traceback)")
        report(reported, args.json)
        return reported.exit_code


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises Terminated (a KeyboardInterrupt) in the main thread, so a command stops, cleans up
    and reports for it as for Ctrl-C. Commands that stop more gently (migrate up) install their own."""
    def terminate(_number: int, _frame: Any) -> None:
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_now(code: int) -> NoReturn:
    """End the process once the interrupted command has cleaned up and said what it did: worker threads
    still waiting on the network (up to --request-timeout) would otherwise hold the exit, since Python
    joins them before it exits, and Ctrl-C must act within a second."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(code)


def _as_tool_error(error: Exception, args: argparse.Namespace) -> ToolError | None:
    from components.model.spec import ModelError

    stack = getattr(args, "stack", None)
    if isinstance(error, ModelError):
        return ToolError("InvalidConfig", str(error), where=f"Pulumi.{stack}.yaml" if stack else "")
    if isinstance(error, ToolError):
        return error
    from scripts.aws import translate

    where = getattr(args, "where", None) or args.endpoint_url or "DynamoDB"
    return translate(error, where)


if __name__ == "__main__":
    sys.exit(main())
