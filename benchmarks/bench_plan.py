"""`tables plan` and `tables drift` for 100 live tables: this tree beside an earlier commit, in one run.

Run from the project root:
    PYTHONPATH=. venv/bin/python benchmarks/bench_plan.py [--tables 100] [--runs 5] [--engine moto]
                                                          [--baseline 197b64c]

One endpoint, 100 tables created once (the dev stack's 22 repeated under distinct names, as in
bench_tables.py). The baseline commit's code is extracted with `git archive` into a temporary folder;
each run then times drift and plan once in a fresh interpreter per tree, trees alternating run by run,
so both see the same machine load (only the calls are timed, not the interpreter's start-up). Two cases:
- in sync: every table matches the model (the common case before a deploy);
- changed: every table's owner tag differs, so every table has a difference to classify.
Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import replace
from io import BytesIO
from pathlib import Path

from components.families import plan_from_stack_file
from components.model.plan import TablePlan
from scripts import local_endpoint
from scripts.create_tables import create_tables
from scripts.schema_files import declared_schema
from tests.project import PROJECT, PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "benchmarks"))
from bench_tables import client  # the benchmarks' shared client settings

# Runs inside each tree's interpreter: only names both trees have (plan_changes, detect_drift, declared_schema).
WORKER = """
import json, sys, time
from dataclasses import replace
from pathlib import Path
from components.families import plan_from_stack_file
from scripts.change_plan import plan_changes
from scripts.drift import detect_drift
from scripts.local_endpoint import local_client
from scripts.schema_files import declared_schema

url, count, project = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
dev = plan_from_stack_file(project, "dev")
plans = [replace(dev[i % len(dev)], name=f"bench-{i:03d}-{dev[i % len(dev)].name}") for i in range(count)]
schemas = [declared_schema(p) for p in plans]
dynamo = local_client(url)
detect_drift(dynamo, schemas[:1])  # warm up: botocore loads its models and opens connections on first use
started = time.perf_counter()
states = sorted({r.state for r in detect_drift(dynamo, schemas)})
drift = time.perf_counter() - started
started = time.perf_counter()
code = plan_changes(dynamo, plans, "dev", url).exit_code()
plan = time.perf_counter() - started
print(json.dumps({"drift": drift, "plan": plan, "states": states, "exit": code}))
"""


def plans(count: int) -> list[TablePlan]:
    dev = plan_from_stack_file(PROJECT_DIR, "dev")
    return [replace(dev[i % len(dev)], name=f"bench-{i:03d}-{dev[i % len(dev)].name}") for i in range(count)]


def extract(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", revision], cwd=PROJECT_DIR, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def measure(tree: Path, url: str, count: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", WORKER, url, str(count), str(tree)], cwd=tree, env=env,
                          check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine", choices=local_endpoint.ENGINES, default="moto")
    parser.add_argument("--baseline", default="197b64c", help="the commit to compare with (default: 197b64c)")
    args = parser.parse_args()
    declared = plans(args.tables)

    endpoint = local_endpoint.start(PROJECT, args.engine, port=0, record=False)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        trees = {args.baseline: extract(args.baseline, Path(folder) / "baseline"), "this tree": PROJECT_DIR}
        try:
            dynamo = client(endpoint.url)
            create_tables(dynamo, [declared_schema(p) for p in declared])
            for case in ("in sync", "changed"):
                if case == "changed":
                    for table in declared:
                        arn = dynamo.describe_table(TableName=table.name)["Table"]["TableArn"]
                        dynamo.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "someone-else"}])
                times: dict[tuple[str, str], list[float]] = {}
                for _ in range(args.runs):
                    for tree_name, tree in trees.items():
                        result = measure(tree, endpoint.url, args.tables)
                        _check(result["states"] == (["in-sync"] if case == "in sync" else ["drift"]))
                        _check((result["exit"] == 0) == (case == "in sync"))
                        for command in ("drift", "plan"):
                            times.setdefault((tree_name, command), []).append(float(result[command]))  # type: ignore[arg-type]
                for (tree_name, command), seconds in times.items():
                    rows.append((case, tree_name, f"tables {command}", statistics.median(seconds), min(seconds)))
                    print(f"{case:<8} {tree_name:<10} {command:<6} median {statistics.median(seconds):.2f}s",
                          file=sys.stderr)
        finally:
            local_endpoint.stop(endpoint)
    print(f"{args.tables} tables on {args.engine}, {args.runs} runs each, trees alternating\n")
    print("| tables | code | command | median s | fastest s | tables/s (median) |\n|---|---|---|---|---|---|")
    for case, tree_name, command, median, fastest in rows:
        print(f"| {case} | {tree_name} | {command} | {median:.2f} | {fastest:.2f} | {args.tables / median:.1f} |")
    for case in ("in sync", "changed"):
        for command in ("tables drift", "tables plan"):
            old, new = (r[3] for r in rows if r[0] == case and r[2] == command)
            print(f"\n{case}, {command}: this tree takes {new / old:.2f}x {args.baseline}'s time", end="")
    print()


def _check(ok: bool) -> None:
    if not ok:
        raise SystemExit("the benchmark's tables are not in the state it expects")


if __name__ == "__main__":
    main()
