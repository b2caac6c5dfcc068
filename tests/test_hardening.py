"""Hostile input: no spelling of a value weakens prod, and every mistake is one line that says where.

The program (under Pulumi's mocks) and the `tables` command read stack files through one parser,
so each bad stack file below must be rejected by both, with the same message.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from scripts.cli import main
from scripts.local_endpoint import Endpoint, free_port
from scripts.mock_stack import run_program
from tests.conftest import client_for
from tests.fault_proxy import FaultProxy
from tests.project import PROJECT_DIR
from tests.pulumi_engine import EngineRefusedError, engine_config

PROD = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
DEV = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
ENVIRONMENT_RULE = "lower-case letters, digits and hyphens, starting with a letter"


def a_project(tmp_path: Path, stack: str, text: str) -> Path:
    for file in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(PROJECT_DIR / file, tmp_path / file)
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    return tmp_path


def program_error(project: Path, stack: str) -> str:
    """What `pulumi preview` would stop with: the program's RunError, given the config the Pulumi CLI
    would pass it (tests/pulumi_engine.py, built from Pulumi's rules, never the command's own reader)."""
    config = engine_config(project, stack)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(project, stack, config)
    return str(caught.value)


def command_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return captured.err.rstrip("\n")


def prod_with(environment: str) -> str:
    # What a YAML block scalar or a copy-paste does to the environment, with the protections off.
    return (PROD.replace("dynamodb-tables:environment: prod", f"dynamodb-tables:environment: {environment}")
            .replace("dynamodb-tables:protect: true", "dynamodb-tables:protect: false")
            .replace("dynamodb-tables:deletionProtection: true", "dynamodb-tables:deletionProtection: false"))


NEAR_PROD = {
    "trailing newline": ('"prod\\n"', "prod\n"),
    "block scalar": ("|\n    prod", "prod\n"),
    "capital P": ("Prod", "Prod"),
    "upper case": ("PROD", "PROD"),
    "leading space": ('" prod"', " prod"),
    "trailing space": ('"prod "', "prod "),
    "tab": ('"prod\\t"', "prod\t"),
    "cyrillic o": ("pr\u043ed", "pr\u043ed"),
    "fullwidth": ("\uff50\uff52\uff4f\uff44", "\uff50\uff52\uff4f\uff44"),
    "zero-width space": ('"prod\\u200b"', "prod\u200b"),
}


@pytest.mark.parametrize("spelling", NEAR_PROD, ids=list(NEAR_PROD))
def test_no_spelling_of_prod_passes_as_another_environment(spelling: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    written, value = NEAR_PROD[spelling]
    project = a_project(tmp_path, "prod", prod_with(written))
    expected = (f"stack 'prod', config key 'dynamodb-tables:environment': given {json.dumps(value)}; "
                f"allowed: {ENVIRONMENT_RULE}")
    assert program_error(project, "prod") == expected
    assert command_error(capsys, "synth", "--stack", "prod", "--project-dir", str(project)) == (
        f"ERROR [InvalidConfig]: {expected}")


@pytest.mark.parametrize("environment", ["production", "prd", "production-eu"])
def test_other_names_for_production_are_refused(environment: str, tmp_path: Path) -> None:
    project = a_project(tmp_path, "live", prod_with(environment))
    assert program_error(project, "live") == (
        f"stack 'live', config key 'dynamodb-tables:environment': given \"{environment}\"; allowed: 'prod' (or "
        "prod-<region>) for a production environment: its protections are keyed on that name")


def test_a_stack_named_prod_must_be_the_prod_environment(tmp_path: Path) -> None:
    project = a_project(tmp_path, "prod", prod_with("staging"))
    assert program_error(project, "prod") == (
        "stack 'prod', config key 'dynamodb-tables:environment': given \"staging\"; "
        "allowed: 'prod' in the stack 'prod'")


def test_a_regional_prod_environment_gets_prods_protections(tmp_path: Path) -> None:
    project = a_project(tmp_path, "prod-eu", prod_with("prod-eu"))
    assert program_error(project, "prod-eu") == (
        "stack 'prod-eu', config key 'dynamodb-tables:protect': given false; allowed: true in the prod environment")


@pytest.mark.parametrize("spelling", NEAR_PROD, ids=list(NEAR_PROD))
def test_seed_writes_nothing_for_a_near_prod_stack(spelling: str, moto: Endpoint, moto_client: Any,
                                                   aws_env: dict[str, str], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from components.families import plan_from_stack_file
    from scripts.create_tables import create_tables
    from scripts.schema_files import declared_schema

    # The prod tables exist (created from the real prod stack), so a seed that got through would land.
    create_tables(moto_client, [declared_schema(p) for p in plan_from_stack_file(PROJECT_DIR, "prod")])
    project = a_project(tmp_path, "prod", prod_with(NEAR_PROD[spelling][0]))
    assert command_error(capsys, "seed", "--stack", "prod", "--project-dir", str(project),
                         "--endpoint-url", moto.url).startswith("ERROR [InvalidConfig]: stack 'prod', config key "
                                                                "'dynamodb-tables:environment'")
    assert moto_client.scan(TableName="items-prod", Select="COUNT")["Count"] == 0


def test_seed_refuses_the_real_prod_stack_before_any_call(aws_env: dict[str, str],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: the refusal comes first
    assert command_error(capsys, "seed", "--stack", "prod", "--endpoint-url", url) == (
        "ERROR [Refused]: seed data is for development stacks; this stack's environment is prod")


LONG_KEY = "k" * 200
BAD_STACK_FILES = {
    "suffix with a newline": (
        DEV.replace("suffix: -dev\n      tags:\n        owner: items-team",
                    'suffix: "-dev\\n"\n      tags:\n        owner: items-team'),
        "stack 'dev', config key 'dynamodb-tables:families.items-service.suffix': given \"-dev\\n\"; "
        "allowed: up to 64 characters of [A-Za-z0-9_.-]"),
    "key without a namespace": (
        DEV.replace("  dynamodb-tables:protect: false", "  dynamodb-tables:protect: false\n  protect: true"),
        "stack 'dev', config key 'protect': no namespace; our keys are written 'dynamodb-tables:protect', the AWS "
        "provider's 'aws:protect'"),
    "unknown namespace": (
        DEV.replace("  dynamodb-tables:protect: false", "  dynamodb-tables:protect: false\n"
                                                         "  dynamodb-table:protect: true"),
        "stack 'dev', config key 'dynamodb-table:protect': unknown namespace 'dynamodb-table' (did you mean "
        "'dynamodb-tables'?); this program reads only dynamodb-tables:, and other namespaces belong to providers"),
    "duplicate key": (
        DEV.replace("  dynamodb-tables:protect: false", "  dynamodb-tables:protect: false\n"
                                                         "  dynamodb-tables:protect: true"),
        "Pulumi.dev.yaml line 6: not valid YAML (key 'dynamodb-tables:protect' is given twice (first on line 5))"),
    "encrypted value": (
        DEV.replace("  dynamodb-tables:protect: false", "  dynamodb-tables:protect: false\n"
                                                         "  dynamodb-tables:kmsKeyArn:\n    secure: AAABAJ1x"),
        "stack 'dev', config key 'dynamodb-tables:kmsKeyArn': given \"an encrypted value\"; allowed: encrypted "
        "values are not supported for dynamodb-tables:kmsKeyArn; none of this project's keys is a secret, write it "
        "in plain text"),
    "reserved tag prefix": (
        DEV.replace("    cost-center: engineering", "    cost-center: engineering\n    aws:owner: me"),
        "stack 'dev', config key 'dynamodb-tables:tags.aws:owner': given \"me\"; allowed: a tag name not starting "
        "with 'aws:' (AWS reserves it)"),
    "tag key of 200 characters": (
        DEV.replace("    cost-center: engineering", f"    cost-center: engineering\n    {LONG_KEY}: x"),
        f"stack 'dev', config key 'dynamodb-tables:tags.{LONG_KEY}': given \"x\"; allowed: tag names of 1 to 128 "
        "letters, digits, spaces and _.:/=+-@"),
    "shell metacharacters in a value": (
        DEV.replace("    cost-center: engineering", "    cost-center: \"$(rm -rf ~)\""),
        "stack 'dev', config key 'dynamodb-tables:tags.cost-center': given \"$(rm -rf ~)\"; allowed: a string of up "
        "to 256 letters, digits, spaces and _.:/=+-@"),
    "56 tags": (
        DEV.replace("    cost-center: engineering", "    cost-center: engineering\n"
                    + "\n".join(f"    extra-{i}: v" for i in range(54))),
        "stack 'dev', config key 'dynamodb-tables:tags': given \"56 tags\"; allowed: at most 50 tags on a table "
        "(AWS's limit)"),
    "recovery period with PITR off": (
        DEV.replace("  dynamodb-tables:protect: false", "  dynamodb-tables:protect: false\n"
                                                         "  dynamodb-tables:pointInTimeRecovery: false"),
        "stack 'dev', config key 'dynamodb-tables:pitrRecoveryPeriodDays': given 7; allowed: no recovery period "
        "while pointInTimeRecovery is false; remove it or turn PITR on"),
}


@pytest.mark.parametrize("case", BAD_STACK_FILES, ids=list(BAD_STACK_FILES))
def test_the_program_and_the_command_reject_a_bad_stack_file_the_same_way(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, message = BAD_STACK_FILES[case]
    assert text != DEV, "the mutation must change the file"
    project = a_project(tmp_path, "dev", text)
    if case == "duplicate key":
        with pytest.raises(EngineRefusedError):  # the Pulumi CLI stops at the file; the program never runs
            engine_config(project, "dev")
    else:
        assert program_error(project, "dev") == message
    assert command_error(capsys, "synth", "--stack", "dev", "--project-dir", str(project)) == (
        f"ERROR [InvalidConfig]: {message}")


def test_tags_added_by_the_program_count_towards_the_limit(tmp_path: Path) -> None:
    # 47 of the stack's own plus environment, family, managed-by and data-classification: 51 on each table.
    text = DEV.replace("  dynamodb-tables:tags:\n    owner: platform-team\n    cost-center: engineering",
                       "  dynamodb-tables:tags:\n" + "\n".join(f"    t{i}: v" for i in range(47)))
    # The engine passes the families map as JSON with its keys sorted (Go's encoding/json), so
    # construction-expenses is planned first.
    text = text.replace("      tags:\n        owner: construction-team\n", "")
    assert program_error(a_project(tmp_path, "dev", text), "dev") == (
        "family 'construction-expenses', table 'companies', field 'tags': given '51 tags with the ones this program "
        "adds'; allowed: at most 50 tags on a table (AWS's limit)")


# --- the command's own options -------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["add-gsi", "--table", "t", "--index-name", "by-x", "--partition-key", "x:S", "--poll-interval", "0"],
     "tables add-gsi: argument --poll-interval: 0 is out of range; allowed: a number from 0.1 to 600 seconds"),
    (["add-gsi", "--table", "t", "--index-name", "by-x", "--partition-key", "x:S", "--timeout", "nan"],
     "tables add-gsi: argument --timeout: nan is out of range; allowed: a number from 1 to 604800 seconds"),
    (["local", "up", "--port", "99999"],
     "tables local: argument --port: 99999 is out of range; allowed: a number from 0 to 65535"),
    (["migrate", "up", "--stack", "dev", "--segments", "5-2"],
     "tables migrate: argument --segments: '5-2': a range runs from a lower to a higher segment number, both 0 or "
     "more (like 0-3)"),
    (["migrate", "up", "--stack", "dev", "--total-segments", "0"],
     "tables migrate: argument --total-segments: 0 is out of range; allowed: a number from 1 to 1e+06"),
    (["migrate", "up", "--stack", "dev", "--lock-lease", "0"],
     "tables migrate: argument --lock-lease: 0 is out of range; allowed: a number from 3 to 3600 seconds"),
    (["drift"], "tables drift: one of the arguments --stack --schemas is required"),
    (["drift", "--stack", "dev", "--colour"], "tables: unrecognized arguments: --colour"),
    (["nonsense"], "tables: argument COMMAND: invalid choice: 'nonsense' (choose from 'synth', 'docs', 'create', "
                   "'drift', 'plan', 'export', 'scaffold', 'add-gsi', 'local', 'seed', 'migrate', 'patterns', "
                   "'access', 'restore', 'restore-drill', 'policy-check', 'cost', "
                   "'prewarm')"),
    (["restore-drill", "--stack", "dev", "--parallel", "11"],
     "tables restore-drill: argument --parallel: 11 is out of range; allowed: a number from 1 to 10"),
])
def test_bad_options_are_one_usage_line_before_any_work(args: list[str], message: str, aws_env: dict[str, str],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    prog = message.split(":")[0]
    assert captured.err == f"ERROR [Usage]: {message} (see {prog} --help)\n"
    assert captured.out == ""


def _numeric_options() -> list[tuple[str, str, tuple[float, float]]]:
    """(command, option, bounds) for every numeric option of every command, found by walking the parser."""
    import argparse

    from scripts.cli import build_parser

    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for command, parser in subparsers.choices.items():
        for action in parser._actions:
            if action.type is not None and getattr(action.type, "__name__", "") in ("number", "whole number"):
                found.append((command, action.option_strings[0], action.type.bounds))  # type: ignore[attr-defined]
    return found


NUMERIC_OPTIONS = _numeric_options()


def test_every_numeric_option_is_checked_in_one_place_with_both_bounds() -> None:
    # Walking the parser: any option typed int or float directly would be missed by number_in's checks.
    import argparse

    from scripts.cli import build_parser

    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    raw = [(command, action.option_strings) for command, parser in subparsers.choices.items()
           for action in parser._actions if action.type in (int, float)]
    assert raw == []
    assert {(c, o) for c, o, _ in NUMERIC_OPTIONS} >= {("add-gsi", "--timeout"), ("restore", "--timeout"),
                                                       ("plan", "--backfill-rate")}
    assert all(high < float("inf") for _, _, (_, high) in NUMERIC_OPTIONS)


@pytest.mark.parametrize(("command", "option", "bounds"), NUMERIC_OPTIONS,
                         ids=[f"{c} {o}" for c, o, _ in NUMERIC_OPTIONS])
@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-1e308", "-inf"])
def test_no_numeric_option_takes_infinity_nan_or_a_huge_number(command: str, option: str,
                                                               bounds: tuple[float, float], value: str,
                                                               aws_env: dict[str, str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, f"{option}={value}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    low, high = bounds
    assert f"argument {option}: " in err and (f"is out of range; allowed: a number from {low:g} to {high:g}" in err
                                             or "is not a whole number" in err), err


def test_add_gsi_timeout_of_1e308_is_a_usage_line_not_an_overflow(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["add-gsi", "--table", "t", "--index-name", "by-x", "--partition-key", "x:S", "--timeout", "1e308"])
    assert capsys.readouterr().err == (
        "ERROR [Usage]: tables add-gsi: argument --timeout: 1e308 is out of range; allowed: a number from 1 to 604800 "
        "seconds (see tables add-gsi --help)\n")


COMMANDS = ["synth", "docs", "create", "drift", "plan", "export", "scaffold", "add-gsi", "local", "seed", "migrate",
            "access", "restore", "restore-drill", "policy-check"]


@pytest.mark.parametrize("json_flag", ["--json", "--jso", "--js"])
@pytest.mark.parametrize("command", COMMANDS)
def test_every_commands_usage_errors_are_json_under_json(command: str, json_flag: str, aws_env: dict[str, str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, json_flag, "--no-such-option"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert error["kind"] == "Usage", error


@pytest.mark.parametrize("args", [["docs", "--check"], ["access", "--stack", "dev"], ["synth", "--stack", "dev"],
                                  ["policy-check", "--stack", "dev"]], ids=lambda a: a[0])
def test_offline_commands_print_only_json_on_success_under_json(args: list[str], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["--out", str(tmp_path)] if args[0] == "synth" else []
    assert main([*args, *extra, "--json"]) in (0, 1)
    json.loads(capsys.readouterr().out)


def test_a_json_abbreviation_gives_json_on_success_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--stack", "dev", "--out", str(tmp_path), "--jso"]) == 0
    json.loads(capsys.readouterr().out)


def test_help_is_argparses_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["drift", "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: tables drift [-h]")


def test_a_missing_migrations_folder_is_an_error_not_nothing_to_do(moto: Endpoint, moto_client: Any,
                                                                   aws_env: dict[str, str], tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert command_error(capsys, "migrate", "up", "--stack", "dev", "--endpoint-url", moto.url,
                         "--migrations", str(missing)) == (
        f"ERROR [NoMigrations]: --migrations {missing}: no such directory")


# --- --json errors -------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "kind", "where"), [
    (["drift", "--json"], "Usage", ""),
    (["synth", "--stack", "qa", "--json"], "InvalidConfig", "Pulumi.qa.yaml"),
    (["export", "--tables", "no-such-table", "--out", "OUT", "--json"], "TableNotFound", "no-such-table"),
])
def test_json_errors_are_an_object_on_stdout_as_well(args: list[str], kind: str, where: str, moto: Endpoint,
                                                     moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(tmp_path) if a == "OUT" else a for a in args] + (["--endpoint-url", moto.url] if "export" in args
                                                                  else [])
    try:
        code = main(args)
    except SystemExit as exited:
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    assert code == 2
    error = json.loads(captured.out)["error"]
    assert (error["kind"], error["where"]) == (kind, where)
    assert captured.err == f"ERROR [{kind}]: {error['message']}\n"


# --- servers that are not DynamoDB, and regions that do not exist ----------------------------------

HTML_SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
status = int(sys.argv[2])
class Page(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"<html>\\n<head><title>Oops</title></head>\\n<body><h1>Server Error</h1>\\n<p>x</p></body></html>\\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Page).serve_forever()
"""


