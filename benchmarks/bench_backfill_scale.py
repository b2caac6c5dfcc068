"""The engine on growing tables: items/s, peak memory and CPU per 1,000 products, DynamoDB Local.

Run from the project root:
    PYTHONPATH=. venv/bin/python benchmarks/bench_backfill_scale.py [--products 20000,100000,500000]

For each size, on one DynamoDB Local (warmed up by the first size): load the products (8 threads of
batch_writer), then run `tables migrate up --stack dev` as a separate process with its defaults, no added
latency. Its peak RSS and CPU time come from the kernel's accounting of that process (wait4); the endpoint's
CPU from /proc. A backfill works page by page, so its memory should not grow with the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_backfill import endpoint_cpu, reset
from scripts import local_endpoint
from tests.project import PROJECT, PROJECT_DIR

TABLES = str(Path(sys.executable).parent / "tables")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", default="20000,100000,500000")
    parser.add_argument("--write-api", default=None, help="passed to tables migrate up as --write-api")
    args = parser.parse_args()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": local_endpoint.LOCAL_CREDENTIALS["region_name"]}
    endpoint = local_endpoint.start(PROJECT, "dynamodb-local", port=0, record=False)
    rows = []
    try:
        for products in (int(n) for n in args.products.split(",")):
            started = time.perf_counter()
            reset(endpoint.url, products)
            print(f"loaded {products:,} in {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
            command = [TABLES, "migrate", "up", "--stack", "dev", "--endpoint-url", endpoint.url, "--json"]
            if args.write_api:
                command += ["--write-api", args.write_api]
            java = endpoint_cpu(endpoint.pid)
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=PROJECT_DIR)
            assert process.stdout is not None
            output = process.stdout.read()
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            java = endpoint_cpu(endpoint.pid) - java
            assert status == 0, output
            [result] = json.loads(output)
            assert result["outcome"] == "succeeded" and result["counts"]["updated"] == products, result
            cpu = usage.ru_utime + usage.ru_stime
            rows.append((products, seconds, usage.ru_maxrss / 1024, cpu, java))
            print(f"{products:>9,} {seconds:8.1f}s {products / seconds:6.0f} items/s  peak RSS "
                  f"{usage.ru_maxrss / 1024:6.1f} MiB  CPU {cpu * 1000 / products:.3f} s/1000  endpoint "
                  f"{java * 1000 / products:.3f} s/1000", file=sys.stderr, flush=True)
    finally:
        local_endpoint.stop(endpoint)
    print("| products | seconds | items/s | engine peak RSS MiB | engine CPU s / 1,000 | endpoint CPU s / 1,000 |")
    print("|---|---|---|---|---|---|")
    for products, seconds, rss, cpu, java in rows:
        print(f"| {products:,} | {seconds:.1f} | {products / seconds:,.0f} | {rss:.1f} | {cpu * 1000 / products:.3f} | "
              f"{java * 1000 / products:.3f} |")


if __name__ == "__main__":
    main()
