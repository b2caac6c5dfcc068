"""`tables prewarm`: raise a table's warm throughput before a big backfill, and wait until it holds.

A fresh on-demand table takes 4,000 writes a second at once; a backfill fanned out wider is throttled
in its first minutes. UpdateTable's WarmThroughput raises that floor ahead of time (AWS charges for the
increase; it never lowers a table's again). The table's model may declare the same floor
(`TableSpec.warm_throughput`): drift and plan accept live >= declared.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from components.model.plan import TablePlan
from components.model.spec import MIN_WARM_READ_UNITS, MIN_WARM_WRITE_UNITS
from scripts.aws import DynamoDBClient, describe_table
from scripts.errors import ToolError

POLL_SECONDS = 2.0
TIMEOUT_SECONDS = 1800.0


@dataclass(frozen=True)
class Prewarm:
    table: str
    reads_before: int
    writes_before: int
    reads_after: int
    writes_after: int

    @property
    def changed(self) -> bool:
        return (self.reads_after, self.writes_after) != (self.reads_before, self.writes_before)

    def text(self) -> str:
        if not self.changed:
            return (f"{self.table}: already warm for {self.writes_before:,} writes and {self.reads_before:,} reads "
                    "a second; nothing changed")
        raised = [f"from {before:,} to {after:,} {unit}" for before, after, unit in (
            (self.writes_before, self.writes_after, "writes"), (self.reads_before, self.reads_after, "reads"))
            if after != before]
        return f"{self.table}: warm throughput raised {' and '.join(raised)} a second, ACTIVE"

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "changed": self.changed,
                "before": {"readUnitsPerSecond": self.reads_before, "writeUnitsPerSecond": self.writes_before},
                "after": {"readUnitsPerSecond": self.reads_after, "writeUnitsPerSecond": self.writes_after}}


def _warm(table: Any) -> tuple[int, int, str]:
    warm = table.get("WarmThroughput") or {}
    return (int(warm.get("ReadUnitsPerSecond", MIN_WARM_READ_UNITS)),
            int(warm.get("WriteUnitsPerSecond", MIN_WARM_WRITE_UNITS)), str(warm.get("Status", "ACTIVE")))


def prewarm(client: DynamoDBClient, table: str, writes_per_second: int, reads_per_second: int | None = None,
            timeout: float = TIMEOUT_SECONDS) -> Prewarm:
    """Raise the table's warm throughput to at least the rates given (never lower), and wait for ACTIVE."""
    reads, writes, _ = _warm(describe_table(client, table))
    want_reads, want_writes = max(reads, reads_per_second or 0), max(writes, writes_per_second)
    if (want_reads, want_writes) == (reads, writes):
        return Prewarm(table, reads, writes, reads, writes)
    client.update_table(TableName=table, WarmThroughput={"ReadUnitsPerSecond": want_reads,
                                                         "WriteUnitsPerSecond": want_writes})
    deadline = time.monotonic() + timeout
    while True:
        now_reads, now_writes, status = _warm(describe_table(client, table))
        if status == "ACTIVE" and now_writes >= want_writes and now_reads >= want_reads:
            return Prewarm(table, reads, writes, now_reads, now_writes)
        if time.monotonic() > deadline:
            raise ToolError("Timeout", f"{table}: warm throughput still {status} after {timeout:.0f} s (asked for "
                                       f"{want_writes:,} writes a second); the update goes on: check it with "
                                       "tables drift", where=table)
        time.sleep(POLL_SECONDS)


# --- the planned rate of a migration beside the table's warm throughput ------------------------------------


@dataclass(frozen=True)
class PlannedRate:
    """The item writes a second `migrate up` lets a backfill reach: the write cap is one limiter per process
    (scripts/migrate/rate.py), shared by all its segments however many workers the ramp settles on, so it is
    the cap times the fan-out processes (`--worker I/N`), or the cap alone. Without a cap nothing bounds it."""

    writes_per_second: int
    basis: str


def warm_writes(client: DynamoDBClient, plan: TablePlan) -> tuple[int, str] | None:
    """The table's warm write throughput and where it comes from: live when the endpoint reports it (AWS and
    moto do), else the model's declared floor, else None (DynamoDB Local reports none and throttles nothing)."""
    live = (describe_table(client, plan.name).get("WarmThroughput") or {}).get("WriteUnitsPerSecond")
    if live is not None:
        return int(live), "live"
    declared = plan.spec.warm_throughput.write_units_per_second if plan.spec.warm_throughput else None
    return (declared, "declared") if declared is not None else None


def warm_warning(client: DynamoDBClient, plan: TablePlan, planned: PlannedRate, stack: str) -> str | None:
    """One line when the planned rate is above the table's warm throughput (item writes taken as write units:
    an item over 1 KB, or one that lands in a GSI, takes more, so the line errs on the quiet side)."""
    warm = warm_writes(client, plan)
    if warm is None or planned.writes_per_second <= warm[0]:
        return None
    units, source = warm
    return (f"{plan.name}: the planned {planned.writes_per_second:,} writes a second ({planned.basis}) are above its "
            f"{source} warm throughput of {units:,}, so the first minutes may throttle; warm it first: tables "
            f"prewarm --stack {stack} --table {plan.spec.key} --writes-per-second {planned.writes_per_second}")