@pytest.fixture(params=[501, 200, 403])
def html_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", HTML_SERVER, str(port), str(request.param)])
    try:
        deadline = time.monotonic() + 10
        import socket
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline, "the HTML server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", request.param
    finally:
        process.kill()
        process.wait()


def test_an_endpoint_answering_html_is_one_line_without_the_page(html_server: tuple[str, int],
                                                                  aws_env: dict[str, str],
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    url, status = html_server
    line = command_error(capsys, "drift", "--stack", "dev", "--endpoint-url", url, "--region", "us-east-1")
    assert "<" not in line and "Server Error" not in line
    if status == 501:
        assert line == (f"ERROR [ServerError]: {url}: DescribeTable failed with HTTP 501 (Not Implemented); "
                        "try again, or check the endpoint")
    else:
        assert line == (f"ERROR [NotDynamoDB]: {url} answered DescribeTable with HTTP {status} (text/html), not a "
                        "DynamoDB response; check --endpoint-url")


def test_a_region_typo_says_so(aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert command_error(capsys, "drift", "--stack", "dev", "--region", "us-eest-1") == (
        "ERROR [UnknownRegion]: region 'us-eest-1' is not a region DynamoDB runs in (e.g. us-east-1, eu-west-1); "
        "check --region, AWS_REGION or the profile")


# --- names from the network, schema files, partial work -----------------------------------------

def test_export_never_writes_outside_out(moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "../../escaped/name"
    moto_client.create_table(TableName=hostile, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
    out = tmp_path / "a" / "b" / "out"
    assert command_error(capsys, "export", "--prefix", "", "--out", str(out), "--endpoint-url", moto.url) == (
        f"ERROR [UnsafeName]: table name '{hostile}' is not a valid DynamoDB table name (3 to 255 characters of "
        f"[A-Za-z0-9_.-]); no file written for it in {out}")
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "a" / "escaped").exists()
    assert not out.exists()


ORDERS = {"TableName": "orders-dev", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
          "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}


@pytest.mark.parametrize(("bad", "message"), [
    ({**ORDERS, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "X"}]},
     "field 'AttributeDefinitions[0].AttributeType': given \"X\"; allowed: S, N or B"),
    ({**ORDERS, "TableName": "ab"}, "field 'TableName': given \"ab\"; allowed: 3 to 255 characters of [A-Za-z0-9_.-]"),
    ({**ORDERS, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                         {"AttributeName": "a", "AttributeType": "S"},
                                         {"AttributeName": "a", "AttributeType": "N"}],
      "GlobalSecondaryIndexes": [{"IndexName": "by-a", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                                  "Projection": {"ProjectionType": "ALL"}}]},
     "field 'AttributeDefinitions[2]': given \"a:N\"; allowed: one type per attribute ('a' is declared S already)"),
    ({**ORDERS, "GlobalSecondaryIndexes": [{"IndexName": "by-id", "KeySchema": [{"AttributeName": "id",
                                                                               "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "INCLUDE"}}]},
     "table 'orders-dev', field 'globalIndexes.by-id.nonKeyAttributes': given []; allowed: at least one attribute "
     "with projection INCLUDE"),
    ({**ORDERS, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                         {"AttributeName": "unused", "AttributeType": "S"}]},
     "field 'AttributeDefinitions': given [\"unused\"]; allowed: only attributes that a key uses (DynamoDB rejects "
     "others)"),
])
def test_create_schemas_validates_every_file_before_any_call(bad: dict[str, Any], message: str, moto: Endpoint,
                                                             moto_client: Any, aws_env: dict[str, str],
                                                             tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-good.json").write_text(json.dumps({**ORDERS, "TableName": "good-dev"}))
    (tmp_path / "companies.json").write_text(json.dumps(bad))
    assert command_error(capsys, "create", "--schemas", str(tmp_path), "--endpoint-url", moto.url) == (
        f"ERROR [InvalidSchema]: companies.json: {message}")
    assert moto_client.list_tables()["TableNames"] == []  # not even the good file's table


LONG_TAG = "k" * 170


@pytest.mark.parametrize(("tags", "message"), [
    ([{"Key": "aws:owner", "Value": "me"}],
     "field 'Tags[0]': given {\"Key\": \"aws:owner\", \"Value\": \"me\"}; allowed: a tag name not starting with "
     "'aws:' (AWS reserves it)"),
    ([{"Key": LONG_TAG, "Value": "x"}],
     f"field 'Tags[0]': given {{\"Key\": \"{LONG_TAG}\", \"Value\": \"x\"}}; allowed: tag names of 1 to 128 "
     "letters, digits, spaces and _.:/=+-@"),
    ([{"Key": "owner", "Value": "$(rm -rf ~)"}],
     "field 'Tags[0]': given {\"Key\": \"owner\", \"Value\": \"$(rm -rf ~)\"}; allowed: a string of up to 256 "
     "letters, digits, spaces and _.:/=+-@"),
], ids=["aws prefix", "170-character key", "shell in a value"])
def test_create_schemas_checks_tags_as_the_stack_config_does(tags: list[dict[str, str]], message: str, moto: Endpoint,
                                                             moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-good.json").write_text(json.dumps({**ORDERS, "TableName": "good-dev"}))
    (tmp_path / "companies.json").write_text(json.dumps({**ORDERS, "Tags": tags}))
    assert command_error(capsys, "create", "--schemas", str(tmp_path), "--endpoint-url", moto.url) == (
        f"ERROR [InvalidSchema]: companies.json: {message}")
    assert moto_client.list_tables()["TableNames"] == []


@pytest.mark.parametrize(("pitr", "message"), [
    ({"PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 7},
     "given 7; allowed: no recovery period while PointInTimeRecoveryEnabled is false; remove it or turn PITR on"),
    ({"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 400}, "given 400; allowed: a whole number of days "
                                                                        "from 1 to 35"),
    ({"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 99}, "given 99; allowed: a whole number of days "
                                                                       "from 1 to 35"),
], ids=["period with PITR off", "400 days", "99 days"])
def test_create_schemas_checks_the_recovery_period(pitr: dict[str, Any], message: str, moto: Endpoint,
                                                   moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-good.json").write_text(json.dumps({**ORDERS, "TableName": "good-dev"}))
    (tmp_path / "companies.json").write_text(json.dumps(ORDERS))
    (tmp_path / "companies.settings.json").write_text(json.dumps(
        {"ContinuousBackups": {"TableName": "orders-dev", "PointInTimeRecoverySpecification": pitr}}))
    assert command_error(capsys, "create", "--schemas", str(tmp_path), "--endpoint-url", moto.url) == (
        "ERROR [InvalidSchema]: companies.json: field 'ContinuousBackups.PointInTimeRecoverySpecification."
        f"RecoveryPeriodInDays': {message}")
    assert moto_client.list_tables()["TableNames"] == []


def test_a_schema_file_that_is_not_utf8_is_one_line_naming_it(moto: Endpoint, moto_client: Any,
                                                              aws_env: dict[str, str], tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-good.json").write_text(json.dumps({**ORDERS, "TableName": "good-dev"}))
    (tmp_path / "companies.json").write_bytes(json.dumps({**ORDERS, "TableName": "co-dev"}).encode()
                                              .replace(b"co-dev", b"co-\xe9"))
    assert command_error(capsys, "create", "--schemas", str(tmp_path), "--endpoint-url", moto.url) == (
        f"ERROR [InvalidSchema]: {tmp_path / 'companies.json'}: not UTF-8 text (byte 0xe9 at offset 18); save it as "
        "UTF-8")
    assert moto_client.list_tables()["TableNames"] == []


PROVISIONED_WITH_INDEX = {
    "TableName": "orders-dev", "BillingMode": "PROVISIONED",
    "ProvisionedThroughput": {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                             {"AttributeName": "a", "AttributeType": "S"}],
    "GlobalSecondaryIndexes": [{"IndexName": "by-a", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                                "Projection": {"ProjectionType": "ALL"}}],
}


@pytest.mark.dynamodb_local
def test_a_provisioned_index_without_capacity_is_created_with_the_tables(dynamodb_local: Endpoint,
                                                                        aws_env: dict[str, str], tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    client = client_for(dynamodb_local)
    (tmp_path / "a.json").write_text(json.dumps({**ORDERS, "TableName": "a-capacity-dev"}))
    (tmp_path / "orders.json").write_text(json.dumps({**PROVISIONED_WITH_INDEX, "TableName": "orders-capacity-dev"}))
    try:
        assert main(["create", "--schemas", str(tmp_path), "--endpoint-url", dynamodb_local.url]) == 0, \
            capsys.readouterr().err
        [index] = client.describe_table(TableName="orders-capacity-dev")["Table"]["GlobalSecondaryIndexes"]
        assert {k: index["ProvisionedThroughput"][k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")} == {
            "ReadCapacityUnits": 7, "WriteCapacityUnits": 3}
    finally:
        for name in ("a-capacity-dev", "orders-capacity-dev"):
            with contextlib.suppress(Exception):
                client.delete_table(TableName=name)


def test_a_create_whose_ttl_step_fails_counts_and_names_the_table(moto: Endpoint, moto_client: Any,
                                                                  aws_env: dict[str, str], tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "companies.json").write_text(json.dumps({**ORDERS, "TableName": "companies-dev"}))
    (tmp_path / "companies.settings.json").write_text(json.dumps(
        {"TimeToLive": {"TableName": "companies-dev",
                        "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True}}}))
    with FaultProxy(moto.url, deny=frozenset({("UpdateTimeToLive", "companies-dev")})) as proxy:
        line = command_error(capsys, "create", "--schemas", str(tmp_path), "--endpoint-url", proxy.url)
    assert line == ("ERROR [AccessDeniedException]: 1 created without TTL and PITR of 1 tables; stopped at "
                    "companies.json after creating table 'companies-dev' (run tables create again to finish it): "
                    f"{proxy.url}: UpdateTimeToLive: User is not authorized to perform: dynamodb:UpdateTimeToLive on "
                    "resource: companies-dev")
    assert moto_client.list_tables()["TableNames"] == ["companies-dev"]


def test_a_create_that_stops_part_way_says_what_it_did(moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Valid files; the endpoint (behind a proxy answering as IAM would) refuses one of them.
    for name in ("a", "b", "companies"):
        (tmp_path / f"{name}.json").write_text(json.dumps({**ORDERS, "TableName": f"{name}-dev"}))
    with FaultProxy(moto.url, deny=frozenset({("CreateTable", "companies-dev")})) as proxy:
        line = command_error(capsys, "create", "--schemas", str(tmp_path), "--endpoint-url", proxy.url)
    assert line == ("ERROR [AccessDeniedException]: 2 created of 3 tables; stopped at companies.json: "
                    f"{proxy.url}: CreateTable: User is not authorized to perform: dynamodb:CreateTable on resource: "
                    "companies-dev")
    assert sorted(moto_client.list_tables()["TableNames"]) == ["a-dev", "b-dev"]


def test_seed_names_the_missing_table_and_writes_nothing(moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from components.families import plan_from_stack_file
    from scripts.create_tables import create_tables
    from scripts.schema_files import declared_schema

    schemas = [declared_schema(p) for p in plan_from_stack_file(PROJECT_DIR, "dev") if p.name != "Jobs-dev"]
    create_tables(moto_client, schemas)
    assert command_error(capsys, "seed", "--stack", "dev", "--endpoint-url", moto.url) == (
        f"ERROR [TableNotFound]: table 'Jobs-dev' does not exist at {moto.url}; check the name, or create the "
        "stack's tables first (pulumi up, or tables create)")
    assert moto_client.scan(TableName="items-dev", Select="COUNT")["Count"] == 0


def test_a_failing_migration_is_named_in_its_one_line_error(moto: Endpoint, moto_client: Any, aws_env: dict[str, str],
                                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from components.families import plan_from_stack_file
    from scripts.create_tables import create_tables
    from scripts.schema_files import declared_schema

    create_tables(moto_client, [declared_schema(p) for p in plan_from_stack_file(PROJECT_DIR, "dev")])
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_broken.py").write_text(
        'ID = "0001"\nDESCRIPTION = "fails"\n\n\ndef run(ctx):\n    raise KeyError("creatorId")\n')
    assert command_error(capsys, "migrate", "up", "--stack", "dev", "--endpoint-url", moto.url,
                         "--migrations", str(migrations)) == "ERROR [KeyError]: migration 0001: KeyError: 'creatorId'"
    history = moto_client.get_item(TableName="dynamodb-tables-dev-migrations",
                                   Key={"pk": {"S": "0001"}, "sk": {"S": "RECORD"}})["Item"]
    assert (history["status"]["S"], history["error"]["S"]) == ("failed", "migration 0001: KeyError: 'creatorId'")


# --- production by name, and what prod must say ---------------------------------------------------------

@pytest.mark.parametrize("stack", ["prod1", "prodeu", "production", "prd", "Prod", "PROD-eu", "prod_eu"])
def test_a_stack_named_like_prod_must_be_the_prod_environment(stack: str, tmp_path: Path) -> None:
    project = a_project(tmp_path, stack, prod_with("staging"))
    assert program_error(project, stack) == (
        f"stack '{stack}', config key 'dynamodb-tables:environment': given \"staging\"; "
        f"allowed: 'prod' in the stack '{stack}'")


def test_a_stack_named_otherwise_may_be_its_own_environment(tmp_path: Path) -> None:
    project = a_project(tmp_path, "live", prod_with("live"))
    assert run_program(project, "live", engine_config(project, "live")).resources


def test_prod_must_say_its_backfill_write_cap(tmp_path: Path) -> None:
    text = PROD.replace("  dynamodb-tables:migrations:\n    maxWritesPerSecond: 1000\n", "")
    assert program_error(a_project(tmp_path, "prod", text), "prod") == (
        "stack 'prod', config key 'dynamodb-tables:migrations.maxWritesPerSecond': given nothing; allowed: a whole "
        "number of writes per second from 1 to 1000000, or 'unlimited', in the prod environment: a backfill shares "
        "the tables with live traffic")


def test_prod_may_say_unlimited_and_the_runner_accepts_it(tmp_path: Path) -> None:
    from components.families import stack_from_config

    text = PROD.replace("    maxWritesPerSecond: 1000\n", "    maxWritesPerSecond: unlimited\n")
    project = a_project(tmp_path, "prod", text)
    assert stack_from_config(engine_config(project, "prod"), "prod").settings.max_writes_per_second is None
    run_program(project, "prod", engine_config(project, "prod"))


@pytest.mark.parametrize(("where", "text"), [
    ("pointInTimeRecovery", "  dynamodb-tables:pointInTimeRecovery: false\n"),
    ("families.items-service.pointInTimeRecovery", None),
])
def test_point_in_time_recovery_off_in_prod_is_a_config_error(where: str, text: str | None, tmp_path: Path) -> None:
    prod = PROD.replace("  dynamodb-tables:pitrRecoveryPeriodDays: 35\n", text or "")
    if text is None:
        prod = PROD.replace("    items-service:\n      suffix: -prod\n",
                            "    items-service:\n      suffix: -prod\n      pointInTimeRecovery: false\n")
    assert program_error(a_project(tmp_path, "prod", prod), "prod") == (
        f"stack 'prod', config key 'dynamodb-tables:{where}': given false; allowed: true in the prod environment")


@pytest.mark.parametrize(("schedule", "problem"), [
    ("cron(0 25 ? * * *)", "hours: '25' is not in 0 to 23"),
    ("cron(0 5 32 * ? *)", "day-of-month: '32' is not in 1 to 31"),
    ("cron(0 5 ? 13 * *)", "month: '13' is not in 1 to 12 or JAN-DEC"),
    ("cron(0 5 ? * 8 *)", "day-of-week: '8' is not in 1 to 7 or SUN-SAT"),
    ("cron(0 5 ? * * 1969)", "year: '1969' is not in 1970 to 2199"),
    ("cron(0 0/0 ? * * *)", "hours: step '0' in '0/0' is not 1 to 23"),
    ("cron(0 5 * * * *)", "? in exactly one of day-of-month and day-of-week"),
])
def test_backup_cron_is_checked_field_by_field(schedule: str, problem: str, tmp_path: Path) -> None:
    text = PROD.replace("schedule: cron(0 5 ? * * *)", f"schedule: {schedule}")
    assert program_error(a_project(tmp_path, "prod", text), "prod") == (
        f"stack 'prod', config key 'dynamodb-tables:backup.schedule': given \"{schedule}\"; allowed: an AWS Backup "
        "cron expression cron(minutes hours day-of-month month day-of-week year) with one minute value and ? in "
        f"exactly one of day-of-month and day-of-week, for example cron(0 5 ? * * *) ({problem})")


@pytest.mark.parametrize("schedule", ["cron(0 5 ? JAN-MAR MON-FRI *)", "cron(30 */6 ? * * *)", "cron(0 5 L * ? *)",
                                      "cron(0 5 ? * 6#3 2030-2040)", "cron(0 5 15W * ? *)"])
def test_backup_cron_accepts_what_aws_documents(schedule: str, tmp_path: Path) -> None:
    text = PROD.replace("schedule: cron(0 5 ? * * *)", f"schedule: {schedule}")
    project = a_project(tmp_path, "prod", text)
    run_program(project, "prod", engine_config(project, "prod"))
