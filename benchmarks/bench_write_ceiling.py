"""Can a conditional write keep up with the unconditional writer on DynamoDB Local? Writes alone, every way.

Run from the project root:
    PYTHONPATH=. venv/bin/python benchmarks/bench_write_ceiling.py [--products 20000] [--latency-ms 0,5] [--runs 2]

The engine must never overwrite a concurrent change, so every write it sends carries a condition. This
measures the fastest that any conditional multi-item write API of DynamoDB can go on this endpoint, with
nothing else to do: the products are scanned beforehand (not measured) and every write is decided before
the clock starts, so no scan, checkpoint, lease or decision is in the figures. Beside them, in the same
run and on the same endpoint, the two whole runs being compared:
- the unconditional writer (bench_backfill.py's: sequential Scan of 25 whole items a page, each page put
  back with one BatchWriteItem), scan included;
- the engine (`migrate up`, its defaults), scan, checkpoints and verification included.

Writes only, each from 16 client threads (the engine's default worker count), against a freshly loaded table:
- conditional PartiQL UPDATE, 25 per BatchExecuteStatement: the engine's default write path;
- conditional Update, 100 per TransactWriteItems: the engine's `--write-api transact`;
- conditional whole-item Put, 100 per TransactWriteItems (the premise: every attribute read still holds
  and the backfilled ones are still absent);
- conditional PartiQL UPDATE, 100 per ExecuteTransaction;
- for reference, no condition: whole-item Put 25 per BatchWriteItem (the writer's request), and a PartiQL
  UPDATE whose WHERE is the key alone (what the statement costs without its premise).

If the fastest conditional writes alone take longer than the writer's whole run, no engine that keeps its
conditions can be as fast as the writer on this endpoint, however it scans, batches or fans out.
Latency is added as in bench_backfill.py (a sleep before each request); medians of --runs, order rotated.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from typing import Any

from benchmarks.bench_backfill import (
    PRODUCTS,
    RAW_CLIENTS,
    Measurement,
    engine,
    measure,
    plain_client,
    reset,
    run_arguments,
    unconditional_writer,
)
from benchmarks.profile_backfill import (
    TARGET,
    UPDATE,
    chunks,
    in_threads,
    put_writes,
    read_all,
    statement_writes,
    transact_writes,
)
from scripts import local_endpoint
from scripts.item_codec import to_item, to_value
from scripts.migrate.writes import StatementWriter, Write
from tests.project import PROJECT


def transact_puts(client: Any, batch: list[dict[str, Any]]) -> None:
    """Whole items put back, each only while every attribute read holds and the new ones are still absent."""
    actions = []
    for raw in batch:
        names = {f"#a{i}": name for i, name in enumerate([*raw, *(n for n in UPDATE.set if n not in raw)])}
        values = {f":v{i}": value for i, value in enumerate(raw.values())}
        premise = [f"#a{i} = :v{i}" if i < len(raw) else f"attribute_not_exists(#a{i})" for i in range(len(names))]
        actions.append({"Put": {"TableName": PRODUCTS, "Item": {**raw, **to_item(dict(UPDATE.set))},
                                "ConditionExpression": " AND ".join(premise), "ExpressionAttributeNames": names,
                                "ExpressionAttributeValues": values}})
    client.transact_write_items(TransactItems=actions)


def statement_transactions(client: Any, batch: list[dict[str, Any]]) -> None:
    """The engine's conditional PartiQL UPDATEs, as one ExecuteTransaction."""
    writer = StatementWriter(client)
    statements = []
    for item in batch:
        statement = writer.statement(TARGET, Write(item, UPDATE))
        statement.pop("ReturnValuesOnConditionCheckFailure")  # BatchExecuteStatement's, per statement
        statements.append(statement)
    client.execute_transaction(TransactStatements=statements)


def key_only_statements(client: Any, batch: list[dict[str, Any]]) -> None:
    """The same PartiQL UPDATEs with the key alone as WHERE: no premise (unsafe; a measure of its cost)."""
    changes = " ".join(f'SET "{name}"=?' for name in UPDATE.set)
    key = " AND ".join(f'"{name}"=?' for name in TARGET.key)
    statements: list[Any] = [{"Statement": f'UPDATE "{TARGET.table}" {changes} WHERE {key}',
                              "Parameters": [to_value(v) for v in [*UPDATE.set.values(), *map(item.get, TARGET.key)]]}
                             for item in batch]
    response = client.batch_execute_statement(Statements=statements)
    errors = [answer["Error"] for answer in response["Responses"] if "Error" in answer]
    assert not errors, errors[:3]


