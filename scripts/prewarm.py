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
