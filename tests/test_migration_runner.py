"""`tables migrate up` as a user runs it: on any endpoint, interrupted, capped, with an undo point, fanned out.

Every test drives the installed `tables` command against a real local endpoint (moto server or
DynamoDB Local), and checks the tables and the history table afterwards, not only what was printed.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts.local_endpoint import LOCAL_CREDENTIALS, Endpoint
from scripts.migrate.history import History
from tests.conftest import client_for
from tests.fault_proxy import FaultProxy
from tests.test_migrations import (
    CLI_ENV,
    HISTORY,
    PRODUCTS,
    TABLES,
    assert_fully_migrated,
    cli,
    count_migrated,
    fresh_dev_tables,
    history_record,
    load_products,
    stream_modifies,
)

NO_PITR_ON_LOCAL = "has no point-in-time recovery: no undo point for "


def start_up(endpoint: Endpoint, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([TABLES, "migrate", "up", "--stack", "dev", "--endpoint-url", endpoint.url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CLI_ENV)


def updated_so_far(history: History) -> int:
    """The backfill's progress, from its checkpoints: no scan of the table while it works."""
    return sum(int(s.get("updated", 0)) for s in history.segments("0001", "products"))


def wait_for_progress(history: History, runners: list[subprocess.Popen[str]], updated: int) -> None:
    deadline = time.monotonic() + 180
    while updated_so_far(history) < updated and time.monotonic() < deadline:
        assert all(r.poll() is None for r in runners), [r.communicate() for r in runners if r.poll() is not None]
        time.sleep(0.2)


