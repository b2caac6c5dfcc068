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
- engine@REF (`engine@d406c61`, `engine@HEAD/workers=8`): the engine as committed at REF, extracted into a
  directory of its own and run there by engine_worker.py in a process of its own, measured around `up` as
  the in-process engine is; two of them side by side compare versions of the engine in one run;
- raw UpdateItem / raw BatchExecuteStatement: the endpoint's write rate with 16 client threads and nothing
  else (no scan, no conditions, no checkpoints).

Latency is added the same way for every approach: each client sleeps before sending each request (a
botocore before-send hook). A sleep costs no CPU, so on this 2-core machine it does not take CPU from the
endpoint or the client as a proxy process would. AWS in-region round trips are about 5 ms.

`--engine moto` runs the same against moto server instead (a pure-Python emulator: its rates say where
the client's and moto's CPU go, not what DynamoDB Local or AWS would do).

Fairness: one DynamoDB Local for the whole run, warmed up first (its JIT compiles the hot paths during the
first tens of thousands of requests); the order of the approaches rotates from run to run; medians reported.
For each approach: wall time, client CPU (this process's CPU time over the run, all threads) and endpoint CPU
(the Java process's user+system time from /proc), each per 1,000 products.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.engine_worker import add_latency, endpoint_cpu, run_engine
from components.families import plan_from_stack_file
from components.families.creator_platform import products_table
from components.families.migration_history import migrations_table
from components.model.plan import find_plan
from components.model.spec import TableSpec
from scripts import local_endpoint
from scripts.create_tables import create_tables
from scripts.schema_files import declared_schema
from tests.project import PROJECT, PROJECT_DIR

PLANS = plan_from_stack_file(PROJECT_DIR, "dev")


def _deployed_name(spec: TableSpec) -> str:
    plan = find_plan(PLANS, spec)
    assert plan is not None, f"the dev stack deploys no {spec.key} table"
    return plan.name


PRODUCTS = _deployed_name(products_table)
HISTORY = _deployed_name(migrations_table)
RAW_CLIENTS = 16
WORKER = Path(__file__).resolve().parent / "engine_worker.py"


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


def plain_client(url: str, latency: float, pool: int = 10) -> Any:
    """A script's client: boto3 defaults, except no client-side validation (the engine skips it too)."""
    config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=pool,
                    parameter_validation=False)
    return add_latency(boto3.client("dynamodb", endpoint_url=url, config=config, **local_endpoint.LOCAL_CREDENTIALS),
                       latency)


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


@dataclass
class Units:
    """Capacity units as DynamoDB reported them (ReturnConsumedCapacity=TOTAL)."""

    read: float = 0.0
    write: float = 0.0


def unconditional_writer(url: str, latency: float, units: Units | None = None) -> int:
    """Sequential Scan, 25 whole items a page; each page put back whole with one unconditional BatchWriteItem.
    With `units`, every call asks for its consumed capacity and adds it there (the script itself does not ask)."""
    dynamo = plain_client(url, latency)
    asked: dict[str, Any] = {"ReturnConsumedCapacity": "TOTAL"} if units is not None else {}
    written = 0
    for page in dynamo.get_paginator("scan").paginate(TableName=PRODUCTS, PaginationConfig={"PageSize": 25},
                                                      **asked):
        if units is not None:
            units.read += (page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0)
        puts = []
        for item in page["Items"]:
            if "creatorId" in item:
                continue
            item = {**item, "creatorId": {"S": "bench-creator"}, "updatedAt": {"S": "2026-11-23T00:00:00Z"}}
            item.setdefault("featured", {"BOOL": False})
            item.setdefault("status", {"S": "approved"})
            puts.append({"PutRequest": {"Item": item}})
        if puts:
            response = dynamo.batch_write_item(RequestItems={PRODUCTS: puts}, **asked)
            if units is not None:
                units.write += sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity") or [])
            written += len(puts) - len(response.get("UnprocessedItems", {}).get(PRODUCTS, []))  # not retried
    return written


def engine(url: str, latency: float, **overrides: Any) -> int:
    """`migrate up` in this process, with a client built as the command builds it."""
    return run_engine(PROJECT_DIR, url, latency, **overrides)


@functools.cache
def checkout(ref: str) -> Path:
    """The project as committed at ref, extracted once per run into a directory of its own."""
    found = subprocess.run(["git", "-C", str(PROJECT_DIR), "rev-parse", "--short", "--verify", f"{ref}^{{commit}}"],
                           capture_output=True, text=True)
    if found.returncode:
        raise SystemExit(f"engine@{ref}: no such commit in {PROJECT_DIR}; name a commit, tag or branch")
    commit = found.stdout.strip()
    tree = Path(tempfile.mkdtemp(prefix=f"bench-engine-{commit}-"))
    atexit.register(shutil.rmtree, tree, ignore_errors=True)
    archive = subprocess.run(["git", "-C", str(PROJECT_DIR), "archive", "--format=tar", commit],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def engine_at(ref: str, url: str, latency: float, endpoint_pid: int, **overrides: Any) -> Measurement:
    """The engine as committed at ref, in a process of its own (engine_worker.py), measured around `up`."""
    tree = checkout(ref)
    done = subprocess.run([sys.executable, str(WORKER), url, str(latency), str(endpoint_pid), json.dumps(overrides)],
                          cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the engine at {ref} failed:\n{done.stderr}")
    return Measurement(**json.loads(done.stdout.splitlines()[-1]))


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


# url, added latency, the endpoint's pid -> what one run of the approach measured
Approach = Callable[[str, float, int], Measurement]


def in_process(run: Callable[[str, float], int]) -> Approach:
    return lambda url, latency, pid: measure(lambda: run(url, latency), pid)


def approach(name: str, products: int) -> Approach:
    """An approach by name.

    `engine/workers=4/segments=16/page=250/api=update-item` sets engine options; `engine@REF` (with the same
    options after it) is the engine as committed at REF, run in a process of its own.
    """
    base, *settings = name.split("/")
    if base == "engine" or base.startswith("engine@"):
        overrides: dict[str, Any] = {}
        for setting in settings:
            key, _, value = setting.partition("=")
            if key not in ENGINE_OPTIONS:
                raise SystemExit(f"{name}: unknown engine option {key!r}; known: {', '.join(ENGINE_OPTIONS)}")
            field, kind = ENGINE_OPTIONS[key]
            overrides[field] = kind(value)
        if "workers" in overrides and "total_segments" not in overrides:
            overrides["total_segments"] = overrides["workers"]
        if base == "engine":
            return in_process(lambda url, latency: engine(url, latency, **overrides))
        ref = base.partition("@")[2]
        return lambda url, latency, pid: engine_at(ref, url, latency, pid, **overrides)
    if settings:
        raise SystemExit(f"{base} takes no options")
    others = {"team": lambda url, latency: team_script(url, latency),
              "unconditional": lambda url, latency: unconditional_writer(url, latency),
              "raw-update-item": lambda url, latency: raw(url, latency, products, batched=False),
              "raw-batch-statement": lambda url, latency: raw(url, latency, products, batched=True)}
    if base not in others:
        raise SystemExit(f"unknown approach {base!r}; known: engine, engine@REF, {', '.join(others)}")
    return in_process(others[base])


LABELS = {"team": "team script (sequential UpdateItem)",
          "unconditional": "unconditional writer (Scan 25 + BatchWriteItem)",
          "engine": "engine (its defaults)",
          "raw-update-item": f"raw UpdateItem ({RAW_CLIENTS} clients)",
          "raw-batch-statement": f"raw BatchExecuteStatement ({RAW_CLIENTS} clients)"}


def label(name: str) -> str:
    base, *settings = name.split("/")
    if base.startswith("engine@"):
        return ", ".join([f"engine at {base.partition('@')[2]} (own process)", *settings])
    return LABELS.get(name, name)


def latencies_ms(text: str) -> list[float]:
    """`0,5` -> [0.0, 0.005]: added latencies given in milliseconds, as seconds."""
    try:
        latencies = [float(ms) / 1000 for ms in text.split(",")]
    except ValueError:
        latencies = []
    if not latencies or any(not 0 <= latency < 10 for latency in latencies):
        raise argparse.ArgumentTypeError(f"{text!r}: give milliseconds from 0 to 9999, comma-separated (e.g. 0,5)")
    return latencies


def at_least(minimum: int) -> Callable[[str], int]:
    def number(text: str) -> int:
        if not text.strip().isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of at least {minimum}")
        return int(text)
    return number


def run_arguments(description: str, runs: int, warm_up: str) -> argparse.ArgumentParser:
    """The options every side-by-side backfill benchmark takes: table size, latencies, runs and warm-up."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--products", type=at_least(1), default=20_000)
    parser.add_argument("--latency-ms", dest="latencies", type=latencies_ms, default=[0.0, 0.005],
                        help="comma-separated added latencies in ms (default 0,5)")
    parser.add_argument("--runs", type=at_least(1), default=runs,
                        help=f"runs per approach and latency; medians reported (default {runs})")
    parser.add_argument("--warm-up", type=at_least(0), default=1, help=warm_up)
    return parser


def main() -> None:
    parser = run_arguments(__doc__.splitlines()[0], runs=3,
                           warm_up="unmeasured passes of the engine and of the unconditional writer first")
    parser.add_argument("--approaches", default="team,unconditional,engine,raw-update-item,raw-batch-statement")
    parser.add_argument("--engine", choices=local_endpoint.ENGINES, default="dynamodb-local",
                        help="the local endpoint to run against (default dynamodb-local)")
    args = parser.parse_args()
    names = args.approaches.split(",")
    latencies = args.latencies

    endpoint = local_endpoint.start(PROJECT, args.engine, port=0, record=False)
    results: dict[tuple[float, str], list[Measurement]] = {}
    try:
        # moto copies every table for each TransactWriteItems (to roll it back), so 100 updates at a time
        # over thousands of items outlast the request timeout: no transact warm-up there.
        warm_ups = ("engine", "unconditional") if args.engine == "moto" else ("engine", "engine/api=transact",
                                                                              "unconditional")
        for _ in range(args.warm_up):
            for name in warm_ups:
                reset(endpoint.url, args.products)
                approach(name, args.products)(endpoint.url, 0.0, endpoint.pid)
        for latency in latencies:
            for run in range(args.runs):
                shift = run % len(names)  # rotate the order so no approach always follows the same one
                for name in names[shift:] + names[:shift]:
                    reset(endpoint.url, args.products)
                    m = approach(name, args.products)(endpoint.url, latency, endpoint.pid)
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
            print(f"| {latency * 1000:g} ms | {label(name)} | {seconds:.2f} | {products / seconds:,.0f} | "
                  f"{statistics.median(m.client_cpu for m in runs) * per_k:.3f} | "
                  f"{statistics.median(m.endpoint_cpu for m in runs) * per_k:.3f} |")
    reference = "unconditional" if "unconditional" in names else names[0]
    for latency in latencies:
        ratios = ", ".join(f"{name} {medians[(latency, reference)] / medians[(latency, name)]:.2f}x"
                           for name in names if name != reference)
        print(f"\n{latency * 1000:g} ms, speed relative to {reference} (above 1: faster): {ratios}")
    versions = [name for name in names if name.startswith("engine@")]
    for latency in latencies if len(versions) > 1 else []:
        first = versions[0]
        ratios = ", ".join(f"{name} {medians[(latency, first)] / medians[(latency, name)]:.3f}x"
                           for name in versions[1:])
        print(f"\n{latency * 1000:g} ms, engine versions relative to {first} (above 1: faster): {ratios}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the endpoint is stopped and extracted commits removed on the way out
        sys.exit("interrupted: no figures reported")
