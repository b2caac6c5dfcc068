"""`tables plan` against `tables drift` for the same 100 live tables, side by side in one run.

Run from the project root:
    PYTHONPATH=. venv/bin/python benchmarks/bench_plan.py [--tables 100] [--runs 5] [--engine moto]

One endpoint, 100 tables created once (the dev stack's 22 repeated under distinct names, as in
bench_tables.py); then drift and plan alternate run by run, so both see the same machine load.
`plan` does drift's reads and comparison, then classifies each difference; for tables it cannot
find it also lists the endpoint's tables to recognise renames. Two cases:
- in sync: every table matches the model (the common case before a deploy);
- changed: every table's owner tag differs, so every table has a difference to classify.
Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from typing import Any

from components.families import plan_from_stack_file
from components.model.plan import TablePlan
from scripts import local_endpoint
from scripts.change_plan import plan_changes
from scripts.create_tables import create_tables
from scripts.drift import detect_drift
from scripts.schema_files import declared_schema
from tests.project import PROJECT, PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "benchmarks"))
from bench_tables import client  # the benchmarks' shared client settings


def plans(count: int) -> list[TablePlan]:
    dev = plan_from_stack_file(PROJECT_DIR, "dev")
    return [replace(dev[i % len(dev)], name=f"bench-{i:03d}-{dev[i % len(dev)].name}") for i in range(count)]


def timed(run: Any) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine", choices=local_endpoint.ENGINES, default="moto")
    args = parser.parse_args()
    declared = plans(args.tables)
    schemas = [declared_schema(p) for p in declared]

    endpoint = local_endpoint.start(PROJECT, args.engine, port=0, record=False)
    rows = []
    try:
        dynamo = client(endpoint.url)
        create_tables(dynamo, schemas)
        for case in ("in sync", "changed"):
            if case == "changed":
                for table in declared:
                    arn = dynamo.describe_table(TableName=table.name)["Table"]["TableArn"]
                    dynamo.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "someone-else"}])
            expected = {"in sync": {"in-sync"}, "changed": {"drift"}}[case]
            in_sync = case == "in sync"

            def drift(expected: set[str] = expected) -> None:
                _check({r.state for r in detect_drift(dynamo, schemas)} == expected)

            def plan(in_sync: bool = in_sync) -> None:
                _check((plan_changes(dynamo, declared, "dev", endpoint.url).exit_code() == 0) == in_sync)

            times: dict[str, list[float]] = {"tables drift": [], "tables plan": []}
            for _ in range(args.runs):
                times["tables drift"].append(timed(drift))
                times["tables plan"].append(timed(plan))
            for approach, seconds in times.items():
                rows.append((case, approach, statistics.median(seconds), min(seconds)))
                print(f"{case:<8} {approach:<13} median {statistics.median(seconds):.2f}s", file=sys.stderr)
    finally:
        local_endpoint.stop(endpoint)
    print(f"{args.tables} tables on {args.engine}, {args.runs} runs each, alternating\n")
    print("| tables | approach | median s | fastest s | tables/s (median) |\n|---|---|---|---|---|")
    for case, approach, median, fastest in rows:
        print(f"| {case} | {approach} | {median:.2f} | {fastest:.2f} | {args.tables / median:.1f} |")
    for case in ("in sync", "changed"):
        drift, plan = (r[2] for r in rows if r[0] == case)
        print(f"\n{case}: plan takes {plan / drift:.2f}x drift's time", end="")
    print()


def _check(ok: bool) -> None:
    if not ok:
        raise SystemExit("the benchmark's tables are not in the state it expects")


if __name__ == "__main__":
    main()
