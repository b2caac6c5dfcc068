"""`tables create` and `tables drift` for 100 tables against the local endpoint (moto).

Run from the project root:
    PYTHONPATH=. venv/bin/python benchmarks/bench_tables.py [--tables 100] [--engine moto|dynamodb-local]

Side by side in one run, on a fresh endpoint each time:
- create: our create_tables (8 tables at once) vs the same create_one called table after table,
  which is what the construction-expenses team's create-dynamodb-tables.sh did (create, wait, TTL, PITR, per table);
- drift: our detect_drift (8 tables at once) vs table_drift called table after table.
The 100 tables are the dev stack's 22, repeated under distinct names. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from typing import Any

import boto3
from botocore.config import Config

from components.families import plan_from_stack_file
from scripts import local_endpoint
from scripts.create_tables import create_one, create_tables
from scripts.drift import detect_drift, table_drift
from scripts.schema_files import TableSchema, declared_schema
from tests.project import PROJECT, PROJECT_DIR

SEQUENTIAL = "table after table (the construction-expenses team's script)"


def schemas(count: int) -> list[TableSchema]:
    plans = plan_from_stack_file(PROJECT_DIR, "dev")
    return [declared_schema(replace(plans[i % len(plans)], name=f"bench-{i:03d}-{plans[i % len(plans)].name}"))
            for i in range(count)]


def client(url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, config=Config(max_pool_connections=16,
                                                                    retries={"mode": "standard"}),
                        **local_endpoint.LOCAL_CREDENTIALS)


def measure(engine: str, label: str, prepare: Any, run: Any) -> float:
    endpoint = local_endpoint.start(PROJECT, engine, port=0, record=False)
    try:
        dynamo = client(endpoint.url)
        prepare(dynamo)
        started = time.perf_counter()
        run(dynamo)
        seconds = time.perf_counter() - started
    finally:
        local_endpoint.stop(endpoint)
    print(f"{label:<40} {seconds:8.2f}s", file=sys.stderr, flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--engine", choices=local_endpoint.ENGINES, default="moto")
    args = parser.parse_args()
    tables = schemas(args.tables)

    def nothing(_: Any) -> None:
        pass

    def create_all(dynamo: Any) -> None:
        assert {r.result for r in create_tables(dynamo, tables)} == {"created"}

    def create_sequentially(dynamo: Any) -> None:
        assert {create_one(dynamo, t).result for t in tables} == {"created"}

    def drift_all(dynamo: Any) -> None:
        assert {r.state for r in detect_drift(dynamo, tables)} == {"in-sync"}

    def drift_sequentially(dynamo: Any) -> None:
        assert {table_drift(dynamo, t).state for t in tables} == {"in-sync"}

    rows = [
        ("create", SEQUENTIAL, measure(args.engine, "create sequential", nothing,
                                                                   create_sequentially)),
        ("create", "tables create (8 at once)", measure(args.engine, "create parallel", nothing, create_all)),
        ("drift", "table after table", measure(args.engine, "drift sequential", create_all, drift_sequentially)),
        ("drift", "tables drift (8 at once)", measure(args.engine, "drift parallel", create_all, drift_all)),
    ]
    print(f"{args.tables} tables on {args.engine}\n\n| step | approach | seconds | tables/s |\n|---|---|---|---|")
    for step, approach, seconds in rows:
        print(f"| {step} | {approach} | {seconds:.2f} | {args.tables / seconds:.1f} |")
    print(f"\ncreate: {rows[0][2] / rows[1][2]:.1f}x faster than table after table; "
          f"drift: {rows[2][2] / rows[3][2]:.1f}x")


if __name__ == "__main__":
    main()
