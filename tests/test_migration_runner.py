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
    CREATORS,
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
    """The migration lock if anyone holds it, and every segment lease that is still live.

    A released lock keeps its item, without a holder: its version is the next run's fencing token.
    """
    lock = client.get_item(TableName=HISTORY, Key={"pk": {"S": "LOCK"}, "sk": {"S": "LOCK"}},
                           ConsistentRead=True).get("Item", {})
    lock = lock if "holder" in lock else {}
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
    assert re.search(r"^0001 succeeded: scanned 300, updated 300, skipped 0, failed 0, re-read 0;", out, re.M), out
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
        f"ERROR [ServerError]: migration 0001: {proxy.url}: UpdateItem failed with HTTP 500 (Internal Server Error); "
        "try again, or check the endpoint"]
    assert history_record(client)["status"]["S"] == "failed"
    lock, live = leftovers(client)
    assert (lock, live) == ({}, []), "a failed run releases its lock and every segment lease"

    code, out, err = cli(endpoint, "migrate", "status")
    assert code == 1
    assert "0001  failed" in out

    code, out, err = cli(endpoint, "migrate", "up")
    assert code == 0, err
    assert "partial" not in out
    assert re.search(r"^0001 succeeded: scanned \d+, updated 2000, skipped 0, failed 0, re-read \d+;", out, re.M), out
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
    # Every product scanned once over both runs; the pages the stop left open were re-read, not scanned again.
    assert int(record["scanned"]["N"]) == 20_000
    runs = [{k: v for k, v in run["M"].items()} for run in record["runs"]["L"]]
    assert [r["outcome"]["S"] for r in runs] == ["interrupted", "succeeded"]
    assert sum(int(r["updated"]["N"]) for r in runs) == 20_000
    code, out, _ = cli(own_dynamodb_local, "migrate", "history")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("0001  succeeded  ") and "(all runs: " in lines[0]
    assert [line.split()[4] for line in lines[1:3]] == ["interrupted", "succeeded"], lines
    assert lines[3] == ("      adds up: the runs' sum, updated 20,000, equals the items migrated by the segments' "
                        "count, 20,000")


@pytest.mark.dynamodb_local
@pytest.mark.timeout(600)
def test_sigterm_during_a_backfill_exits_143_and_the_run_stays_resumable(ddb: tuple[Endpoint, Any]) -> None:
    # SIGTERM is what AWS Batch, a spot notice or `kill` send: the run stops as for Ctrl-C, and exits
    # 128 + 15 = 143, as a shell reports a process that SIGTERM ended (130 is SIGINT's 128 + 2).
    endpoint, client = ddb
    load_products(endpoint, 3000)
    history = History(client, HISTORY)
    runner = start_up(endpoint, "--page-size", "50", "--workers", "2")
    wait_for_progress(history, [runner], 300)
    runner.send_signal(signal.SIGTERM)
    out, err = runner.communicate(timeout=60)
    assert runner.returncode == 143, err
    assert "Traceback" not in err
    assert "SIGTERM: stopping after the requests in flight" in out
    assert re.fullmatch(r"ERROR \[Interrupted\]: migration 0001: stopped by SIGTERM during backfill products; "
                        r"scanned [\d,]+, .* in this run; checkpoints saved, leases released; run tables migrate "
                        r"up again to resume", error_lines(err)[-1]), err
    assert history_record(client)["status"]["S"] == "interrupted"
    assert leftovers(client) == ({}, [])
    assert 300 <= count_migrated(client) < 3000

    code, out, err = cli(endpoint, "migrate", "up")
    assert code == 0, err
    assert "0001 succeeded:" in out
    assert_fully_migrated(client, 3000)
    runs = history_record(client)["runs"]["L"]
    assert [run["M"]["outcome"]["S"] for run in runs] == ["interrupted", "succeeded"]
    assert sum(int(run["M"]["updated"]["N"]) for run in runs) == 3000


# --- the write cap -----------------------------------------------------------------------------------------

@pytest.mark.dynamodb_local
def test_the_write_cap_holds_the_rate_and_the_summary_shows_it(ddb: tuple[Endpoint, Any]) -> None:
    endpoint, client = ddb
    load_products(endpoint, 2000)
    started = time.monotonic()
    # Workers pinned: this is about the cap, not about the ramp that finds how many workers reach it.
    code, out, err = cli(endpoint, "migrate", "up", "--max-writes-per-second", "200", "--workers", "16")
    elapsed = time.monotonic() - started
    assert code == 0, err
    assert "write cap: 200 item writes per second (--max-writes-per-second)" in out
    assert elapsed >= 9, f"2,000 writes at 200/s cannot take {elapsed:.1f}s"
    assert elapsed < 120
    match = re.search(r"; 2,000 writes at ([\d,]+)/s \(cap 200/s\);", out)
    assert match, out
    assert 150 <= int(match[1].replace(",", "")) <= 210, out
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


# --- the history is a ledger: every run's counts, summing to the items migrated -----------------------------