def leftovers(client: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The migration lock, if any, and every segment lease that is still live."""
    lock = client.get_item(TableName=HISTORY, Key={"pk": {"S": "LOCK"}, "sk": {"S": "LOCK"}},
                           ConsistentRead=True).get("Item", {})
    now = time.time()
    live = [s for s in History(client, HISTORY).segments("0001")
            if not s.get("done") and float(s.get("leaseExpiresAt", 0)) > now]
    return lock, live


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.fixture
def ddb(dynamodb_local: Endpoint) -> tuple[Endpoint, Any]:
    client = client_for(dynamodb_local)
    fresh_dev_tables(client)
    return dynamodb_local, client


# --- the write path is found out, not guessed ---------------------------------------------------------

def test_moto_by_url_migrates_with_default_options_and_says_which_write_path(moto: Endpoint,
                                                                             moto_client: Any) -> None:
    fresh_dev_tables(moto_client)
    load_products(moto, 300)
    code, out, err = cli(moto, "migrate", "up")
    assert code == 0, err
    # moto 5 applies a PartiQL UPDATE whatever its WHERE condition says.
    assert f"{moto.url} applied a PartiQL UPDATE whose condition was false; writing with conditional UpdateItem " \
           "(one request per item) instead" in out.splitlines()
    assert "<" not in out + err
    assert re.search(r"^0001 succeeded: scanned 300, updated 300, skipped 0, failed 0;", out, re.M), out
    assert_fully_migrated(moto_client, 300)


@pytest.mark.dynamodb_local
def test_dynamodb_local_keeps_the_batched_path(ddb: tuple[Endpoint, Any]) -> None:
    endpoint, client = ddb
    load_products(endpoint, 300)
    code, out, err = cli(endpoint, "migrate", "up", "--json")
    assert code == 0, err
    [run] = __import__("json").loads(out)
    assert (run["outcome"], run["writeApi"], run["counts"]["updated"]) == ("succeeded", "batch-statement", 300)
    assert "BatchExecuteStatement" not in err
    assert f"{endpoint.url} {NO_PITR_ON_LOCAL}{PRODUCTS}" in err.splitlines()
    assert_fully_migrated(client, 300)


# --- a failure is one line, releases what it held, and the rerun finishes -----------------------------

@pytest.mark.dynamodb_local
def test_an_html_500_is_one_line_and_the_next_run_finishes_everything(ddb: tuple[Endpoint, Any]) -> None:
    endpoint, client = ddb
    load_products(endpoint, 2000)
    broken = frozenset({("BatchExecuteStatement", ""), ("UpdateItem", PRODUCTS)})
    with FaultProxy(endpoint.url, html_errors=broken) as proxy:
        result = subprocess.run([TABLES, "migrate", "up", "--stack", "dev", "--endpoint-url", proxy.url,
                                 "--max-attempts", "2"], capture_output=True, text=True, env=CLI_ENV, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "<" not in result.stdout + result.stderr, "no HTML may reach the user"
    assert f"{proxy.url} does not take BatchExecuteStatement (HTTP 500); writing with conditional UpdateItem " \
           "(one request per item) instead" in result.stdout.splitlines()
    assert error_lines(result.stderr) == [
        f"ERROR [ServerError]: migration 0001: {proxy.url}: UpdateItem failed with HTTP 500; try again, or check "
        "the endpoint"]
    assert history_record(client)["status"]["S"] == "failed"
    lock, live = leftovers(client)
    assert (lock, live) == ({}, []), "a failed run releases its lock and every segment lease"

    code, out, err = cli(endpoint, "migrate", "status")
    assert code == 1
    assert "0001  failed" in out

    code, out, err = cli(endpoint, "migrate", "up")
    assert code == 0, err
    assert "partial" not in out
    assert re.search(r"^0001 succeeded: scanned \d+, updated 2000, skipped 0, failed 0;", out, re.M), out
    assert_fully_migrated(client, 2000)
    code, out, _ = cli(endpoint, "migrate", "status")
    assert (code, "0001  applied" in out) == (0, True), out


@pytest.mark.dynamodb_local
def test_a_run_without_fan_out_never_reports_partial_while_another_runner_holds_segments(
        ddb: tuple[Endpoint, Any]) -> None:
    endpoint, client = ddb
    load_products(endpoint, 500)
    # A fan-out worker died holding segment 3: its lease still runs for a minute.
    History(client, HISTORY).start("0001", "any", "held elsewhere")
    other = History(client, HISTORY)
    assert other.claim_segment("0001", "products", 3, 16, lease_seconds=60) is not None
    # With a 5 s lease of its own, the run waits once for 5 s (a holder that died a moment ago would
    # be gone by then), finds the segment still held, and says so.
    code, out, err = cli(endpoint, "migrate", "up", "--lock-lease", "5")
    assert code == 1, err
    assert "partial" not in out
    match = re.search(r"^0001 incomplete: .*; not finished: segment 3 held by (\S+) until (\d\d:\d\d:\d\dZ); run "
                      r"tables migrate up again when that runner is done or its lease expired$", out, re.M)
    assert match and match[1] == other.me, out
    code, out, _ = cli(endpoint, "migrate", "status")
    assert code == 1
    assert "0001  incomplete" in out
    assert "backfill products: 15 of 16 segments done, 1 held, 0 waiting" in out
    assert f"segment 3 held by {other.me} until {match[2]}" in out


# --- interruption ------------------------------------------------------------------------------------------

@pytest.mark.dynamodb_local
@pytest.mark.timeout(900)  # 20,000 items loaded and migrated twice on a shared 2-core machine
def test_sigint_stops_cleanly_and_the_rerun_migrates_the_rest_writing_no_item_twice(
        own_dynamodb_local: Endpoint) -> None:
    client = client_for(own_dynamodb_local)
    fresh_dev_tables(client, stream_on_products=True)
    load_products(own_dynamodb_local, 20_000)
    history = History(client, HISTORY)
    runner = start_up(own_dynamodb_local, "--page-size", "100", "--workers", "4")
    wait_for_progress(history, [runner], 3000)
    signalled = time.monotonic()
    runner.send_signal(signal.SIGINT)
    out, err = runner.communicate(timeout=60)
    assert runner.returncode == 130, err
    assert time.monotonic() - signalled < 20, "stops after the requests in flight, not at the end of the segments"
    assert "Traceback" not in err
    assert error_lines(err)[-1].startswith("ERROR [Interrupted]: migration 0001: stopped by SIGINT during backfill "
                                           "products; scanned ")
    assert history_record(client)["status"]["S"] == "interrupted"
    assert leftovers(client) == ({}, [])
    migrated = count_migrated(client)
    assert 3000 <= migrated < 20_000

    code, out, err = cli(own_dynamodb_local, "migrate", "up")
    assert code == 0, err
    assert "0001 succeeded:" in out
    assert_fully_migrated(client, 20_000)
    streams = boto3.client("dynamodbstreams", endpoint_url=own_dynamodb_local.url, **LOCAL_CREDENTIALS)
    writes = stream_modifies(client, streams)
    assert len(writes) == 20_000 and set(writes.values()) == {1}, "no product may be updated twice"
    # The history adds up over both runs, and keeps each run's own counts.
    record = history_record(client)
    assert int(record["updated"]["N"]) == 20_000
    runs = [{k: v for k, v in run["M"].items()} for run in record["runs"]["L"]]
    assert [r["outcome"]["S"] for r in runs] == ["interrupted", "succeeded"]
    assert sum(int(r["updated"]["N"]) for r in runs) == 20_000
    code, out, _ = cli(own_dynamodb_local, "migrate", "history")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("0001  succeeded  ") and "(all runs: " in lines[0]
    assert [line.split()[4] for line in lines[1:]] == ["interrupted", "succeeded"], lines


# --- the write cap -----------------------------------------------------------------------------------------

@pytest.mark.dynamodb_local
def test_the_write_cap_holds_the_rate_and_the_summary_shows_it(ddb: tuple[Endpoint, Any]) -> None:
    endpoint, client = ddb
    load_products(endpoint, 2000)
    started = time.monotonic()
    code, out, err = cli(endpoint, "migrate", "up", "--max-writes-per-second", "200")
    elapsed = time.monotonic() - started
    assert code == 0, err
    assert "write cap: 200 item writes per second (--max-writes-per-second)" in out
    assert elapsed >= 9, f"2,000 writes at 200/s cannot take {elapsed:.1f}s"
    assert elapsed < 120
    match = re.search(r"; 2,000 writes at ([\d,]+)/s \(cap 200/s\);", out)
    assert match, out
    assert 150 <= int(match[1].replace(",", "")) <= 210
    assert_fully_migrated(client, 2000)


def test_prod_is_capped_by_its_config_and_the_dry_run_estimates_the_time_at_the_cap(moto: Endpoint,
                                                                                    moto_client: Any) -> None:
    from components.families import plan_from_stack_file
    from scripts.create_tables import create_tables
    from scripts.schema_files import declared_schema
    from tests.project import PROJECT_DIR

    plans = plan_from_stack_file(PROJECT_DIR, "prod")
    create_tables(moto_client, [declared_schema(p) for p in plans])
    products = next(p.name for p in plans if p.spec.key == "products")
    with boto3.resource("dynamodb", endpoint_url=moto.url, **LOCAL_CREDENTIALS).Table(products).batch_writer() as b:
        for i in range(3000):
            b.put_item(Item={"id": f"product-{i:06d}", "title": f"Product {i}"})
    result = subprocess.run([TABLES, "migrate", "up", "--stack", "prod", "--endpoint-url", moto.url, "--dry-run"],
                            capture_output=True, text=True, env=CLI_ENV, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "  estimate: at least 3,000 write units (one per item of up to 1 KB, one more per extra KB); about 3 s " \
           "at the cap of 1,000 writes/s" in result.stdout.splitlines()


# --- the undo point ---------------------------------------------------------------------------------------

def test_no_pitr_is_refused_no_undo_point_proceeds_and_the_undo_time_is_the_recorded_start(
        moto: Endpoint, moto_client: Any) -> None:
    fresh_dev_tables(moto_client)
    load_products(moto, 50)
    moto_client.update_continuous_backups(TableName=PRODUCTS, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False})
    code, out, err = cli(moto, "migrate", "up")
    assert code == 2
    assert error_lines(err) == [
        f"ERROR [NoUndoPoint]: migration 0001: point-in-time recovery is off on {PRODUCTS}, so nothing could undo "
        "this migration's writes; turn it on (the stack's pointInTimeRecovery) or pass --no-undo-point to write "
        "anyway"]
    assert count_migrated(moto_client) == 0

    code, out, err = cli(moto, "migrate", "up", "--no-undo-point")
    assert code == 0, err
    assert f"point-in-time recovery is off on {PRODUCTS}: writing without an undo point (--no-undo-point)" in out
    assert_fully_migrated(moto_client, 50)


def test_the_printed_undo_command_restores_to_the_recorded_start(moto: Endpoint, moto_client: Any) -> None:
    fresh_dev_tables(moto_client)
    load_products(moto, 50)
    code, out, err = cli(moto, "migrate", "up")
    assert code == 0, err
    started = history_record(moto_client)["startedAt"]["S"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", started)
    assert (f"to undo: restore {PRODUCTS} to {started}: tables restore --stack dev --table products "
            f"--to-time {started}") in out.splitlines()


# --- fan-out -------------------------------------------------------------------------------------------------

@pytest.mark.dynamodb_local
@pytest.mark.timeout(900)  # 20,000 items, five worker processes on a shared 2-core machine
def test_four_workers_share_one_migration_and_a_killed_worker_restarts_with_its_share(
        own_dynamodb_local: Endpoint) -> None:
    client = client_for(own_dynamodb_local)
    fresh_dev_tables(client, stream_on_products=True)
    load_products(own_dynamodb_local, 20_000)
    history = History(client, HISTORY)
    common = ("--lock-lease", "5", "--page-size", "100")
    workers = [start_up(own_dynamodb_local, "--worker", f"{i}/4", *common) for i in range(4)]
    wait_for_progress(history, workers, 3000)
    workers[0].send_signal(signal.SIGKILL)
    workers[0].wait()
    # Restarted at once: its segments are still leased to the dead worker; it waits for them, then resumes.
    workers[0] = start_up(own_dynamodb_local, "--worker", "0/4", *common)
    outputs = [w.communicate(timeout=600) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], [err for _, err in outputs]
    summaries = [line for out, _ in outputs for line in out.splitlines() if line.startswith("0001 ")]
    assert sorted(s.split(":")[0] for s in summaries) == ["0001 partial"] * 3 + ["0001 succeeded"], summaries
    verifications = [line for out, _ in outputs for line in out.splitlines() if line.startswith("verified:")]
    assert verifications == ["verified: products with creatorId 20000, without 0"]
    assert history_record(client)["status"]["S"] == "succeeded"
    assert_fully_migrated(client, 20_000)
    streams = boto3.client("dynamodbstreams", endpoint_url=own_dynamodb_local.url, **LOCAL_CREDENTIALS)
    writes = stream_modifies(client, streams)
    assert len(writes) == 20_000 and set(writes.values()) == {1}, "every product migrated exactly once"


# --- options are checked before anything is written ---------------------------------------------------------

@pytest.mark.parametrize(("args", "environment", "message"), [
    (["--worker", "4/4"], {}, "tables migrate: argument --worker: '4/4': the worker index runs from 0 to 3"),
    (["--worker", "1-4"], {}, "tables migrate: argument --worker: '1-4': expected I/N (worker I of N, 0 <= I < N) or "
                              "batch/N"),
    (["--worker", "batch/4"], {}, "--worker batch/4: AWS_BATCH_JOB_ARRAY_INDEX is not set; AWS Batch sets it from 0 "
                                  "to the array size - 1 in an array job of size 4"),
    (["--worker", "batch/4"], {"AWS_BATCH_JOB_ARRAY_INDEX": "4"},
     "--worker batch/4: AWS_BATCH_JOB_ARRAY_INDEX is 4; AWS Batch sets it from 0 to the array size - 1 in an array "
     "job of size 4"),
    (["--worker", "0/32"], {}, "--worker 0/32: 32 workers need at least as many segments; pass --total-segments 32 "
                               "or more"),
    (["--worker", "0/2", "--segments", "0-3"], {}, "tables migrate: argument --segments: not allowed with argument "
                                                   "--worker"),
    (["--max-writes-per-second", "0"], {}, "tables migrate: argument --max-writes-per-second: 0 is out of range; "
                                           "allowed: a number from 1 to 1e+06"),
])
def test_bad_fan_out_and_cap_options_are_one_line_before_any_work(args: list[str], environment: dict[str, str],
                                                                  message: str, tmp_path: Path) -> None:
    env = {k: v for k, v in CLI_ENV.items() if k != "AWS_BATCH_JOB_ARRAY_INDEX"}
    # An endpoint nobody listens on: an option error must come before any connection.
    result = subprocess.run([TABLES, "migrate", "up", "--stack", "dev", "--endpoint-url", "http://127.0.0.1:9",
                             *args], capture_output=True, text=True, env={**env, **environment}, timeout=60)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [f"ERROR [{'Usage' if message.startswith('tables') else 'InvalidArgument'}]"
                                          f": {message}" + (" (see tables migrate --help)"
                                                            if message.startswith("tables") else "")]


def test_worker_shares_cover_every_segment_once() -> None:
    from scripts.commands.migrate import worker_segments

    shares = [worker_segments((str(i), 3), 16) for i in range(3)]
    assert shares[0] == [0, 3, 6, 9, 12, 15]
    assert sorted(s for share in shares for s in share) == list(range(16))
    assert worker_segments(("batch", 3), 16, {"AWS_BATCH_JOB_ARRAY_INDEX": "2"}) == [2, 5, 8, 11, 14]
