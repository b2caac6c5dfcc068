"""Backfill 20,000 products on DynamoDB Local: the team's sequential script vs our engine vs the raw rate.

Run from the project root (it shares tests/fault_proxy.py with the tests):
    PYTHONPATH=. venv/bin/python benchmarks/bench_backfill.py [--products 20000] [--workers 16] [--latency-ms 5]

Side by side in one run, each against a freshly loaded products table:
- team script: the creator platform's migrateToMultiCreator.ts: scan every product page by page, then one UpdateItem
  per product, one at a time;
- engine: `tables migrate up` (migration 0001) with --workers parallel segments, writing 25
  conditional statements per BatchExecuteStatement request (its default);
- engine (update-item): the same, one conditional UpdateItem per product;
- raw UpdateItem: the endpoint's UpdateItem rate with --workers parallel clients and nothing else
  (no scan, no conditions, no checkpoints), the ceiling for any backfill that writes item by item;
- raw BatchExecuteStatement: the same with 25 unconditional UPDATE statements per request, the
  ceiling for a batched backfill.
Each with no added latency, and through tests/fault_proxy.py (in its own process) adding a fixed
per-request delay (AWS in-region round trips are about 5 ms). Same boto3 client settings for all.
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config

from components.families import plan_from_stack_file
from scripts import local_endpoint
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


def client(url: str, pool: int = 64) -> Any:
    # The same client settings for all three approaches, and the ones `tables migrate` uses.
    config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=pool,
                    parameter_validation=False)
    return boto3.client("dynamodb", endpoint_url=url, config=config, **local_endpoint.LOCAL_CREDENTIALS)


@contextmanager
def latency_proxy(target: str, latency_ms: float) -> Iterator[str]:
    """tests/fault_proxy.py in its own process, adding latency_ms to every request."""
    if not latency_ms:
        yield target
        return
    process = subprocess.Popen([sys.executable, "-m", "tests.fault_proxy", target, "--latency-ms", str(latency_ms)],
                               stdout=subprocess.PIPE, text=True, cwd=PROJECT_DIR)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait()


def reset(direct: Any, url: str, products: int) -> None:
    for name in direct.list_tables()["TableNames"]:
        direct.delete_table(TableName=name)
    create_tables(direct, [declared_schema(p) for p in PLANS])
    table = boto3.resource("dynamodb", endpoint_url=url, **local_endpoint.LOCAL_CREDENTIALS).Table(PRODUCTS)

    def load(start: int, stop: int) -> None:
        with table.batch_writer() as batch:
            for i in range(start, stop):
                batch.put_item(Item={"id": f"product-{i:06d}", "title": f"Product {i}",
                                     "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"})
    step = products // 8
    threads = [threading.Thread(target=load, args=(s, min(s + step, products))) for s in range(0, products, step)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def seed_approach(url: str) -> int:
    """As migrateToMultiCreator.ts: scan, then update each product in turn (no condition, no concurrency)."""
    dynamo = client(url, pool=2)
    creator_id = "bench-creator"
    updated = 0
    for page in dynamo.get_paginator("scan").paginate(TableName=PRODUCTS):
        for item in page["Items"]:
            if "creatorId" in item:
                continue
            dynamo.update_item(TableName=PRODUCTS, Key={"id": item["id"]},
                               UpdateExpression="SET creatorId = :c, featured = :f, #s = :s, updatedAt = :u",
                               ExpressionAttributeNames={"#s": "status"},
                               ExpressionAttributeValues={":c": {"S": creator_id}, ":f": {"BOOL": False},
                                                          ":s": {"S": "approved"}, ":u": {"S": "2026-11-23T00:00:00Z"}})
            updated += 1
    return updated


def engine(url: str, workers: int, write_api: str) -> int:
    dynamo = client(url, pool=workers + 4)
    options = RunOptions(backfill=BackfillOptions(total_segments=workers, workers=workers, write_api=write_api),
                         log=lambda m: None)
    [result] = up(dynamo, PLANS, History(dynamo, HISTORY), discover(MIGRATIONS_DIR), options)
    assert result.outcome == "succeeded", result
    return result.counts["updated"]


def raw(url: str, workers: int, products: int, batched: bool) -> int:
    """Update every product with `workers` threads: no scan, no conditions, no checkpoints."""
    dynamo = client(url, pool=workers + 4)

    def update(start: int) -> None:
        for i in range(start, products, workers):
            dynamo.update_item(TableName=PRODUCTS, Key={"id": {"S": f"product-{i:06d}"}},
                               UpdateExpression="SET creatorId = :c", ExpressionAttributeValues={":c": {"S": "raw"}})

    def update_batched(start: int) -> None:
        ids = [f"product-{i:06d}" for i in range(start, products, workers)]
        for first in range(0, len(ids), 25):
            statements = [{"Statement": f'UPDATE "{PRODUCTS}" SET "creatorId"=? WHERE "id"=?',
                           "Parameters": [{"S": "raw"}, {"S": product}]} for product in ids[first:first + 25]]
            answers = dynamo.batch_execute_statement(Statements=statements)["Responses"]
            assert not [a for a in answers if "Error" in a], answers
    threads = [threading.Thread(target=update_batched if batched else update, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return products


def approaches(url: str, workers: int, products: int) -> list[tuple[str, Callable[[], int]]]:
    return [("team script (sequential)", lambda: seed_approach(url)),
            (f"engine ({workers} segments)", lambda: engine(url, workers, "batch-statement")),
            (f"engine, update-item ({workers} segments)", lambda: engine(url, workers, "update-item")),
            (f"raw UpdateItem ({workers} clients)", lambda: raw(url, workers, products, batched=False)),
            (f"raw BatchExecuteStatement ({workers} clients)", lambda: raw(url, workers, products, batched=True))]


def timed(label: str, run: Callable[[], int]) -> tuple[str, float, int]:
    started = time.perf_counter()
    count = run()
    return label, time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    args = parser.parse_args()

    endpoint = local_endpoint.start(PROJECT, "dynamodb-local", port=0, record=False)
    rows: list[tuple[str, str, float, int]] = []
    try:
        direct = client(endpoint.url)
        for latency in (0.0, args.latency_ms / 1000):
            with latency_proxy(endpoint.url, latency * 1000) as url:
                for label, run in approaches(url, args.workers, args.products):
                    reset(direct, endpoint.url, args.products)
                    name, seconds, count = timed(label, run)
                    assert count == args.products, (name, count)
                    rows.append((f"{latency * 1000:g} ms", name, seconds, count))
                    print(f"{latency * 1000:g} ms  {name:<44} {seconds:8.2f}s  {count / seconds:8.0f} items/s",
                          file=sys.stderr, flush=True)
    finally:
        local_endpoint.stop(endpoint)

    print("| added latency | approach | seconds | items/s |\n|---|---|---|---|")
    for latency, name, seconds, count in rows:
        print(f"| {latency} | {name} | {seconds:.2f} | {count / seconds:,.0f} |")
    for latency in sorted({r[0] for r in rows}):
        seed, ours, ours_single, raw_single, raw_batched = (r[2] for r in rows if r[0] == latency)
        print(f"\n{latency}: engine vs team script {seed / ours:.1f}x; engine at {raw_single / ours:.0%} of the "
              f"raw parallel UpdateItem rate and {raw_batched / ours:.0%} of the raw batched rate; "
              f"engine with update-item {seed / ours_single:.1f}x the team script, "
              f"at {raw_single / ours_single:.0%} of the raw UpdateItem rate")


if __name__ == "__main__":
    main()
