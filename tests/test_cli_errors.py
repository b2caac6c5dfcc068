"""Every error path of `tables`: one line `ERROR [Kind]: what, where`, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.cli import main
from scripts.local_endpoint import Endpoint, free_port
from tests.project import PROJECT_DIR, shipped_stacks


def error_of(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return captured.err.rstrip("\n")


def test_missing_credentials(moto: Endpoint, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert error_of(capsys, "drift", "--stack", "dev", "--endpoint-url", moto.url) == (
        f"ERROR [NoCredentials]: no AWS credentials for {moto.url}: set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or pass --profile")


def test_unreachable_endpoint(aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert error_of(capsys, "drift", "--stack", "dev", "--endpoint-url", url) == (
        f"ERROR [EndpointUnreachable]: could not connect to {url}/; is the endpoint running? "
        "(tables local up starts one)")


CREATE_FIRST = "check the name, or create the stack's tables first (pulumi up, or tables create)"


def test_missing_table_for_export_and_add_gsi(moto: Endpoint, moto_client: object, aws_env: dict[str, str],
                                             tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert error_of(capsys, "export", "--tables", "no-such-table", "--out", str(tmp_path),
                    "--endpoint-url", moto.url) == (
        f"ERROR [TableNotFound]: table 'no-such-table' does not exist at {moto.url}; {CREATE_FIRST}")
    assert error_of(capsys, "add-gsi", "--table", "no-such-table", "--index-name", "by-x", "--partition-key", "x:S",
                    "--endpoint-url", moto.url) == (
        f"ERROR [TableNotFound]: table 'no-such-table' does not exist at {moto.url}; {CREATE_FIRST}")


def test_export_with_a_prefix_that_matches_nothing(moto: Endpoint, moto_client: object, aws_env: dict[str, str],
                                                   tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert error_of(capsys, "export", "--prefix", "nothing-", "--out", str(tmp_path), "--endpoint-url", moto.url) == (
        f"ERROR [NoTables]: no tables match prefix 'nothing-' at {moto.url}")


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON (line 1: Expecting property name enclosed in double quotes)"),
    ('["a list"]', "expected a CreateTable request object"),
    ('{"TableName": "t1", "KeySchema": [], "AttributeDefinitions": [], "Ttl": 5}', "unknown CreateTable keys Ttl"),
    ('{"TableName": "t1", "AttributeDefinitions": []}', "missing KeySchema"),
])
def test_malformed_schema_files(content: str, message: str, aws_env: dict[str, str], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t1.json").write_text(content)
    assert error_of(capsys, "create", "--schemas", str(tmp_path), "--endpoint-url", "http://127.0.0.1:9") == (
        f"ERROR [InvalidSchema]: {tmp_path}/t1.json: {message}")


def test_empty_or_missing_schema_directory(aws_env: dict[str, str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert error_of(capsys, "create", "--schemas", str(tmp_path)) == (
        f"ERROR [InvalidSchema]: {tmp_path}: no <table>.json schema files")
    assert error_of(capsys, "create", "--schemas", str(tmp_path / "nope")) == (
        f"ERROR [InvalidSchema]: {tmp_path}/nope: no such directory")


def test_unknown_stack(aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert error_of(capsys, "synth", "--stack", "qa") == (
        f"ERROR [InvalidConfig]: stack 'qa': no file Pulumi.qa.yaml in {PROJECT_DIR}; "
        f"stacks here: {', '.join(shipped_stacks())}")


def test_no_region(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert error_of(capsys, "drift", "--stack", "dev") == (
        "ERROR [NoRegion]: no AWS region: pass --region or set AWS_REGION or AWS_DEFAULT_REGION")


def test_unknown_profile(aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert error_of(capsys, "drift", "--stack", "dev", "--profile", "nobody") == (
        "ERROR [ProfileNotFound]: AWS profile 'nobody' is not in the AWS config files")


def test_local_flag_without_a_running_endpoint(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TABLES_STATE_DIR", str(tmp_path))
    assert error_of(capsys, "drift", "--stack", "dev", "--local") == (
        "ERROR [NoLocalEndpoint]: no local endpoint is running; start one with tables local up")


@pytest.mark.parametrize(("args", "message"), [
    (["--partition-key", "a:Q"], "--partition-key 'a:Q': expected NAME:TYPE with TYPE one of S, N, B"),
    (["--partition-key", "a:S", "--projection", "INCLUDE"], "--projection INCLUDE needs --non-key-attributes"),
    (["--partition-key", "a:S", "--non-key-attributes", "b"],
     "--non-key-attributes needs --projection INCLUDE (given ALL)"),
    (["--partition-key", "a:S", "--partition-key", "b:S", "--partition-key", "c:S", "--partition-key", "d:S",
      "--partition-key", "e:S"], "--partition-key: 5 given; at most 4"),
])
def test_bad_add_gsi_arguments(args: list[str], message: str, aws_env: dict[str, str],
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert error_of(capsys, "add-gsi", "--table", "items-dev", "--index-name", "by-a", *args,
                    "--endpoint-url", "http://127.0.0.1:9") == f"ERROR [InvalidArgument]: {message}"


def test_debug_adds_the_traceback(aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--stack", "qa", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("stacks here: " + ", ".join(shipped_stacks()))


def test_the_installed_console_script_reports_errors_the_same_way(tmp_path: Path) -> None:
    tables = Path(sys.executable).parent / "tables"
    result = subprocess.run([str(tables), "synth", "--stack", "qa"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("ERROR [InvalidConfig]: stack 'qa': no file Pulumi.qa.yaml")
    assert result.stdout == ""
