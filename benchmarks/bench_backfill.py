"""Backfill products on DynamoDB Local: the engine side by side with the scripts it replaces.

Run from the project root:
    PYTHONPATH=. venv/bin/python benchmarks/bench_backfill.py [--products 20000] [--latency-ms 0,5] [--runs 3]

Approaches, each against a freshly loaded products table, in one run:
- team script: the creator platform's migrateToMultiCreator.ts: scan page by page, then one UpdateItem per
  product, one at a time, unconditional;
- unconditional writer: what the usual open-source migration tool for a Node team does: a sequential Scan
  of 25 whole items a page, each page written back with one BatchWriteItem of whole-item PutRequests, no
  condition, UnprocessedItems not retried. It can overwrite a concurrent change and resurrect a deleted item;
- engine: `tables migrate up` (migration 0001) in-process, with a client built as the command builds it, and
  its defaults unless the approach names options (`engine/workers=4/api=update-item`);
- raw UpdateItem / raw BatchExecuteStatement: the endpoint's write rate with 16 client threads and nothing
  else (no scan, no conditions, no checkpoints).

Latency is added the same way for every approach: each client sleeps before sending each request (a
botocore before-send hook). A sleep costs no CPU, so on this 2-core machine it does not take CPU from the
endpoint or the client as a proxy process would. AWS in-region round trips are about 5 ms.

Fairness: one DynamoDB Local for the whole run, warmed up first (its JIT compiles the hot paths during the
first tens of thousands of requests); the order of the approaches rotates from run to run; medians reported.
For each approach: wall time, client CPU (this process's CPU time over the run, all threads) and endpoint CPU
(the Java process's user+system time from /proc), each per 1,000 products.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from components.families import plan_from_stack_file
from scripts import local_endpoint
from scripts.aws import Connection
from scripts.create_tables import create_tables
from scripts.migrate.backfill import BackfillOptions
from scripts.migrate.history import History
from scripts.migrate.registry import discover
from scripts.migrate.runner import RunOptions, up
from scripts.schema_files import declared_schema
from tests.project import MIGRATIONS_DIR, PROJECT, PROJECT_DIR

PLANS = plan_from_stack_file(PROJECT_DIR, "dev")
NAMES = {(p.family, p.spec.key): p.name for p in PLANS}
PRODUCTS = NAMES[("creator-platform", "products")]
HISTORY = NAMES[("migration-history", "migrations")]
RAW_CLIENTS = 16
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def add_latency(client: Any, seconds: float) -> Any:
    """Sleep before every request this client sends (each retry too), as a network round trip would."""
    if seconds:
        def wait(**_: Any) -> None:
            time.sleep(seconds)  # returning None lets botocore send the request
        client.meta.events.register("before-send.dynamodb", wait)
    return client


def plain_client(url: str, latency: float, pool: int = 10) -> Any:
    """A script's client: boto3 defaults, except no client-side validation (the engine skips it too)."""
    config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=pool,
                    parameter_validation=False)
    return add_latency(boto3.client("dynamodb", endpoint_url=url, config=config, **local_endpoint.LOCAL_CREDENTIALS),
                       latency)


def engine_client(url: str, latency: float, workers: int) -> Any:
    """The client `tables migrate up` builds (scripts/commands/migrate.py), with its default retry settings."""
    # As `tables ... --local` does: local engines take any credentials.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", local_endpoint.LOCAL_CREDENTIALS["aws_access_key_id"])
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", local_endpoint.LOCAL_CREDENTIALS["aws_secret_access_key"])
    client = Connection(endpoint_url=url, region=local_endpoint.LOCAL_CREDENTIALS["region_name"],
                        retry_mode="adaptive", max_attempts=10).client(max_pool_connections=workers + 4,
                                                                       parameter_validation=False)
    return add_latency(client, latency)


