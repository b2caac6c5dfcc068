"""Capacity units per migrated item on DynamoDB Local: the engine, the unconditional writer, the least possible.

Run from the project root:
    PYTHONPATH=. venv/bin/python benchmarks/bench_capacity.py [--products 5000]

Capacity is what the endpoint reports with ReturnConsumedCapacity=TOTAL on every call, each approach
against a freshly loaded products table:
- unconditional writer: a Scan of whole items, 25 a page, and each page put back whole by one BatchWriteItem;
- engine: `tables migrate up` (migration 0001) in-process, with its defaults and `--write-api update-item`:
  DynamoDB Local reports no capacity for BatchExecuteStatement, and on AWS a PartiQL UPDATE costs what
  the same UpdateItem costs (one write unit per KB of the item written, at least one). Its figures add the
  runner's own records (checkpoints, ledger, lease and lock: transactional writes, twice the units) and the
  migration's verification (a second full scan of the table, and one consistent GetItem);
- least possible: one read of every item (the writer's scan: eventually consistent, half a unit per 4 KB)
  and one write unit per item of up to 1 KB.
"""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.bench_backfill import Units, at_least, reset, unconditional_writer
from benchmarks.engine_worker import LAST_RESULT, run_engine
from scripts import local_endpoint
from tests.project import PROJECT, PROJECT_DIR


def writer_units(url: str) -> tuple[float, float, int]:
    """The unconditional writer's read and write units, and the items it wrote."""
    units = Units()
    written = unconditional_writer(url, 0.0, units)
    return units.read, units.write, written


def engine_units(url: str) -> dict[str, Any]:
    items = run_engine(PROJECT_DIR, url, 0.0, write_api="update-item")
    [result] = LAST_RESULT
    return {"items": items, "read": result.capacity.read, "write": result.capacity.write,
            "records_read": result.record_capacity.read, "records_write": result.record_capacity.write}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=at_least(1), default=5000)
    args = parser.parse_args()
    endpoint = local_endpoint.start(PROJECT, "dynamodb-local", port=0, record=False)
    try:
        reset(endpoint.url, args.products)
        read, write, written = writer_units(endpoint.url)
        assert written == args.products, written
        reset(endpoint.url, args.products)
        engine = engine_units(endpoint.url)
        assert engine["items"] == args.products, engine
    finally:
        local_endpoint.stop(endpoint)
    n = args.products
    rows = [
        ("unconditional writer", read / n, write / n, 0.0),
        ("engine (items: scan, writes, verification)", engine["read"] / n, engine["write"] / n, 0.0),
        ("engine (the runner's records)", engine["records_read"] / n, engine["records_write"] / n, 0.0),
        ("engine, all", (engine["read"] + engine["records_read"]) / n,
         (engine["write"] + engine["records_write"]) / n, 0.0),
        ("least possible", read / n, 1.0, 0.0),
    ]
    print(f"capacity units per migrated item, {n:,} products, DynamoDB Local")
    print("| approach | read | write | total |")
    print("|---|---|---|---|")
    for name, r, w, _ in rows:
        print(f"| {name} | {r:.3f} | {w:.3f} | {r + w:.3f} |")
    engine_total = engine["read"] + engine["records_read"] + engine["write"] + engine["records_write"]
    print(f"engine (all) / writer, total units: {engine_total / (read + write):.3f}x")


if __name__ == "__main__":
    main()