def ledger_runs(client: Any) -> dict[str, dict[str, int]]:
    """Each run's counts as its segment ledger entries hold them, read straight from the table."""
    runs: dict[str, dict[str, int]] = {}
    for segment in History(client, HISTORY).segments("0001"):
        for run, counts in (segment.get("ledger") or {}).items():
            mine = runs.setdefault(run, {})
            for name, value in counts.items():
                mine[name] = mine.get(name, 0) + int(value)
    return runs


def record_runs(client: Any) -> list[dict[str, Any]]:
    return [{k: next(iter(v.values())) for k, v in run["M"].items()} for run in history_record(client)["runs"]["L"]]


@pytest.mark.dynamodb_local
def test_a_write_failing_after_150_items_of_a_page_then_a_clean_rerun_adds_up_to_the_items_migrated(
        ddb: tuple[Endpoint, Any]) -> None:
    endpoint, client = ddb
    load_products(endpoint, 1000)
    # One segment, pages of 250: the first page's 10 requests of 25 go through, then 6 of the second
    # page's (150 items), and every later request is an HTTP 500.
    common = ("--total-segments", "1", "--workers", "1", "--page-size", "250", "--write-api", "batch-statement")
    with FaultProxy(endpoint.url, fail_after=("BatchExecuteStatement", PRODUCTS, 16)) as proxy:
        result = subprocess.run([TABLES, "migrate", "up", "--stack", "dev", "--endpoint-url", proxy.url,
                                 "--max-attempts", "1", *common], capture_output=True, text=True, env=CLI_ENV,
                                timeout=300)
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr)[-1].startswith("ERROR [")
    assert count_migrated(client) == 400
    [failed_run] = record_runs(client)
    assert (failed_run["outcome"], int(failed_run["updated"]), int(failed_run["scanned"])) == ("failed", 400, 500)

    code, out, err = cli(endpoint, "migrate", "up", *common)
    assert code == 0, err
    assert count_migrated(client) == 1000
    runs = record_runs(client)
    assert [(r["outcome"], int(r["updated"])) for r in runs] == [("failed", 400), ("succeeded", 600)]
    # The second page was read again: 250 items re-read, not scanned twice.
    assert (int(runs[1]["scanned"]), int(runs[1]["reread"])) == (500, 250)
    assert sum(int(r["updated"]) for r in runs) == count_migrated(client) == int(history_record(client)["updated"]["N"])
    code, out, err = cli(endpoint, "migrate", "history")
    assert code == 0, err
    assert "      adds up: the runs' sum, updated 1,000, equals the items migrated by the segments' count, 1,000" \
           in out.splitlines()


@pytest.mark.dynamodb_local
@pytest.mark.timeout(600)
def test_a_paused_runner_that_lost_its_lease_stops_without_writing_a_record_and_the_history_adds_up(
        ddb: tuple[Endpoint, Any]) -> None:
    endpoint, client = ddb
    load_products(endpoint, 3000)
    history = History(client, HISTORY)
    # Slow enough (a write cap) that both runs are still at it when the paused one wakes up.
    common = ("--lock-lease", "3", "--page-size", "50", "--workers", "2", "--total-segments", "4",
              "--max-writes-per-second", "250")
    first = start_up(endpoint, *common)
    wait_for_progress(history, [first], 300)
    first.send_signal(signal.SIGSTOP)
    try:
        paused = set(ledger_runs(client))
        time.sleep(4.5)  # past its 3 s lease: its heartbeat is stopped with it
        second = start_up(endpoint, *common)
        deadline = time.monotonic() + 60
        # Wake the first run once the second has written items of its own.
        while not any(counts.get("updated", 0) >= 100 for run, counts in ledger_runs(client).items()
                      if run not in paused):
            assert time.monotonic() < deadline and second.poll() is None, second.communicate()
            time.sleep(0.1)
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=60)
    second_out, second_err = second.communicate(timeout=300)
    record = history_record(client)
    winner = record["ranBy"]["S"]
    assert first.returncode == 1, err
    assert error_lines(err) == [f"ERROR [LeaseLost]: lease lost to run {winner}; stopping, nothing of this run's "
                                "records written after it"], err
    assert second.returncode == 0, second_err
    assert "0001 succeeded:" in second_out
    # The record is the second run's alone: the first one wrote no outcome over it.
    assert record["status"]["S"] == "succeeded"
    assert [r["ranBy"] for r in record_runs(client)] == [winner]
    assert_fully_migrated(client, 3000)
    runs = ledger_runs(client)
    assert len(runs) == 2, runs
    assert sum(r["updated"] for r in runs.values()) == 3000 == int(record["updated"]["N"])
    code, out, _ = cli(endpoint, "migrate", "history")
    assert code == 0
    assert "no outcome (died or lost its lease)" in out
    assert "      adds up: the runs' sum, updated 3,000, equals the items migrated by the segments' count, 3,000" \
           in out.splitlines()


# --- a migration that exits or is interrupted never leaves its record running --------------------------------