def endpoint_cpu(pid: int) -> float:
    """User+system CPU seconds of the endpoint process (and of its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


# --- loading ----------------------------------------------------------------------------------------


def reset(url: str, products: int) -> None:
    direct = plain_client(url, 0.0)
    for name in direct.list_tables()["TableNames"]:
        direct.delete_table(TableName=name)
    create_tables(direct, [declared_schema(p) for p in PLANS])
    load(url, products)


def load(url: str, products: int, threads: int = 8) -> None:
    resource = boto3.resource("dynamodb", endpoint_url=url, config=Config(max_pool_connections=threads + 2),
                              **local_endpoint.LOCAL_CREDENTIALS)
    table = resource.Table(PRODUCTS)

    def put(first: int) -> None:
        with table.batch_writer() as batch:
            for i in range(first, products, threads):
                batch.put_item(Item={"id": f"product-{i:07d}", "title": f"Product {i}",
                                     "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"})
    workers = [threading.Thread(target=put, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


# --- the approaches -----------------------------------------------------------------------------------


def team_script(url: str, latency: float) -> int:
    """As migrateToMultiCreator.ts: scan, then update each product in turn (no condition, no concurrency)."""
    dynamo = plain_client(url, latency)
    updated = 0
    for page in dynamo.get_paginator("scan").paginate(TableName=PRODUCTS):
        for item in page["Items"]:
            if "creatorId" in item:
                continue
            dynamo.update_item(TableName=PRODUCTS, Key={"id": item["id"]},
                               UpdateExpression="SET creatorId = :c, featured = :f, #s = :s, updatedAt = :u",
                               ExpressionAttributeNames={"#s": "status"},
                               ExpressionAttributeValues={":c": {"S": "bench-creator"}, ":f": {"BOOL": False},
                                                          ":s": {"S": "approved"}, ":u": {"S": "2026-11-23T00:00:00Z"}})
            updated += 1
    return updated


def unconditional_writer(url: str, latency: float) -> int:
    """Sequential Scan, 25 whole items a page; each page put back whole with one unconditional BatchWriteItem."""
    dynamo = plain_client(url, latency)
    written = 0
    for page in dynamo.get_paginator("scan").paginate(TableName=PRODUCTS, PaginationConfig={"PageSize": 25}):
        puts = []
        for item in page["Items"]:
            if "creatorId" in item:
                continue
            item = {**item, "creatorId": {"S": "bench-creator"}, "updatedAt": {"S": "2026-11-23T00:00:00Z"}}
            item.setdefault("featured", {"BOOL": False})
            item.setdefault("status", {"S": "approved"})
            puts.append({"PutRequest": {"Item": item}})
        if puts:
            response = dynamo.batch_write_item(RequestItems={PRODUCTS: puts})
            written += len(puts) - len(response.get("UnprocessedItems", {}).get(PRODUCTS, []))  # not retried
    return written


def engine(url: str, latency: float, **overrides: Any) -> int:
    options = BackfillOptions(**overrides)
    dynamo = engine_client(url, latency, options.workers)
    run = RunOptions(backfill=options, log=lambda m: None)
    [result] = up(dynamo, PLANS, History(dynamo, HISTORY), discover(MIGRATIONS_DIR), run)
    assert result.outcome == "succeeded", result
    return result.counts["updated"]


def raw(url: str, latency: float, products: int, batched: bool) -> int:
    """Update every product with RAW_CLIENTS threads: no scan, no conditions, no checkpoints."""
    dynamo = plain_client(url, latency, pool=RAW_CLIENTS + 4)

    def update(start: int) -> None:
        for i in range(start, products, RAW_CLIENTS):
            dynamo.update_item(TableName=PRODUCTS, Key={"id": {"S": f"product-{i:07d}"}},
                               UpdateExpression="SET creatorId = :c", ExpressionAttributeValues={":c": {"S": "raw"}})

    def update_batched(start: int) -> None:
        ids = [f"product-{i:07d}" for i in range(start, products, RAW_CLIENTS)]
        for first in range(0, len(ids), 25):
            statements = [{"Statement": f'UPDATE "{PRODUCTS}" SET "creatorId"=? WHERE "id"=?',
                           "Parameters": [{"S": "raw"}, {"S": product}]} for product in ids[first:first + 25]]
            answers = dynamo.batch_execute_statement(Statements=statements)["Responses"]
            assert not [a for a in answers if "Error" in a], answers
    threads = [threading.Thread(target=update_batched if batched else update, args=(w,)) for w in range(RAW_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return products


ENGINE_OPTIONS = {"workers": ("workers", int), "segments": ("total_segments", int), "page": ("page_size", int),
                  "api": ("write_api", str)}


def approach(name: str, products: int) -> Callable[[str, float], int]:
    """An approach by name; `engine/workers=4/segments=16/page=250/api=update-item` sets engine options."""
    base, *settings = name.split("/")
    if base == "engine":
        overrides = {}
        for setting in settings:
            key, _, value = setting.partition("=")
            field, kind = ENGINE_OPTIONS[key]
            overrides[field] = kind(value)
        if "workers" in overrides and "total_segments" not in overrides:
            overrides["total_segments"] = overrides["workers"]
        return lambda url, latency: engine(url, latency, **overrides)
    if settings:
        raise SystemExit(f"{base} takes no options")
    return {"team": lambda url, latency: team_script(url, latency),
            "unconditional": lambda url, latency: unconditional_writer(url, latency),
            "raw-update-item": lambda url, latency: raw(url, latency, products, batched=False),
            "raw-batch-statement": lambda url, latency: raw(url, latency, products, batched=True)}[base]


LABELS = {"team": "team script (sequential UpdateItem)",
          "unconditional": "unconditional writer (Scan 25 + BatchWriteItem)",
          "engine": "engine (its defaults)",
          "raw-update-item": f"raw UpdateItem ({RAW_CLIENTS} clients)",
          "raw-batch-statement": f"raw BatchExecuteStatement ({RAW_CLIENTS} clients)"}


@dataclass
class Measurement:
    seconds: float
    client_cpu: float
    endpoint_cpu: float
    items: int


def measure(run: Callable[[], int], endpoint_pid: int) -> Measurement:
    wall, cpu, java = time.perf_counter(), time.process_time(), endpoint_cpu(endpoint_pid)
    items = run()
    return Measurement(time.perf_counter() - wall, time.process_time() - cpu, endpoint_cpu(endpoint_pid) - java, items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--latency-ms", default="0,5", help="comma-separated added latencies (default 0,5)")
    parser.add_argument("--runs", type=int, default=3, help="runs per approach and latency; medians reported")
    parser.add_argument("--approaches", default="team,unconditional,engine,raw-update-item,raw-batch-statement")
    parser.add_argument("--warm-up", type=int, default=1,
                        help="unmeasured passes of the engine and of the unconditional writer first")
    args = parser.parse_args()
    names = args.approaches.split(",")
    latencies = [float(ms) / 1000 for ms in args.latency_ms.split(",")]

    endpoint = local_endpoint.start(PROJECT, "dynamodb-local", port=0, record=False)
    results: dict[tuple[float, str], list[Measurement]] = {}
    try:
        for _ in range(args.warm_up):
            for name in ("engine", "engine/api=transact", "unconditional"):
                reset(endpoint.url, args.products)
                approach(name, args.products)(endpoint.url, 0.0)
        for latency in latencies:
            for run in range(args.runs):
                shift = run % len(names)  # rotate the order so no approach always follows the same one
                for name in names[shift:] + names[:shift]:
                    reset(endpoint.url, args.products)
                    run_it = approach(name, args.products)
                    m = measure(lambda: run_it(endpoint.url, latency), endpoint.pid)  # noqa: B023 (called at once)
                    assert m.items == args.products, (name, m.items)
                    results.setdefault((latency, name), []).append(m)
                    print(f"{latency * 1000:g} ms  run {run + 1}  {name:<32} {m.seconds:7.2f}s "
                          f"{m.items / m.seconds:7.0f} items/s  client CPU {m.client_cpu:6.2f}s  "
                          f"endpoint CPU {m.endpoint_cpu:6.2f}s", file=sys.stderr, flush=True)
    finally:
        local_endpoint.stop(endpoint)
    report(results, names, latencies, args.products)


def report(results: dict[tuple[float, str], list[Measurement]], names: list[str], latencies: list[float],
           products: int) -> None:
    per_k = 1000 / products
    print(f"{products:,} products, median of {len(next(iter(results.values())))} runs each\n")
    print("| added latency | approach | seconds (median) | items/s | client CPU s / 1,000 | endpoint CPU s / 1,000 |")
    print("|---|---|---|---|---|---|")
    medians: dict[tuple[float, str], float] = {}
    for latency in latencies:
        for name in names:
            runs = results[(latency, name)]
            seconds = medians[(latency, name)] = statistics.median(m.seconds for m in runs)
            print(f"| {latency * 1000:g} ms | {LABELS.get(name, name)} | {seconds:.2f} | {products / seconds:,.0f} | "
                  f"{statistics.median(m.client_cpu for m in runs) * per_k:.3f} | "
                  f"{statistics.median(m.endpoint_cpu for m in runs) * per_k:.3f} |")
    reference = "unconditional" if "unconditional" in names else names[0]
    for latency in latencies:
        ratios = ", ".join(f"{name} {medians[(latency, reference)] / medians[(latency, name)]:.2f}x"
                           for name in names if name != reference)
        print(f"\n{latency * 1000:g} ms, speed relative to {reference} (above 1: faster): {ratios}")


if __name__ == "__main__":
    main()
