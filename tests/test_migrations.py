"""Migration 0001 and the runner against real local endpoints: end to end, crash, concurrency, faults."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from components.families import plan_from_stack_file
from components.families.construction_expenses import pending_payments_table
from components.families.creator_platform import creators_table, products_table
from components.families.items_service import items_table
from components.families.migration_history import migrations_table
from components.families.shop_import import jobs_table
from components.model.plan import find_plan
from scripts.cli import main
from scripts.create_tables import create_tables
from scripts.creators import GUARD_PREFIX
from scripts.local_endpoint import LOCAL_CREDENTIALS, Endpoint, local_client
from scripts.migrate.backfill import BackfillOptions
from scripts.migrate.history import History
from scripts.migrate.registry import discover
from scripts.migrate.runner import RunOptions, up
from scripts.migrate.writes import WRITE_APIS
from scripts.schema_files import declared_schema
from tests.conftest import CREDENTIALS, client_for, delete_all_tables
from tests.fault_proxy import FaultProxy
from tests.project import MIGRATIONS_DIR, PROJECT_DIR

PLANS = plan_from_stack_file(PROJECT_DIR, "dev")
PRODUCTS, CREATORS, HISTORY = (plan.name for plan in (
    find_plan(PLANS, products_table), find_plan(PLANS, creators_table), find_plan(PLANS, migrations_table))
    if plan is not None)


def name_of(spec: Any) -> str:
    plan = find_plan(PLANS, spec)
    assert plan is not None, spec.key
    return plan.name
TABLES = str(Path(sys.executable).parent / "tables")
CLI_ENV = {**os.environ, **CREDENTIALS}  # the installed command, with placeholder credentials


def fresh_dev_tables(client: Any, stream_on_products: bool = False) -> None:
    delete_all_tables(client)
    schemas = [declared_schema(p) for p in PLANS]
    if stream_on_products:
        for schema in schemas:
            if schema.name == PRODUCTS:  # to count every write the migration makes
                schema.create["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    create_tables(client, schemas)


def load_products(endpoint: Endpoint, count: int) -> None:
    table = boto3.resource("dynamodb", endpoint_url=endpoint.url, **LOCAL_CREDENTIALS).Table(PRODUCTS)

    def load(start: int, stop: int) -> None:
        with table.batch_writer() as batch:
            for i in range(start, stop):
                batch.put_item(Item={"id": f"product-{i:06d}", "title": f"Product {i}",
                                     "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"})
    step = max(1, count // 8)
    threads = [threading.Thread(target=load, args=(s, min(s + step, count))) for s in range(0, count, step)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def products(client: Any) -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("scan").paginate(TableName=PRODUCTS, ConsistentRead=True):
        for item in page["Items"]:
            items[item["id"]["S"]] = item
    return items


def default_creators(client: Any) -> list[dict[str, Any]]:
    items = client.scan(TableName=CREATORS, ConsistentRead=True)["Items"]
    return [i for i in items if i.get("slug", {}).get("S") == "jesskoufo"]


def assert_fully_migrated(client: Any, count: int) -> str:
    [creator] = default_creators(client)
    creator_id = creator["id"]["S"]
    guard = client.get_item(TableName=CREATORS, Key={"id": {"S": GUARD_PREFIX + "jesskoufo"}})["Item"]
    assert guard["creatorId"]["S"] == creator_id
    found = products(client)
    assert len(found) == count
    for product in found.values():
        assert product["creatorId"] == {"S": creator_id}, product
        assert product["featured"] == {"BOOL": False}, product
        assert product["status"] == {"S": "approved"}, product
    return creator_id


def cli(endpoint: Endpoint, *args: str) -> tuple[int, str, str]:
    result = subprocess.run([TABLES, *args, "--stack", "dev", "--endpoint-url", endpoint.url], capture_output=True,
                            text=True, env=CLI_ENV, check=False, timeout=600)
    return result.returncode, result.stdout, result.stderr


def history_record(client: Any) -> dict[str, Any]:
    return client.get_item(TableName=HISTORY, Key={"pk": {"S": "0001"}, "sk": {"S": "RECORD"}},
                           ConsistentRead=True).get("Item", {})


# --- end to end --------------------------------------------------------------------------------------

@pytest.fixture
def ddb(dynamodb_local: Endpoint) -> tuple[Endpoint, Any]:
    """DynamoDB Local (fast enough for thousands of conditional writes) with fresh dev tables."""
    client = client_for(dynamodb_local)
    fresh_dev_tables(client)
    return dynamodb_local, client


@pytest.mark.dynamodb_local
def test_0001_migrates_2000_products_and_a_second_run_writes_nothing(ddb: tuple[Endpoint, Any]) -> None:
    endpoint, endpoint_client = ddb
    load_products(endpoint, 2000)
    code, out, err = cli(endpoint, "migrate", "status")
    assert (code, out.splitlines()[-1]) == (1, "1 migrations, 1 pending")

    code, out, err = cli(endpoint, "migrate", "up")
    assert code == 0, err
    assert "0001 succeeded: scanned 2000, updated 2000, skipped 0, failed 0, re-read 0;" in out
    assert "verified: products with creatorId 2000, without 0" in out
    creator_id = assert_fully_migrated(endpoint_client, 2000)
    record = history_record(endpoint_client)
    assert (record["status"]["S"], record["updated"]["N"], record["checksum"]["S"]) == (
        "succeeded", "2000", discover(MIGRATIONS_DIR)[0].checksum)
    assert record["ranBy"]["S"].startswith(f"{os.environ.get('USER', '') or ''}")
    before = {k: v["updatedAt"] for k, v in products(endpoint_client).items()}

    assert cli(endpoint, "migrate", "up")[1] == "no pending migrations\n"
    assert cli(endpoint, "migrate", "status")[0] == 0

    # Forget the history and run again: the data itself says there is nothing to do.
    endpoint_client.delete_item(TableName=HISTORY, Key={"pk": {"S": "0001"}, "sk": {"S": "RECORD"}})
    for page in endpoint_client.get_paginator("scan").paginate(TableName=HISTORY):
        for item in page["Items"]:
            endpoint_client.delete_item(TableName=HISTORY, Key={"pk": item["pk"], "sk": item["sk"]})
    code, out, err = cli(endpoint, "migrate", "up")
    assert code == 0, err
    assert f"found default creator jesskoufo (Jess Koufo): {creator_id}" in out
    assert "0001 succeeded: scanned 2000, updated 0, skipped 0, failed 0, re-read 0;" in out
    assert {k: v["updatedAt"] for k, v in products(endpoint_client).items()} == before
    assert len(default_creators(endpoint_client)) == 1


def test_dry_run_writes_nothing(moto: Endpoint, moto_client: Any) -> None:
    fresh_dev_tables(moto_client)
    load_products(moto, 50)
    before = products(moto_client)
    code, out, err = cli(moto, "migrate", "up", "--dry-run")
    assert code == 0, err
    assert out.splitlines()[0].startswith("would create default creator jesskoufo (Jess Koufo): ")
    assert "0001 dry run: 50 items would change (scanned 50); nothing written" in out
    assert out.count("  e.g. {'id': 'product-") == 5
    assert products(moto_client) == before
    assert moto_client.scan(TableName=CREATORS)["Items"] == []
    assert moto_client.scan(TableName=HISTORY)["Items"] == []  # no record, no lock, no checkpoints


# --- crash and resume ---------------------------------------------------------------------------------

def count_migrated(client: Any) -> int:
    total = 0
    for page in client.get_paginator("scan").paginate(TableName=PRODUCTS, Select="COUNT",
                                                       FilterExpression="attribute_exists(creatorId)"):
        total += page["Count"]
    return total


def stream_modifies(client: Any, streams: Any) -> Counter[str]:
    arn = client.describe_table(TableName=PRODUCTS)["Table"]["LatestStreamArn"]
    writes: Counter[str] = Counter()
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in page["Records"]:
                if record["eventName"] == "MODIFY":
                    writes[record["dynamodb"]["Keys"]["id"]["S"]] += 1
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return writes


@pytest.mark.dynamodb_local
def test_kill_9_mid_backfill_then_up_again_migrates_every_product_exactly_once(own_dynamodb_local: Endpoint) -> None:
    client = client_for(own_dynamodb_local)
    fresh_dev_tables(client, stream_on_products=True)
    load_products(own_dynamodb_local, 20_000)
    runner = subprocess.Popen([TABLES, "migrate", "up", "--stack", "dev", "--endpoint-url", own_dynamodb_local.url,
                               "--lock-lease", "8", "--page-size", "100", "--workers", "4"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CLI_ENV)
    history = History(client, HISTORY)
    deadline = time.monotonic() + 120
    # The checkpoints say how far it got, without scanning the products table while it works.
    while (sum(int(s.get("updated", 0)) for s in history.segments("0001", "products")) < 4000
           and time.monotonic() < deadline and runner.poll() is None):
        time.sleep(0.25)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    killed = time.monotonic()
    code, _, err = cli(own_dynamodb_local, "migrate", "up")  # the dead runner's lease has not expired yet
    assert code == 2
    assert err.startswith(f"ERROR [LockHeld]: another runner holds the migration lock on {HISTORY}: ")
    assert "it expires if that runner died" in err
    migrated = count_migrated(client)
    assert 4000 <= migrated < 20_000, "the run must be killed mid-backfill"
    assert history_record(client)["status"]["S"] == "running"

    time.sleep(max(0.0, killed + 8.5 - time.monotonic()))
    code, out, err = cli(own_dynamodb_local, "migrate", "up", "--lock-lease", "8")
    assert code == 0, err
    assert "0001 succeeded:" in out
    assert_fully_migrated(client, 20_000)
    # The record counts the killed run's pages too, the ones in flight when it was killed included: the
    # rerun re-read each and counted the writes it found made, for the killed run.
    assert int(history_record(client)["updated"]["N"]) == 20_000
    streams = boto3.client("dynamodbstreams", endpoint_url=own_dynamodb_local.url, **LOCAL_CREDENTIALS)
    writes = stream_modifies(client, streams)
    assert len(writes) == 20_000
    assert set(writes.values()) == {1}, "no product may be updated twice"


# --- concurrency ----------------------------------------------------------------------------------------

def run_up(endpoint: Endpoint, **backfill: Any) -> list[Any]:
    client = client_for(endpoint)
    options = RunOptions(backfill=BackfillOptions(**backfill), log=lambda message: None)
    return up(client, PLANS, History(client, HISTORY), discover(MIGRATIONS_DIR), options)


def written_keys(params: dict[str, Any]) -> set[str]:
    """The product ids an UpdateItem, TransactWriteItems or BatchExecuteStatement request is about to write."""
    if params.get("TableName") == PRODUCTS:
        return {params["Key"]["id"]["S"]}
    if "TransactItems" in params:
        # The runner's own records go in transactions too (fenced by the lock): only the products count.
        return {action["Update"]["Key"]["id"]["S"] for action in params["TransactItems"]
                if action.get("Update", {}).get("TableName") == PRODUCTS}
    return {p["S"] for s in params.get("Statements", []) for p in s["Parameters"]
            if p.get("S", "").startswith("product-")}


@pytest.mark.dynamodb_local
@pytest.mark.parametrize("write_api", WRITE_APIS)
def test_a_change_made_between_read_and_write_is_never_overwritten(ddb: tuple[Endpoint, Any],
                                                                   write_api: str) -> None:
    endpoint, endpoint_client = ddb
    load_products(endpoint, 20)
    writer = client_for(endpoint)
    client = client_for(endpoint)
    interfered: list[str] = []

    def interfere(params: dict[str, Any], **_: Any) -> None:
        # Just before the engine writes either, someone edits product-000007 and deletes product-000011.
        if interfered or not {"product-000007", "product-000011"} & written_keys(params):
            return
        interfered.append("both")
        writer.update_item(TableName=PRODUCTS, Key={"id": {"S": "product-000007"}},
                           UpdateExpression="SET #s = :rejected, title = :t, updatedAt = :u",
                           ExpressionAttributeNames={"#s": "status"},
                           ExpressionAttributeValues={":rejected": {"S": "rejected"}, ":t": {"S": "Edited"},
                                                      ":u": {"S": "2026-11-23T00:00:00Z"}})
        writer.delete_item(TableName=PRODUCTS, Key={"id": {"S": "product-000011"}})

    operation = {"update-item": "UpdateItem", "transact": "TransactWriteItems"}.get(write_api, "BatchExecuteStatement")
    client.meta.events.register(f"before-parameter-build.dynamodb.{operation}", interfere)
    options = RunOptions(backfill=BackfillOptions(total_segments=1, workers=1, write_api=write_api),
                         log=lambda message: None)
    [result] = up(client, PLANS, History(client, HISTORY), discover(MIGRATIONS_DIR), options)
    assert interfered == ["both"]
    assert result.outcome == "succeeded"
    assert sum(b.conflicts for b in result.backfills) == 2
    assert result.counts == {"scanned": 20, "updated": 19, "skipped": 1, "failed": 0, "reread": 2}
    found = products(endpoint_client)
    assert "product-000011" not in found  # the deletion stands: no half-item written back to life
    edited = found["product-000007"]
    assert (edited["status"], edited["title"]) == ({"S": "rejected"}, {"S": "Edited"})  # the writer's change stands
    assert edited["creatorId"] == found["product-000001"]["creatorId"]  # migrated, on the version read again


@pytest.mark.dynamodb_local
def test_a_writer_running_during_the_backfill_loses_no_change(ddb: tuple[Endpoint, Any]) -> None:
    endpoint, endpoint_client = ddb
    load_products(endpoint, 2000)
    writer = client_for(endpoint)
    last_written: dict[str, str] = {}
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            key = f"product-{(n * 7919) % 2000:06d}"
            title = f"edit {n}"
            writer.update_item(TableName=PRODUCTS, Key={"id": {"S": key}}, UpdateExpression="SET title = :t, "
                               "updatedAt = :u", ExpressionAttributeValues={":t": {"S": title},
                                                                           ":u": {"S": f"2026-11-23T00:00:{n:06d}"}})
            last_written[key] = title
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        [result] = run_up(endpoint, total_segments=4, workers=4, page_size=50)
    finally:
        stop.set()
        thread.join()
    assert result.outcome == "succeeded"
    assert len(last_written) > 50
    found = products(endpoint_client)
    assert {k: found[k]["title"]["S"] for k in last_written} == last_written
    assert_fully_migrated(endpoint_client, 2000)


@pytest.mark.dynamodb_local
def test_two_runners_at_once_exactly_one_proceeds(ddb: tuple[Endpoint, Any]) -> None:
    endpoint, endpoint_client = ddb
    load_products(endpoint, 3000)
    command = [TABLES, "migrate", "up", "--stack", "dev", "--endpoint-url", endpoint.url, "--workers", "2",
               "--total-segments", "2", "--page-size", "25"]
    runners = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CLI_ENV)
               for _ in range(2)]
    outcomes = sorted((r.wait(timeout=600), r.stderr.read() if r.stderr else "") for r in runners)
    assert [code for code, _ in outcomes] == [0, 2]
    assert outcomes[1][1].startswith("ERROR [LockHeld]: another runner holds the migration lock on")
    assert_fully_migrated(endpoint_client, 3000)


@pytest.mark.dynamodb_local
def test_fan_out_workers_split_one_migration(ddb: tuple[Endpoint, Any]) -> None:
    endpoint, endpoint_client = ddb
    load_products(endpoint, 400)
    code, out, err = cli(endpoint, "migrate", "up", "--segments", "0-3", "--total-segments", "8")
    assert code == 0, err
    assert "0001 partial:" in out and "(this worker's segments are done; others remain for other workers)" in out
    assert history_record(endpoint_client)["status"]["S"] == "running"
    code, out, err = cli(endpoint, "migrate", "up", "--segments", "4-7", "--total-segments", "8")
    assert code == 0, err
    assert "0001 succeeded:" in out and "verified: products with creatorId 400, without 0" in out
    assert_fully_migrated(endpoint_client, 400)


# --- faults ---------------------------------------------------------------------------------------------

@pytest.mark.dynamodb_local
def test_throttling_500s_and_dropped_connections_give_the_same_result_as_a_clean_run(
        ddb: tuple[Endpoint, Any]) -> None:
    endpoint, endpoint_client = ddb
    load_products(endpoint, 1000)
    with FaultProxy(endpoint.url, throttle_rate=0.03, error_rate=0.03, drop_rate=0.03, statement_throttle_rate=0.05,
                    seed=7) as proxy:
        result = subprocess.run([TABLES, "migrate", "up", "--stack", "dev", "--endpoint-url", proxy.url,
                                 "--retry-mode", "standard", "--max-attempts", "15", "--json",
                                 # forced, so every statement the proxy throttles is one of the backfill's
                                 "--write-api", "batch-statement"],
                                capture_output=True, text=True, env=CLI_ENV, check=False, timeout=600)
        stats = dict(proxy.stats)
    assert result.returncode == 0, result.stderr
    faults = ("throttle", "error", "drop-before", "drop-after", "statement-throttle")
    assert min(stats.get(f, 0) for f in faults) > 0, stats
    [run] = json.loads(result.stdout)
    assert run["outcome"] == "succeeded"
    assert run["throttledStatements"] == stats["statement-throttle"]  # each one sent again
    assert run["counts"]["failed"] == 0
    # A dropped response to an applied write is retried; the retry finds it done and skips it.
    assert run["counts"]["updated"] + run["counts"]["skipped"] == 1000
    assert_fully_migrated(endpoint_client, 1000)
    assert len(default_creators(endpoint_client)) == 1


@pytest.mark.dynamodb_local
def test_statements_throttled_past_their_retries_fail_the_run_and_the_next_run_retries_them(
        ddb: tuple[Endpoint, Any]) -> None:
    endpoint, endpoint_client = ddb
    load_products(endpoint, 100)
    with FaultProxy(endpoint.url, statement_throttle_rate=1.0) as proxy:
        client = local_client(proxy.url)
        options = RunOptions(backfill=BackfillOptions(total_segments=2, workers=2, statement_retries=2,
                                                      write_api="batch-statement"),
                             log=lambda message: None)
        [result] = up(client, PLANS, History(client, HISTORY), discover(MIGRATIONS_DIR), options)
    assert result.outcome == "failed"
    assert result.error == "100 items failed; run up again to retry them"
    assert result.counts == {"scanned": 100, "updated": 0, "skipped": 0, "failed": 100, "reread": 0}
    assert sum(b.throttled_statements for b in result.backfills) == 300  # sent 3 times each
    assert count_migrated(endpoint_client) == 0
    assert history_record(endpoint_client)["status"]["S"] == "failed"

    [again] = run_up(endpoint, total_segments=2)  # a resumed backfill keeps its segment count
    assert again.outcome == "succeeded"
    # The second pass reads every item again: re-read, not scanned twice.
    assert again.counts == {"scanned": 0, "updated": 100, "skipped": 0, "failed": 0, "reread": 100}
    assert_fully_migrated(endpoint_client, 100)


# --- validate, status, seed ---------------------------------------------------------------------------

def test_validate_catches_an_edited_migration(moto: Endpoint, moto_client: Any, tmp_path: Path) -> None:
    fresh_dev_tables(moto_client)
    load_products(moto, 10)
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations)
    assert cli(moto, "migrate", "up", "--migrations", str(migrations), "--write-api", "update-item")[0] == 0
    assert cli(moto, "migrate", "validate", "--migrations", str(migrations)) == (
        0, "1 applied migrations match their source\n", "")
    with (migrations / "0001_multi_creator.py").open("a") as source:
        source.write("\n# an edit after the migration ran\n")
    assert cli(moto, "migrate", "validate", "--migrations", str(migrations)) == (
        1, "", "0001: source changed since it was applied\n")
    code, _, err = cli(moto, "migrate", "up", "--migrations", str(migrations))
    assert code == 2
    assert err.startswith("ERROR [ChecksumMismatch]: applied migration(s) 0001 changed since they ran;")


def test_an_environment_that_applied_the_first_source_of_0001_still_agrees(moto: Endpoint, moto_client: Any) -> None:
    """0001's imports moved (to the migration API, then its creator helpers to their own module) without
    changing what it does; every earlier source's checksum stays valid."""
    fresh_dev_tables(moto_client)
    load_products(moto, 5)
    assert cli(moto, "migrate", "up", "--write-api", "update-item")[0] == 0
    earlier_sources = discover(MIGRATIONS_DIR)[0].equivalent_checksums
    assert len(earlier_sources) == 2
    for source in earlier_sources:
        moto_client.update_item(TableName=HISTORY, Key={"pk": {"S": "0001"}, "sk": {"S": "RECORD"}},
                                UpdateExpression="SET checksum = :old",
                                ExpressionAttributeValues={":old": {"S": source}})
        assert cli(moto, "migrate", "validate") == (0, "1 applied migrations match their source\n", "")
        assert cli(moto, "migrate", "up")[1] == "no pending migrations\n"


