"""Where a backfill's time goes: client and endpoint CPU per 1,000 products, one part of the work at a time.

Run from the project root:
    PYTHONPATH=. venv/bin/python benchmarks/profile_backfill.py [--products 10000] [--threads 1,4,16]

On one DynamoDB Local (warmed up first), against a freshly loaded products table for every part that writes:
- scan: the engine's scan (key and read attributes projected, the migration's filter, 250 a page), and the
  unconditional writer's (25 whole items a page); in one thread, and 16 segments in 16 threads;
- writes of every product's update, each decided beforehand from a scan that is not measured: conditional
  PartiQL UPDATEs 25 per BatchExecuteStatement (the engine's statements), conditional UpdateItem (the
  engine's requests), conditional Updates 25 per TransactWriteItems, and unconditional whole-item
  PutRequests 25 per BatchWriteItem; with each of --threads client threads;
- checkpoints: the engine's checkpoint write, one per page, under a lease;
- start-up: `migrate up` over a table with nothing left to migrate (lock, history, segment claims, 16 empty
  segment scans, the verification scan).
Client CPU is this process's CPU time (all threads); endpoint CPU the Java process's user+system time.
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.bench_backfill import HISTORY, PRODUCTS, Measurement, engine, measure, plain_client, reset
from scripts import local_endpoint
from scripts.item_codec import from_item, to_item
from scripts.migrate.history import History
from scripts.migrate.writes import ItemWriter, StatementWriter, Target, Update, Write
from tests.project import PROJECT

TARGET = Target(PRODUCTS, ("id",), ("creatorId", "featured", "status", "updatedAt"))
PROJECTION = {"#r0": "id", "#r1": "creatorId", "#r2": "featured", "#r3": "status", "#r4": "updatedAt"}
UPDATE = Update(set={"creatorId": "profile-creator", "updatedAt": "2026-12-02T00:00:00Z", "featured": False,
                     "status": "approved"})


def in_threads(threads: int, work: Sequence[Any], do: Callable[[Any, Any], None], client: Any) -> None:
    """Share the work among threads; the first error any of them met is raised here, not lost in its thread."""
    def worker(index: int) -> None:
        for chunk in work[index::threads]:
            do(client, chunk)
    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(worker, t) for t in range(threads)]:
            done.result()


def engine_scan(client: Any, segments: int = 1) -> int:
    def segment(_: Any, number: int) -> None:
        for page in client.get_paginator("scan").paginate(
                TableName=PRODUCTS, Segment=number, TotalSegments=segments, ProjectionExpression=", ".join(PROJECTION),
                ExpressionAttributeNames=PROJECTION, FilterExpression="attribute_not_exists(creatorId)",
                PaginationConfig={"PageSize": 250}):
            found.extend(from_item(raw) for raw in page["Items"])
    found: list[Any] = []
    in_threads(segments, list(range(segments)), segment, client)
    return len(found)


def whole_scan(client: Any, segments: int = 1) -> int:
    def segment(_: Any, number: int) -> None:
        for page in client.get_paginator("scan").paginate(TableName=PRODUCTS, Segment=number, TotalSegments=segments,
                                                          PaginationConfig={"PageSize": 25}):
            found.extend(page["Items"])
    found: list[Any] = []
    in_threads(segments, list(range(segments)), segment, client)
    return len(found)


def read_all(client: Any, whole: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(
            TableName=PRODUCTS, **({} if whole else {"ProjectionExpression": ", ".join(PROJECTION),
                                                     "ExpressionAttributeNames": PROJECTION})):
        items.extend(page["Items"] if whole else (from_item(raw) for raw in page["Items"]))
    return items


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def statement_writes(client: Any, batch: list[dict[str, Any]]) -> None:
    replies, _ = StatementWriter(client).write(TARGET, [Write(item, UPDATE) for item in batch])
    assert all(r.outcome == "updated" for r in replies), replies


def item_writes(client: Any, batch: list[dict[str, Any]]) -> None:
    replies, _ = ItemWriter(client).write(TARGET, [Write(item, UPDATE) for item in batch])
    assert all(r.outcome == "updated" for r in replies), replies


def transact_writes(client: Any, batch: list[dict[str, Any]]) -> None:
    """The engine's transact write path: its UpdateItem requests as the actions of one transaction."""
    writer = ItemWriter(client)
    actions = []
    for item in batch:
        request = writer.request(TARGET, Write(item, UPDATE))
        request.pop("ReturnConsumedCapacity")  # a transaction takes it once, not per action
        actions.append({"Update": request})
    client.transact_write_items(TransactItems=actions)