# name -> (label, write one batch, whether the writes need whole items, items per request); writes only
WRITES: dict[str, tuple[str, Callable[[Any, list[dict[str, Any]]], None], bool, int]] = {
    "statements": ("conditional PartiQL UPDATE, 25 per BatchExecuteStatement (engine's default)",
                   statement_writes, False, 25),
    "transact": ("conditional Update, 100 per TransactWriteItems (engine's --write-api transact)",
                 transact_writes, False, 100),
    "transact-put": ("conditional whole-item Put, 100 per TransactWriteItems", transact_puts, True, 100),
    "statement-transaction": ("conditional PartiQL UPDATE, 100 per ExecuteTransaction",
                              statement_transactions, False, 100),
    "put": ("no condition: whole-item Put, 25 per BatchWriteItem (the writer's request)", put_writes, True, 25),
    "key-only": ("no condition: PartiQL UPDATE, WHERE the key alone, 25 per BatchExecuteStatement",
                 key_only_statements, False, 25),
}
WHOLE_RUNS = {"writer": "unconditional writer, whole run (scan included)",
              "engine": "engine, whole run (its defaults)"}
CONDITIONAL = ("statements", "transact", "transact-put", "statement-transaction")


def part(name: str, url: str, latency: float, products: int, pid: int) -> Measurement:
    reset(url, products)
    if name == "writer":
        return measure(lambda: unconditional_writer(url, latency), pid)
    if name == "engine":
        return measure(lambda: engine(url, latency), pid)
    _, write, whole, size = WRITES[name]
    batches = chunks(read_all(plain_client(url, 0.0), whole), size)
    client = plain_client(url, latency, pool=RAW_CLIENTS + 4)

    def write_all() -> int:
        in_threads(RAW_CLIENTS, batches, write, client)
        return sum(len(batch) for batch in batches)
    measured = measure(write_all, pid)
    # Outside the clock: every product now has the backfilled attributes, so nothing was lost on the way.
    left = sum(page["Count"] for page in plain_client(url, 0.0).get_paginator("scan").paginate(
        TableName=PRODUCTS, Select="COUNT", FilterExpression="attribute_not_exists(creatorId)"))
    assert left == 0, f"{name}: {left} products were not written"
    return measured


def main() -> None:
    args = run_arguments(__doc__.splitlines()[0], runs=2, warm_up="unmeasured passes of every part first").parse_args()
    names = [*WHOLE_RUNS, *WRITES]
    latencies = args.latencies
    endpoint = local_endpoint.start(PROJECT, "dynamodb-local", port=0, record=False)
    results: dict[tuple[float, str], list[Measurement]] = {}
    try:
        for _ in range(args.warm_up):
            for name in names:
                part(name, endpoint.url, 0.0, args.products, endpoint.pid)
        for latency in latencies:
            for run in range(args.runs):
                shift = run % len(names)
                for name in names[shift:] + names[:shift]:
                    m = part(name, endpoint.url, latency, args.products, endpoint.pid)
                    assert m.items == args.products, (name, m.items)
                    results.setdefault((latency, name), []).append(m)
                    print(f"{latency * 1000:g} ms  run {run + 1}  {name:<22} {m.seconds:7.2f}s "
                          f"{m.items / m.seconds:7.0f} items/s  endpoint CPU {m.endpoint_cpu:6.2f}s",
                          file=sys.stderr, flush=True)
    finally:
        local_endpoint.stop(endpoint)
    report(results, names, latencies, args.products, args.runs)


def report(results: dict[tuple[float, str], list[Measurement]], names: list[str], latencies: list[float],
           products: int, runs: int) -> None:
    print(f"{products:,} products, median of {runs} runs each; writes only from {RAW_CLIENTS} threads\n")
    for latency in latencies:
        print("| added latency | what | seconds (median) | items/s | endpoint CPU s / 1,000 | seconds / writer's run |")
        print("|---|---|---|---|---|---|")
        seconds = {name: statistics.median(m.seconds for m in results[(latency, name)]) for name in names}
        for name in names:
            cpu = statistics.median(m.endpoint_cpu for m in results[(latency, name)]) * 1000 / products
            title = WHOLE_RUNS.get(name) or f"writes only: {WRITES[name][0]}"
            print(f"| {latency * 1000:g} ms | {title} | {seconds[name]:.2f} | {products / seconds[name]:,.0f} | "
                  f"{cpu:.3f} | {seconds[name] / seconds['writer']:.2f} |")
        fastest = min(CONDITIONAL, key=seconds.__getitem__)
        verdict = "longer" if seconds[fastest] > seconds["writer"] else "no longer"
        print(f"\n{latency * 1000:g} ms: the fastest conditional writes alone ({fastest}, {seconds[fastest]:.2f} s) "
              f"take {verdict} than the writer's whole run ({seconds['writer']:.2f} s)\n")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: no figures reported")
