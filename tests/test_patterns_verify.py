"""`tables patterns verify`: every declared pattern runs as the real call on make local's tables."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.families import FAMILIES
from scripts.cli import main
from scripts.local_endpoint import Endpoint
from scripts.schema_docs import LOCAL_URL
from tests.conftest import client_for, delete_all_tables
from tests.project import PROJECT

DECLARED = sum(len(definition.patterns) for definition in FAMILIES.values())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make_local(endpoint: Endpoint, capsys: pytest.CaptureFixture[str]) -> None:
    """What `make local` does to a fresh endpoint: create the dev stack's tables, seed them, migrate."""
    for command in (["create"], ["seed"], ["migrate", "up"]):
        code, _, err = run(capsys, *command, "--stack", "dev", "--endpoint-url", endpoint.url)
        assert code == 0, f"{command}: {err}"


def verify_json(endpoint: Endpoint, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code, out, err = run(capsys, "patterns", "verify", "--stack", "dev", "--endpoint-url", endpoint.url, "--json")
    assert err == ""
    return code, json.loads(out)


def assert_every_pattern_passes(report: dict[str, Any]) -> None:
    assert len(report["patterns"]) == DECLARED
    failing = [(p["pattern"], p["status"], p["detail"]) for p in report["patterns"] if p["status"] != "passed"]
    assert failing == []
    for found in report["patterns"]:
        if found["operation"] in ("Query", "GetItem", "Scan", "BatchGetItem"):
            assert found["items"] >= 1, found


def test_every_declared_pattern_passes_on_make_locals_moto_tables(moto: Endpoint, moto_client: Any, aws_env: Any,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    make_local(moto, capsys)
    code, report = verify_json(moto, capsys)
    assert_every_pattern_passes(report)
    assert code == 0
    assert report["hotKeys"] == []
    by_name = {p["pattern"]: p for p in report["patterns"]}
    jobs = by_name["Jobs by status"]
    assert jobs["call"] == 'Query Jobs-dev index status-createdAt-index: status = "queued" (ascending, limit 10)'
    assert jobs["items"] == 3  # the seed data queues one job in each of its three shops
    assert by_name["Create Item"]["call"] == (
        'PutItem items-dev: id = "patterns-verify" (condition always false: nothing written)')
    assert moto_client.get_item(TableName="items-dev", Key={"id": {"S": "patterns-verify"}}).get("Item") is None

    code, out, _ = run(capsys, "patterns", "verify", "--stack", "dev", "--endpoint-url", moto.url)
    assert code == 0
    assert '         3 items, 1 read unit; examples: declared\n' in out  # moto's figure for the status query
    writes = sum(1 for p in report["patterns"] if p["operation"] in ("PutItem", "UpdateItem", "DeleteItem"))
    summary = (f"patterns verify: {DECLARED} patterns ({DECLARED - writes} reads run, {writes} writes checked without "
               f"writing): {DECLARED} passed, 0 flagged, 0 failed\n")
    assert out.endswith("\n\n" + summary)
    # make local's last step: the one-line summary alone.
    assert run(capsys, "patterns", "verify", "--stack", "dev", "--endpoint-url", moto.url, "--quiet") == (
        0, summary, "")


def test_every_declared_pattern_passes_on_dynamodb_local(dynamodb_local: Endpoint, aws_env: Any,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    delete_all_tables(client_for(dynamodb_local))
    make_local(dynamodb_local, capsys)
    code, report = verify_json(dynamodb_local, capsys)
    assert_every_pattern_passes(report)
    assert code == 0
    # DynamoDB Local reports what each call consumed: a query of small items costs half a read unit.
    query = next(p for p in report["patterns"] if p["pattern"] == "Jobs by status")
    assert query["consumedCapacity"] == 0.5


def test_a_pattern_that_returns_nothing_is_flagged_not_passed(moto: Endpoint, moto_client: Any, aws_env: Any,
                                                             capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_local(moto, capsys)
    shop = FAMILIES["shop-import"]
    by_status = next(p for p in shop.patterns if p.name == "Jobs by status")
    nobody = dataclasses.replace(by_status, key=dataclasses.replace(by_status.key, example={"status": "paused"}))
    monkeypatch.setitem(FAMILIES, "shop-import", dataclasses.replace(
        shop, patterns=tuple(nobody if p is by_status else p for p in shop.patterns)))
    code, report = verify_json(moto, capsys)
    assert code == 1
    [flagged] = [p for p in report["patterns"] if p["status"] != "passed"]
    assert (flagged["pattern"], flagged["status"], flagged["items"], flagged["detail"]) == (
        "Jobs by status", "flagged", 0, "returned no items: nothing shows that the pattern works")


def test_unseeded_tables_flag_every_read_and_fail_nothing(moto: Endpoint, moto_client: Any, aws_env: Any,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "create", "--stack", "dev", "--endpoint-url", moto.url)
    assert code == 0, err
    code, report = verify_json(moto, capsys)
    assert code == 1
    statuses = {p["status"] for p in report["patterns"] if p["operation"] not in ("PutItem", "UpdateItem",
                                                                                   "DeleteItem")}
    assert statuses == {"flagged"}


def test_a_missing_table_fails_its_patterns(moto: Endpoint, moto_client: Any, aws_env: Any,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    make_local(moto, capsys)
    moto_client.delete_table(TableName="items-dev")
    code, report = verify_json(moto, capsys)
    assert code == 1
    failed = {p["pattern"]: p["detail"] for p in report["patterns"] if p["status"] == "failed"}
    assert set(failed) == {p.name for p in FAMILIES["items-service"].patterns}
    assert all(detail.startswith("ResourceNotFoundException") for detail in failed.values())


def test_verify_notes_the_hot_status_index_at_2000_writes_a_second(moto: Endpoint, moto_client: Any, aws_env: Any,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    make_local(moto, capsys)
    shop = FAMILIES["shop-import"]
    jobs_writes = [p for p in shop.patterns if p.table.key == "jobs" and p.writes]
    faster = tuple(dataclasses.replace(p, rate=dataclasses.replace(p.rate, per_second=1000)) if p in jobs_writes
                   else p for p in shop.patterns)
    monkeypatch.setitem(FAMILIES, "shop-import", dataclasses.replace(shop, patterns=faster))
    code, report = verify_json(moto, capsys)
    assert code == 0  # advice: the patterns themselves still pass
    assert report["hotKeys"] == [
        "hot key: jobs index status-createdAt-index: partition key 'status' has 4 distinct values (declared) and the "
        "table's declared peak of 2,000 write units/s can all land on one of them, over the 1,000 write units/s one "
        "partition takes; shard it: write 'status' as <value>#<0..1> (a random or calculated suffix, 2 shards per "
        "value) and query the 2 shards in parallel"]
    assert report["summary"].endswith("; 1 hot-key warning")


def test_the_generated_example_queries_run_against_make_locals_endpoint(moto: Endpoint, moto_client: Any,
                                                                        aws_env: Any,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    make_local(moto, capsys)
    text = PROJECT.docs_file.read_text()
    commands = [block for block in re.findall(r"```bash\n(.*?)\n```", text, re.DOTALL) if "aws dynamodb query" in block]
    queried = {pattern.name for d in FAMILIES.values() for pattern in d.patterns
               if pattern.index is not None and pattern.operation.value == "Query"}
    # creator platform 4, shop import 2, items 2, construction expenses 13: every Query of an index, once
    assert len(commands) == len(queried) == 4 + 2 + 2 + 13
    # The AWS CLI from the venv (PyPI awscli), pointed at this test's moto instead of port 8000.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}
    for command in commands:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", command.replace(LOCAL_URL, moto.url)],
                                capture_output=True, text=True, env=env, check=False, timeout=120)
        assert result.returncode == 0, f"{command}\n{result.stderr}"
        assert json.loads(result.stdout)["Count"] >= 1, command