def test_seed_loads_dev_data_and_clear_empties_only_the_seeded_tables(moto: Endpoint, moto_client: Any) -> None:
    fresh_dev_tables(moto_client)
    other = name_of(pending_payments_table)
    moto_client.put_item(TableName=other, Item={"pendingPaymentId": {"S": "c-1"}})
    moto_client.put_item(TableName=name_of(items_table), Item={"id": {"S": "not-seed"},
                                                                            "status": {"S": "active"}})
    code, out, err = cli(moto, "seed")
    assert code == 0, err
    assert "items-dev: 5 seeded\n  - active: 3\n  - archived: 1\n  - inactive: 1\n" in out
    items = moto_client.scan(TableName="items-dev")["Items"]
    assert {i["name"]["S"] for i in items if "name" in i} == {"Laptop", "Monitor", "Keyboard", "Mouse", "USB Hub"}
    assert {i["version"]["N"] for i in items if "name" in i} == {"1"}
    jobs = moto_client.scan(TableName=name_of(jobs_table))["Items"]
    assert len(jobs) == 15 and all(len(j["jobId"]["S"]) == 26 for j in jobs)  # ULIDs
    assert cli(moto, "seed")[0] == 0  # deterministic keys: seeding again adds no copies
    assert len(moto_client.scan(TableName=name_of(jobs_table))["Items"]) == 15

    code, out, err = cli(moto, "seed", "--clear")
    assert code == 0, err
    assert "cleared items-dev: 6 items deleted" in out
    assert len(moto_client.scan(TableName="items-dev")["Items"]) == 5  # the stray item went with --clear
    assert moto_client.scan(TableName=other)["Items"] == [{"pendingPaymentId": {"S": "c-1"}}]  # not a seeded table


def test_seed_refuses_prod(moto: Endpoint, aws_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed", "--stack", "prod", "--endpoint-url", moto.url]) == 2
    assert capsys.readouterr().err == (
        "ERROR [Refused]: seed data is for development stacks; this stack's environment is prod\n")


def test_migrate_without_the_history_table_is_one_clear_error(moto: Endpoint, moto_client: Any,
                                                               aws_env: dict[str, str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "status", "--stack", "dev", "--endpoint-url", moto.url]) == 2
    assert capsys.readouterr().err == (
        f"ERROR [TableNotFound]: the migration history table '{HISTORY}' does not exist at {moto.url}; "
        "create the stack's tables first (pulumi up, or tables create)\n")
