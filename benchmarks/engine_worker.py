"""Migration 0001's backfill, run once by the engine of whichever checkout is on PYTHONPATH.

bench_backfill.py measures the engine in-process; to set an earlier version of the engine beside the
current one in the same run (`--approaches engine@d406c61,engine@HEAD`), it extracts each commit into
a directory of its own and runs this file there, as its own process:

    cd CHECKOUT && PYTHONPATH=CHECKOUT python benchmarks/engine_worker.py URL LATENCY ENDPOINT_PID OPTIONS

OPTIONS is a JSON object of BackfillOptions fields. The file imports only what d406c61 (the engine
before the runner's probe, write cap and interruption) and every later commit have: the runner's `up`,
`History`, `discover`, `Connection` and the local credentials. It measures around `up` alone, as
the in-process approach does: wall time, this process's CPU time (all threads) and the endpoint's CPU
from /proc, and prints them as one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def add_latency(client: Any, seconds: float) -> Any:
    """Sleep before every request this client sends (each retry too), as a network round trip would."""
    if seconds:
        def wait(**_: Any) -> None:
            time.sleep(seconds)  # returning None lets botocore send the request
        client.meta.events.register("before-send.dynamodb", wait)
    return client


def endpoint_cpu(pid: int) -> float:
    """User+system CPU seconds of the endpoint process (and of its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def engine_client(url: str, latency: float, workers: int) -> Any:
    """The client `tables migrate up` builds (scripts/commands/migrate.py), with its default retry settings."""
    from scripts.aws import Connection
    from scripts.local_endpoint import LOCAL_CREDENTIALS

    # As `tables ... --local` does: local engines take any credentials.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", LOCAL_CREDENTIALS["aws_access_key_id"])
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", LOCAL_CREDENTIALS["aws_secret_access_key"])
    client = Connection(endpoint_url=url, region=LOCAL_CREDENTIALS["region_name"],
                        retry_mode="adaptive", max_attempts=10).client(max_pool_connections=workers + 4,
                                                                       parameter_validation=False)
    return add_latency(client, latency)


def run_engine(project_dir: Path, url: str, latency: float, **overrides: Any) -> int:
    """`migrate up` on the dev stack's tables, as the command runs it; the number of products updated."""
    from components.families import plan_from_stack_file
    from scripts.migrate.backfill import BackfillOptions
    from scripts.migrate.history import History
    from scripts.migrate.registry import discover
    from scripts.migrate.runner import RunOptions, up

    plans = plan_from_stack_file(project_dir, "dev")
    [history_table] = [p.name for p in plans if (p.family, p.spec.key) == ("migration-history", "migrations")]
    if "workers" not in overrides and "adaptive_workers" in BackfillOptions.__dataclass_fields__:
        overrides = {**overrides, "adaptive_workers": True}  # as `tables migrate up` without --workers
    options = BackfillOptions(**overrides)
    client = engine_client(url, latency, options.workers)
    run = RunOptions(backfill=options, log=lambda m: None)
    [result] = up(client, plans, History(client, history_table), discover(project_dir / "migrations"), run)
    assert result.outcome == "succeeded", result
    for backfill in result.backfills:  # the workers the engine chose, for the figures' notes
        if getattr(backfill, "concurrency", None) is not None:
            print(f"engine at {latency * 1000:g} ms: {backfill.concurrency.describe()}", file=sys.stderr, flush=True)
    LAST_RESULT.clear()
    LAST_RESULT.append(result)
    return int(result.counts["updated"])


LAST_RESULT: list[Any] = []  # the in-process engine's last RunResult (capacity units, workers)


def main() -> None:
    url, latency, pid, options = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
    project_dir = Path.cwd()
    wall, cpu, java = time.perf_counter(), time.process_time(), endpoint_cpu(pid)
    items = run_engine(project_dir, url, latency, **options)
    print(json.dumps({"seconds": time.perf_counter() - wall, "client_cpu": time.process_time() - cpu,
                      "endpoint_cpu": endpoint_cpu(pid) - java, "items": items}))


if __name__ == "__main__":
    main()