def put_writes(client: Any, batch: list[dict[str, Any]]) -> None:
    puts = [{"PutRequest": {"Item": {**raw, **to_item(dict(UPDATE.set))}}} for raw in batch]
    response = client.batch_write_item(RequestItems={PRODUCTS: puts})
    assert not response.get("UnprocessedItems"), response


def checkpoints(client: Any, pages: int) -> int:
    history = History(client, HISTORY)
    counts = {"scanned": 0, "updated": 0, "skipped": 0, "failed": 0, "reread": 0}
    assert history.claim_segment("profile", "products", 0, 16, 60.0) is not None  # segment 0 of 16, as the engine
    for page in range(pages):
        counts["scanned"] += 250
        history.checkpoint("profile", "products", 0, {"id": {"S": f"product-{page:07d}"}}, counts, counts, 60.0)
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--threads", default="1,4,16", help="client threads for the write parts")
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    products = args.products
    endpoint = local_endpoint.start(PROJECT, "dynamodb-local", port=0, record=False)
    rows: list[tuple[str, Measurement]] = []

    def part(label: str, run: Callable[[], int], fresh: bool = True) -> None:
        if fresh:
            reset(endpoint.url, products)
        m = measure(run, endpoint.pid)
        rows.append((label, m))
        print(f"{label:<60} {m.seconds:7.2f}s {m.items / m.seconds:7.0f}/s client {m.client_cpu * 1000 / m.items:.3f} "
              f"endpoint {m.endpoint_cpu * 1000 / m.items:.3f} s/1000", file=sys.stderr, flush=True)

    try:
        url = endpoint.url
        client = plain_client(url, 0.0, pool=40)
        reset(url, products)
        engine(url, 0.0)  # warm-up: the JIT compiles scan, PartiQL and UpdateItem paths
        reset(url, products)
        part("scan: engine's (projected, filtered, 250 a page), 1 thread", lambda: engine_scan(client))
        part("scan: engine's, 16 segments in 16 threads", lambda: engine_scan(client, 16), fresh=False)
        part("scan: whole items, 25 a page, 1 thread", lambda: whole_scan(client), fresh=False)
        part("scan: whole items, 25 a page, 16 segments in 16 threads", lambda: whole_scan(client, 16), fresh=False)
        part("checkpoints (one per 250-item page)", lambda: checkpoints(client, products // 250) * 250, fresh=False)
        writes: list[tuple[str, Callable[[Any, Any], None], bool]] = [
            ("conditional PartiQL UPDATE, 25 per BatchExecuteStatement", statement_writes, False),
            ("conditional UpdateItem", item_writes, False),
            ("conditional Update, 25 per TransactWriteItems", transact_writes, False),
            ("unconditional whole-item Put, 25 per BatchWriteItem", put_writes, True)]
        for count in threads:
            for label, do, whole in writes:
                reset(url, products)
                items = read_all(client, whole)
                prepared = chunks(items, 1 if do is item_writes else 25)

                def write_all(count: int = count, batches: list[Any] = prepared,
                              do: Callable[[Any, Any], None] = do) -> int:
                    in_threads(count, batches, do, client)
                    return sum(len(batch) for batch in batches)
                part(f"write: {label}, {count} threads", write_all, fresh=False)
        reset(url, 0)
        startup = measure(lambda: engine(url, 0.0) + 1, endpoint.pid)
    finally:
        local_endpoint.stop(endpoint)
    print(f"{products:,} products on DynamoDB Local, no added latency\n")
    print("| part | seconds | items/s | client CPU s / 1,000 | endpoint CPU s / 1,000 |\n|---|---|---|---|---|")
    for label, m in rows:
        print(f"| {label} | {m.seconds:.2f} | {m.items / m.seconds:,.0f} | {m.client_cpu * 1000 / m.items:.3f} | "
              f"{m.endpoint_cpu * 1000 / m.items:.3f} |")
    print(f"| start-up: migrate up over an empty table (once a run, not per item) | {startup.seconds:.2f} | | "
          f"{startup.client_cpu:.3f} (total) | {startup.endpoint_cpu:.3f} (total) |")


if __name__ == "__main__":
    main()