def migration_variant(tmp_path: Path, in_run: str = "", at_import: str = "") -> Path:
    """0001 with lines added at the start of run() or at the top of the module, in a folder of its own."""
    from tests.project import MIGRATIONS_DIR

    source = (MIGRATIONS_DIR / "0001_multi_creator.py").read_text()
    signature = "def run(ctx: MigrationContext) -> None:\n"
    assert signature in source
    source = source.replace(signature, signature + "".join(f"    {line}\n" for line in in_run.splitlines()))
    source = source.replace("\nID = ", f"\n{at_import}\nID = ", 1)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_multi_creator.py").write_text(source)
    return folder


def test_sigint_before_the_backfill_stops_the_migrations_own_first_write_and_exits_130(
        moto: Endpoint, moto_client: Any, tmp_path: Path) -> None:
    fresh_dev_tables(moto_client)
    load_products(moto, 50)
    # The signal arrives after the run started and before the migration's first write (its default creator).
    folder = migration_variant(tmp_path, in_run="import os, signal\nos.kill(os.getpid(), signal.SIGINT)")
    code, _, err = cli(moto, "migrate", "up", "--migrations", str(folder))
    assert code == 130, err
    assert error_lines(err)[-1] == ("ERROR [Interrupted]: migration 0001: stopped by SIGINT before its "
                                    "TransactWriteItems; nothing written after the stop; run tables migrate up "
                                    "again to resume")
    assert moto_client.scan(TableName=CREATORS)["Items"] == [], "the default creator was not written"
    assert count_migrated(moto_client) == 0
    assert history_record(moto_client)["status"]["S"] == "interrupted"
    assert leftovers(moto_client) == ({}, [])


@pytest.mark.parametrize(("in_run", "at_import", "code", "line", "status"), [
    ("import sys\nsys.exit(0)", "", 2,
     "ERROR [MigrationExited]: migration 0001: run() called sys.exit(0); a migration returns when it is done and "
     "raises to fail; recorded as failed", "failed"),
    ("raise SystemExit('done early')", "", 2,
     "ERROR [MigrationExited]: migration 0001: run() called sys.exit('done early'); a migration returns when it is "
     "done and raises to fail; recorded as failed", "failed"),
    ("raise KeyboardInterrupt", "", 130,
     "ERROR [Interrupted]: migration 0001: interrupted (KeyboardInterrupt in the migration); checkpoints saved; run "
     "tables migrate up again to resume", "interrupted"),
    ("", "import sys\nsys.exit(0)", 2,
     "ERROR [InvalidMigration]: {folder}/0001_multi_creator.py: sys.exit(0) while being imported; a migration module "
     "only defines ID, DESCRIPTION and run(ctx)", None),
])
def test_a_migration_that_exits_ends_its_record_failed_or_interrupted_and_up_exits_non_zero(
        moto: Endpoint, moto_client: Any, tmp_path: Path, in_run: str, at_import: str, code: int, line: str,
        status: str | None) -> None:
    fresh_dev_tables(moto_client)
    load_products(moto, 20)
    folder = migration_variant(tmp_path, in_run=in_run, at_import=at_import)
    exit_code, _, err = cli(moto, "migrate", "up", "--migrations", str(folder))
    assert exit_code == code, err
    assert error_lines(err) == [line.format(folder=folder)]
    records = [i for i in moto_client.scan(TableName=HISTORY)["Items"] if i["sk"]["S"] == "RECORD"]
    assert [r["status"]["S"] for r in records] == ([status] if status else []), "never left running"
    assert count_migrated(moto_client) == 0


def test_history_that_does_not_add_up_fails_loudly(moto: Endpoint, moto_client: Any) -> None:
    fresh_dev_tables(moto_client)
    # A record and one segment whose count says 10 products were updated, while the only run's ledger
    # entry says 8: two writes nobody kept.
    moto_client.put_item(TableName=HISTORY, Item={
        "pk": {"S": "0001"}, "sk": {"S": "RECORD"}, "status": {"S": "succeeded"}, "checksum": {"S": "x"},
        "runs": {"L": []}})
    counts = {"scanned": 10, "updated": 10, "skipped": 0, "failed": 0, "reread": 0}
    moto_client.put_item(TableName=HISTORY, Item={
        "pk": {"S": "0001"}, "sk": {"S": "SEGMENT#products#00000"}, "done": {"BOOL": True},
        **{name: {"N": str(value)} for name, value in counts.items()},
        "ledger": {"M": {"ci@runner:1/abc": {"M": {**{n: {"N": str(v)} for n, v in counts.items()},
                                                    "updated": {"N": "8"}}}}}})
    code, out, err = cli(moto, "migrate", "history")
    assert code == 1
    assert "no outcome (died or lost its lease)" in out
    assert error_lines(err) == [
        "ERROR [HistoryMismatch]: migration 0001: the runs' counts sum to scanned 10, updated 8, skipped 0, failed "
        "0, re-read 0 but the segments count scanned 10, updated 10, skipped 0, failed 0, re-read 0; a run wrote "
        "counts it did not keep: report it with tables migrate history --json"]
