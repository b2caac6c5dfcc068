"""SIGTERM is handled as Ctrl-C is: the command stops, cleans up what it owns, writes what it has, says
what it did and exits 143. Outputs are checked before any work.

The real `tables` command in a subprocess, signalled as a scheduler or `kill` would, against moto (which
implements point-in-time restores) behind a proxy that slows every request so the signal lands mid-drill.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.families import plan_from_stack_file
from scripts.cli import main
from scripts.create_tables import create_tables
from scripts.local_endpoint import Endpoint
from scripts.schema_files import declared_schema
from tests.conftest import CREDENTIALS
from tests.fault_proxy import FaultProxy
from tests.project import PROJECT_DIR

TABLES = str(Path(sys.executable).with_name("tables"))
DEV = {p.spec.key: p for p in plan_from_stack_file(PROJECT_DIR, "dev")}
DRILLED = ("items", "jobs", "shops")


def with_items(client: Any, *keys: str) -> None:
    create_tables(client, [declared_schema(DEV[key]) for key in keys])
    for key in keys:
        plan = DEV[key]
        for n in range(3):
            item = {k.name: {"S": f"{k.name}-{n}"} if k.type == "S" else {"N": str(n)}
                    for k in (plan.spec.partition, plan.spec.sort) if k is not None}
            client.put_item(TableName=plan.name, Item=item)


def command_env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **CREDENTIALS}


def sigterm_once(moto: Endpoint, command: list[str], started: Callable[[], bool], never: str) -> str:
    """Run `tables COMMAND` against moto behind a proxy that slows every request by 0.3 s, send SIGTERM
    once `started()` says it is under way, and return its stderr after checking it exited 143 within 5 s."""
    with FaultProxy(moto.url, latency=0.3) as proxy:
        process = subprocess.Popen([TABLES, *command, "--endpoint-url", proxy.url], cwd=PROJECT_DIR,
                                   env=command_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not started():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, never
            time.sleep(0.05)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert time.monotonic() - signalled < 5
    return err


def drill_tables(client: Any) -> list[str]:
    return [name for name in client.list_tables()["TableNames"] if "-drill-" in name]


def test_sigterm_during_restore_drill_deletes_the_scratch_tables_writes_the_report_and_exits_143(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path) -> None:
    with_items(moto_client, *DRILLED)
    report = tmp_path / "drill.md"
    env = command_env()
    with FaultProxy(moto.url, latency=0.2) as proxy:
        process = subprocess.Popen(
            [TABLES, "restore-drill", "--stack", "dev", *(a for key in DRILLED for a in ("--table", key)),
             "--parallel", "1", "--report", str(report), "--endpoint-url", proxy.url],
            cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not drill_tables(moto_client):  # the first scratch table exists: the drill is under way
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the drill never made a scratch table"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)

    assert process.returncode == 143, err
    assert err.splitlines()[-1] == "ERROR [Interrupted]: stopped by SIGTERM"
    assert drill_tables(moto_client) == [], "the drill's scratch tables are deleted before it exits"
    assert f"; report: {report}" in out.splitlines()[-1]
    text = report.read_text()
    assert text.startswith("# Restore drill: stack dev\n")
    assert "(interrupted)" in text and "all deleted" in text


def test_an_unwritable_report_is_refused_before_any_restore(moto: Endpoint, moto_client: Any,
                                                            aws_env: dict[str, str], tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with_items(moto_client, "items")
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, where the report's folder would be")
    report = not_a_folder / "drill.md"
    assert main(["restore-drill", "--stack", "dev", "--table", "items", "--report", str(report),
                 "--endpoint-url", moto.url]) == 2
    assert capsys.readouterr().err == (f"ERROR [NotWritable]: --report {report} cannot be created: {not_a_folder} is "
                                       "not a directory; nothing was done. Choose another --report\n")
    assert moto_client.list_tables()["TableNames"] == ["items-dev"]  # no scratch table was ever made


def test_a_report_path_that_is_a_directory_is_refused_before_any_restore(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    with_items(moto_client, "items")
    assert main(["restore-drill", "--stack", "dev", "--table", "items", "--report", str(tmp_path),
                 "--endpoint-url", moto.url]) == 2
    assert capsys.readouterr().err == (f"ERROR [NotWritable]: --report {tmp_path} is a directory; nothing was done. "
                                       "Choose another --report\n")
    assert moto_client.list_tables()["TableNames"] == ["items-dev"]


def test_sigterm_during_create_says_so_and_exits_143(moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> None:
    err = sigterm_once(moto, ["create", "--stack", "dev"], lambda: bool(moto_client.list_tables()["TableNames"]),
                       "create never created a table")
    *said, last = err.splitlines()
    assert last == "ERROR [Interrupted]: stopped by SIGTERM"
    assert any(line.startswith("create stopped: ") and line.endswith(
        "; run tables create again to finish (it skips what exists)") for line in said), err


def test_sigterm_during_restore_says_the_new_table_remains_and_exits_143(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str]) -> None:
    with_items(moto_client, "items")
    env = command_env()
    with FaultProxy(moto.url, latency=0.3) as proxy:
        process = subprocess.Popen([TABLES, "restore", "--stack", "dev", "--table", "items", "--latest",
                                    "--target", "items-dev-restored", "--endpoint-url", proxy.url],
                                   cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while "items-dev-restored" not in moto_client.list_tables()["TableNames"]:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "restore never requested the new table"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert err.splitlines()[-2:] == [
        "items-dev-restored was requested and remains: DynamoDB goes on restoring it (tables drift, or "
        "DescribeTable, shows it); delete it if it is not needed",
        "ERROR [Interrupted]: stopped by SIGTERM"]


def test_a_drill_names_the_scratch_tables_an_earlier_killed_drill_left(
        moto: Endpoint, moto_client: Any, aws_env: dict[str, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    with_items(moto_client, "items")
    left = "items-dev-drill-20200101T000000Z"  # as a drill killed with SIGKILL would leave it
    moto_client.create_table(**{**declared_schema(DEV["items"]).create, "TableName": left})
    report = tmp_path / "drill.md"
    assert main(["restore-drill", "--stack", "dev", "--table", "items", "--report", str(report),
                 "--endpoint-url", moto.url]) == 0
    err = capsys.readouterr().err
    assert err == f"scratch tables of earlier drills remain (delete them by hand): {left}\n"
    assert f"- Scratch tables of earlier drills remain (delete them by hand): `{left}`\n" in report.read_text()
    assert sorted(moto_client.list_tables()["TableNames"]) == ["items-dev", left]  # named, never deleted


def test_sigterm_during_seed_says_what_was_seeded_and_exits_143(moto: Endpoint, moto_client: Any,
                                                                  aws_env: dict[str, str]) -> None:
    create_tables(moto_client, [declared_schema(plan) for plan in DEV.values()])
    # The first item written: seed is under way (each request takes 0.3 s through the proxy).
    err = sigterm_once(moto, ["seed", "--stack", "dev"], lambda: any(
        moto_client.scan(TableName=name, Select="COUNT")["Count"] for name in DEV_NAMES), "seed never wrote an item")
    *said, last = err.splitlines()
    assert last == "ERROR [Interrupted]: stopped by SIGTERM"
    [stopped] = [line for line in said if line.startswith("seed stopped: ")]
    written = {name for name in DEV_NAMES if moto_client.scan(TableName=name, Select="COUNT")["Count"]}
    match = re.fullmatch(r"seed stopped: (\d+) of (\d+) tables seeded \((.+)\); run tables seed again to finish "
                         r"\(it writes the same items again, by key\)", stopped)
    assert match, stopped
    seeded, total, names = int(match[1]), int(match[2]), match[3].split(", ")
    # The tables it names are the ones it finished: they hold items; the signal came before the end.
    assert len(names) == seeded and 1 <= seeded < total and set(names) <= written, (stopped, written)
    # Run again, as the line says: it finishes, and the total was every table a whole seed fills.
    again = subprocess.run([TABLES, "seed", "--stack", "dev", "--endpoint-url", moto.url], cwd=PROJECT_DIR,
                           env=command_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    filled = [name for name in DEV_NAMES if moto_client.scan(TableName=name, Select="COUNT")["Count"]]
    assert total == len(filled), (stopped, filled)


DEV_NAMES = [plan.name for plan in DEV.values()]
