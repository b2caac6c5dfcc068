"""add-gsi against DynamoDB Local with -delayTransientStatuses: the real one-index-at-a-time lifecycle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.model.spec import GlobalIndex, Key
from scripts.add_gsi import IndexRequest, add_gsi
from scripts.cli import main
from scripts.local_endpoint import Endpoint
from tests.conftest import CREDENTIALS, client_for

pytestmark = pytest.mark.dynamodb_local


@pytest.fixture
def table(dynamodb_local: Endpoint, request: pytest.FixtureRequest) -> Iterator[tuple[Any, str]]:
    client = client_for(dynamodb_local)
    name = f"gsi-{request.node.name[5:40]}".replace("_", "-")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    for i in range(3):
        client.put_item(TableName=name, Item={"id": {"S": f"item-{i}"}, "status": {"S": "active"},
                                              "region": {"S": "eu"}, "createdAt": {"N": str(i)}})
    yield client, name
    client.delete_table(TableName=name)


def run(capsys: pytest.CaptureFixture[str], endpoint: Endpoint, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--endpoint-url", endpoint.url])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_times_out_cleanly_then_refuses_a_second_index_then_waits_to_active(
        dynamodb_local: Endpoint, table: tuple[Any, str], aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    client, name = table
    code, _, err = run(capsys, dynamodb_local, "add-gsi", "--table", name, "--index-name", "by-status",
                       "--partition-key", "status:S", "--sort-key", "createdAt:N", "--timeout", "2",
                       "--poll-interval", "0.5")
    assert code == 2
    assert err == (f"ERROR [Timeout]: index 'by-status' on table '{name}' is still CREATING after 2s; DynamoDB goes "
                   "on building it: run the same add-gsi again to keep waiting\n")

    code, _, err = run(capsys, dynamodb_local, "add-gsi", "--table", name, "--index-name", "by-region",
                       "--partition-key", "region:S")
    assert code == 2
    assert err == (f"ERROR [IndexBusy]: table '{name}': index 'by-status' is CREATING; DynamoDB builds or deletes "
                   "one index at a time. Wait until it finishes, then run add-gsi again\n")

    seen: list[tuple[str, bool | None]] = []
    request = IndexRequest(name, GlobalIndex("by-status", (Key("status"),), (Key("createdAt", "N"),)))
    result = add_gsi(client, request, timeout=120, poll_interval=1,
                     progress=lambda status, backfilling, _: seen.append((status, backfilling)))
    assert result == "present"  # it was already being built: waited for, not created twice
    assert seen[0][0] == "CREATING" and seen[-1][0] == "ACTIVE"
    assert ("CREATING", True) in seen  # it went through backfilling
    indexes = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert [(i["IndexName"], i["IndexStatus"]) for i in indexes] == [("by-status", "ACTIVE")]
    query = client.query(TableName=name, IndexName="by-status", KeyConditionExpression="#s = :s",
                         ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "active"}})
    assert query["Count"] == 3


def test_creates_a_multi_attribute_index_and_an_identical_rerun_succeeds_at_once(
        dynamodb_local: Endpoint, table: tuple[Any, str], aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    client, name = table
    args = ["add-gsi", "--table", name, "--index-name", "by-region-status", "--partition-key", "region:S",
            "--partition-key", "status:S", "--sort-key", "createdAt:N", "--projection", "INCLUDE",
            "--non-key-attributes", "id", "--poll-interval", "1"]
    code, out, _ = run(capsys, dynamodb_local, *args)
    assert (code, out) == (0, f"{name}: index by-region-status created, ACTIVE\n")
    [index] = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("region", "HASH"), ("status", "HASH"), ("createdAt", "RANGE")]
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["id"]}

    code, out, _ = run(capsys, dynamodb_local, *args)
    assert (code, out) == (0, f"{name}: index by-region-status already present, ACTIVE\n")

    code, _, err = run(capsys, dynamodb_local, "add-gsi", "--table", name, "--index-name", "by-region-status",
                       "--partition-key", "region:S")
    assert code == 2
    assert err == (f"ERROR [IndexConflict]: table '{name}' already has an index 'by-region-status' with a different "
                   "definition; choose another name or remove it first\n")


def test_sigterm_while_waiting_says_the_index_goes_on_building_and_exits_143(
        dynamodb_local: Endpoint, table: tuple[Any, str], aws_env: dict[str, str]) -> None:
    client, name = table
    tables = str(Path(sys.executable).with_name("tables"))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **CREDENTIALS}
    process = subprocess.Popen([tables, "add-gsi", "--table", name, "--index-name", "by-status", "--partition-key",
                                "status:S", "--poll-interval", "0.5", "--endpoint-url", dynamodb_local.url],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not client.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes"):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "add-gsi never asked for the index"
        time.sleep(0.05)
    time.sleep(0.6)  # past its first DescribeTable poll: it is waiting now
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert err == (f"add-gsi stopped: index 'by-status' on table '{name}' was CREATING; DynamoDB goes on building "
                   "it: run the same add-gsi again to keep waiting\nERROR [Interrupted]: stopped by SIGTERM\n")
    # The index stays DynamoDB's: still being built, or built.
    [index] = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-status" and index["IndexStatus"] in ("CREATING", "ACTIVE")
