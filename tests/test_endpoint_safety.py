"""Nothing from an endpoint reaches the terminal raw, and no endpoint can hold the command.

Real servers on 127.0.0.1, each in its own process: one that answers HTTP 200 with something that is not
DynamoDB's answer, one that answers 502 with an HTML page naming an internal host, one that accepts the
connection and never answers; and DynamoDB Local holding an index whose key attribute name carries
newlines and a clear-screen escape. Timing tests run the real `tables` command in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.families import plan_from_stack_file
from scripts import aws
from scripts.cli import build_parser, main
from scripts.create_tables import create_tables
from scripts.local_endpoint import Endpoint, free_port
from scripts.schema_files import declared_schema
from tests.conftest import CREDENTIALS, client_for, delete_all_tables, with_default_sigint
from tests.project import PROJECT_DIR

TABLES = str(Path(sys.executable).with_name("tables"))

SERVER = """
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ANSWERS = {
    "empty": (200, "application/x-amz-json-1.0", b"{}"),
    "not-json": (200, "application/x-amz-json-1.0", b"<<garbage>>"),
    "wrong-types": (200, "application/x-amz-json-1.0", b'{"Table": "x"}'),
    "html-502": (502, "text/html", b"<h1>502 upstream db-7.internal refused</h1>"),
}
mode = sys.argv[2]
class Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if mode == "silent":
            time.sleep(3600)
            return
        status, content_type, body = ANSWERS[mode]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Answer).serve_forever()
"""


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port), request.param])
    try:
        deadline = time.monotonic() + 10
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def one_error_line(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    assert main(list(args)) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return captured.err.rstrip("\n"), captured.out


# --- answers that are not DynamoDB's ----------------------------------------------------------------

NOT_DYNAMODB = {
    "empty": "no Table",
    "not-json": "a body that is not a JSON object",
    "wrong-types": "Table is str, not structure",
}


@pytest.mark.parametrize("server", list(NOT_DYNAMODB), indirect=True)
@pytest.mark.parametrize("command", ["drift", "seed", "plan"])
def test_a_200_that_is_not_dynamodbs_answer_is_one_line_naming_the_operation_and_endpoint(
        server: str, command: str, request: pytest.FixtureRequest, aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    what = NOT_DYNAMODB[request.node.callspec.params["server"]]
    line, _ = one_error_line(capsys, command, "--stack", "dev", "--endpoint-url", server)
    assert line == (f"ERROR [NotDynamoDB]: {server} answered DescribeTable with HTTP 200 ({what}), not a DynamoDB "
                    "response; check --endpoint-url")


@pytest.mark.parametrize("server", ["empty"], indirect=True)
def test_create_against_a_200_with_garbage_names_the_operation_and_endpoint(
        server: str, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    line, _ = one_error_line(capsys, "create", "--stack", "dev", "--endpoint-url", server)
    assert line.startswith("ERROR [NotDynamoDB]: nothing done of 22 tables; stopped at ")
    assert line.endswith(f"{server} answered DescribeTable with HTTP 200 (no Table), not a DynamoDB response; "
                         "check --endpoint-url")


# --- server errors: the operation, the status and the endpoint; never the body --------------------------

@pytest.mark.parametrize("server", ["html-502"], indirect=True)
@pytest.mark.parametrize("as_json", [False, True])
def test_a_5xx_body_never_reaches_the_user(server: str, as_json: bool, aws_env: dict[str, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    line, out = one_error_line(capsys, "drift", "--stack", "dev", "--endpoint-url", server,
                               *(["--json"] if as_json else []))
    # 502's reason phrase is the standard's (RFC 9110 section 15.6.3), not the body's.
    assert line == (f"ERROR [ServerError]: {server}: DescribeTable failed with HTTP 502 (Bad Gateway); try again, "
                    "or check the endpoint")
    for text in (line, out):
        assert "db-7" not in text and "<" not in text and "upstream" not in text
    if as_json:
        assert json.loads(out)["error"]["message"] == line.removeprefix("ERROR [ServerError]: ")


# --- an endpoint that never answers ------------------------------------------------------------------

def run_tables(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **CREDENTIALS}
    return subprocess.run([TABLES, *args], capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=PROJECT_DIR)


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_an_endpoint_that_never_answers_is_one_line_within_the_request_timeout(server: str) -> None:
    started = time.monotonic()
    done = run_tables("drift", "--stack", "dev", "--endpoint-url", server, "--request-timeout", "2")
    elapsed = time.monotonic() - started
    assert done.returncode == 2
    assert done.stderr == (f"ERROR [Timeout]: {server} did not answer DescribeTable within 2 s (--request-timeout); "
                           "check the endpoint, or allow more time\n")
    # 2 s of waiting, plus the command's start-up on a busy machine; botocore's own retries would take minutes.
    assert elapsed < 15, elapsed


def test_the_default_request_timeout_is_bounded_and_the_same_in_the_parser_and_the_client() -> None:
    args = build_parser().parse_args(["drift", "--stack", "dev"])
    assert args.request_timeout == aws.DEFAULT_REQUEST_TIMEOUT <= 60  # one line within a minute
    config = aws.Connection(region="us-east-1").config()
    assert (config.connect_timeout, config.read_timeout) == (10, 30)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["drift", "--stack", "dev", "--request-timeout", "301"])


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_ctrl_c_acts_within_a_second_while_requests_hang(server: str) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **CREDENTIALS}
    process = subprocess.Popen([TABLES, "drift", "--stack", "dev", "--endpoint-url", server], cwd=PROJECT_DIR,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=with_default_sigint)
    time.sleep(3)  # started, and eight DescribeTable requests are waiting on the silent server
    signalled = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert time.monotonic() - signalled < 1.0
    assert (process.returncode, err) == (130, "ERROR [Interrupted]: stopped by the user\n")


# --- names from the endpoint --------------------------------------------------------------------------

HOSTILE_ATTRIBUTE = "x\n\n22 tables: 22 unchanged\x1b[2J"
ESCAPED_ATTRIBUTE = "x\\n\\n22 tables: 22 unchanged\\x1b[2J"  # as Python writes the escapes, by hand


@pytest.fixture
def hostile_index(dynamodb_local: Endpoint, aws_env: dict[str, str]) -> Iterator[Any]:
    client = client_for(dynamodb_local)
    delete_all_tables(client)
    items = next(p for p in plan_from_stack_file(PROJECT_DIR, "dev") if p.name == "items-dev")
    create_tables(client, [declared_schema(items)])
    attributes = client.describe_table(TableName="items-dev")["Table"]["AttributeDefinitions"]
    client.update_table(TableName="items-dev",
                        AttributeDefinitions=[*attributes, {"AttributeName": HOSTILE_ATTRIBUTE, "AttributeType": "S"}],
                        GlobalSecondaryIndexUpdates=[{"Create": {
                            "IndexName": "by-x", "KeySchema": [{"AttributeName": HOSTILE_ATTRIBUTE, "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    yield client
    delete_all_tables(client)


@pytest.mark.dynamodb_local
@pytest.mark.parametrize("command", ["drift", "plan"])
def test_a_control_character_in_a_live_attribute_name_is_printed_escaped(
        command: str, hostile_index: Any, dynamodb_local: Endpoint, capsys: pytest.CaptureFixture[str]) -> None:
    main([command, "--stack", "dev", "--endpoint-url", dynamodb_local.url])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "22 tables: 22 unchanged" not in out.splitlines()
    assert any(ESCAPED_ATTRIBUTE in line and "by-x" in line for line in out.splitlines()), out
