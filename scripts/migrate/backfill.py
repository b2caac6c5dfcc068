"""The backfill engine: a parallel scan with conditional updates and per-segment checkpoints.

- Parallel scan (Segment/TotalSegments), projecting only the attributes the migration reads.
- Every update is conditional: the migration's own condition (e.g. attribute_not_exists(creatorId))
  AND every attribute it read still holds the value it read. A concurrent writer's change is never
  overwritten: on a conflict the item is re-read and the update decided again on what is there now.
  A re-run writes nothing, because items already migrated fail the condition or the filter.
- After each page, the segment's LastEvaluatedKey and counts are saved in the history table under
  the worker's lease. A killed run resumes each segment from its last checkpoint; the items of the
  page it was in are scanned again, and the conditions make that harmless.
- Throttling, 5xx and dropped connections are retried by botocore's retry mode, with jitter.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from scripts.migrate.history import COUNTERS, History, from_item, is_conditional_failure, to_item

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # scanned, updated since the last call


@dataclass(frozen=True)
class Update:
    """One item's update: an UpdateExpression with Python values, and the migration's own condition."""

    expression: str
    values: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    condition: str | None = None


@dataclass(frozen=True)
class Backfill:
    """What a migration asks of the engine for one table."""

    name: str  # names the checkpoints; stable for the life of the migration
    table: str
    key: tuple[str, ...]
    reads: tuple[str, ...]  # attributes the update depends on: projected, and guarded against change
    update: Callable[[dict[str, Any]], Update | None]  # None: this item needs nothing
    scan_filter: str | None = None  # narrows what the scan returns (it still reads every item)


@dataclass
class BackfillOptions:
    total_segments: int = 16
    segments: Sequence[int] | None = None  # a subset, for fan-out across machines
    workers: int = 16
    page_size: int = 250  # items read per page, so per checkpoint
    lease_seconds: float = 60.0
    dry_run: bool = False
    sample_size: int = 5
    conflict_retries: int = 5


@dataclass
class BackfillResult:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    consumed_capacity: float = 0.0
    candidates: int = 0  # dry run: items the update would change
    conflicts: int = 0  # items changed by someone else between read and write, then re-read
    sample: list[dict[str, Any]] = field(default_factory=list)
    segments_run: list[int] = field(default_factory=list)
    segments_busy: list[int] = field(default_factory=list)
    complete: bool = False


class _Names:
    """Expression placeholders for attribute names (any name may be a DynamoDB reserved word)."""

    def __init__(self, attributes: Sequence[str]) -> None:
        self.placeholders = {name: f"#r{i}" for i, name in enumerate(attributes)}

    @property
    def mapping(self) -> dict[str, str]:
        return {placeholder: name for name, placeholder in self.placeholders.items()}


class BackfillRun:
    def __init__(self, client: Any, history: History, migration_id: str, spec: Backfill,
                 options: BackfillOptions, progress: Progress | None = None) -> None:
        self.client = client
        self.history = history
        self.migration_id = migration_id
        self.spec = spec
        self.options = options
        self.progress = progress or (lambda scanned, updated: None)
        self.result = BackfillResult()
        self.lock = threading.Lock()
        attributes = list(dict.fromkeys((*spec.key, *spec.reads)))
        self.names = _Names(attributes)
        self.projection = ", ".join(self.names.placeholders[a] for a in attributes)
        self.guarded = [a for a in attributes if a not in spec.key]

    # --- one item ---------------------------------------------------------------------------------

    def _key(self, item: dict[str, Any]) -> dict[str, Any]:
        return to_item({name: item[name] for name in self.spec.key})

    def _guard(self, item: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
        """'Every attribute read is unchanged': the clause, and the names and values it uses."""
        clauses, names, values = [], {}, {}
        for i, attribute in enumerate(self.guarded):
            placeholder = self.names.placeholders[attribute]
            names[placeholder] = attribute
            if attribute in item:
                clauses.append(f"{placeholder} = :guard{i}")
                values[f":guard{i}"] = item[attribute]
            else:
                clauses.append(f"attribute_not_exists({placeholder})")
        return " AND ".join(clauses), names, values

    def _apply(self, item: dict[str, Any]) -> tuple[str, float]:
        """Update one item; returns its outcome (updated, skipped, failed) and the capacity used."""
        capacity = 0.0
        for _ in range(self.options.conflict_retries + 1):
            update = self.spec.update(item)
            if update is None:
                return "skipped", capacity
            guard, guard_names, guard_values = self._guard(item)
            condition = " AND ".join(f"({c})" for c in (update.condition, guard) if c)
            try:
                response = self.client.update_item(
                    TableName=self.spec.table, Key=self._key(item), UpdateExpression=update.expression,
                    ConditionExpression=condition,
                    ExpressionAttributeNames={**guard_names, **update.names},
                    ExpressionAttributeValues=to_item({**update.values, **guard_values}),
                    ReturnConsumedCapacity="TOTAL")
                return "updated", capacity + (response.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0)
            except ClientError as error:
                if not is_conditional_failure(error):
                    logger.warning("update of %s in %s failed: %s", item, self.spec.table, error)
                    return "failed", capacity
            # Someone changed the item since it was read: decide again on what is there now.
            with self.lock:
                self.result.conflicts += 1
            fresh = self.client.get_item(TableName=self.spec.table, Key=self._key(item), ConsistentRead=True,
                                         ProjectionExpression=self.projection,
                                         ExpressionAttributeNames=self.names.mapping,
                                         ReturnConsumedCapacity="TOTAL")
            capacity += (fresh.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0)
            if "Item" not in fresh:
                return "skipped", capacity  # deleted meanwhile
            item = from_item(fresh["Item"])
        logger.warning("item %s in %s kept changing; left for the next run", item, self.spec.table)
        return "failed", capacity

    # --- one segment ------------------------------------------------------------------------------

    def _segment(self, segment: int) -> None:
        if self.options.dry_run:
            checkpoint: dict[str, Any] | None = {"lastKey": None, "counts": dict.fromkeys(COUNTERS, 0)}
        else:
            checkpoint = self.history.claim_segment(self.migration_id, self.spec.name, segment,
                                                    self.options.lease_seconds)
        if checkpoint is None:
            with self.lock:
                self.result.segments_busy.append(segment)
            return
        counts = dict(checkpoint["counts"])
        params: dict[str, Any] = {
            "TableName": self.spec.table, "Segment": segment, "TotalSegments": self.options.total_segments,
            "ProjectionExpression": self.projection, "ExpressionAttributeNames": self.names.mapping,
            "ReturnConsumedCapacity": "TOTAL", "PaginationConfig": {"PageSize": self.options.page_size},
        }
        if self.spec.scan_filter:
            params["FilterExpression"] = self.spec.scan_filter
        if checkpoint["lastKey"]:
            params["ExclusiveStartKey"] = checkpoint["lastKey"]
        for page in self.client.get_paginator("scan").paginate(**params):
            capacity = (page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0)
            counts["scanned"] += page.get("ScannedCount", 0)
            updated_before = counts["updated"]
            for raw in page.get("Items", []):
                item = from_item(raw)
                if self.options.dry_run:
                    self._observe(item)
                    continue
                outcome, used = self._apply(item)
                counts[outcome] += 1
                capacity += used
            if not self.options.dry_run:
                self.history.checkpoint(self.migration_id, self.spec.name, segment, page.get("LastEvaluatedKey"),
                                        counts, self.options.lease_seconds)
            with self.lock:
                self.result.consumed_capacity += capacity
            self.progress(page.get("ScannedCount", 0), counts["updated"] - updated_before)
        with self.lock:
            self.result.segments_run.append(segment)
            for name in COUNTERS:
                self.result.counts[name] += counts[name] - checkpoint["counts"][name]

    def _observe(self, item: dict[str, Any]) -> None:
        update = self.spec.update(item)
        if update is None:
            return
        with self.lock:
            self.result.candidates += 1
            if len(self.result.sample) < self.options.sample_size:
                self.result.sample.append({"key": {k: item[k] for k in self.spec.key},
                                           "update": update.expression, "values": update.values})

    # --- all segments -----------------------------------------------------------------------------

    def run(self) -> BackfillResult:
        segments = list(self.options.segments if self.options.segments is not None
                        else range(self.options.total_segments))
        with ThreadPoolExecutor(max_workers=max(1, min(self.options.workers, len(segments)))) as pool:
            for future in [pool.submit(self._segment, s) for s in segments]:
                future.result()
        if self.options.dry_run:
            self.result.complete = False
        else:
            done = [s for s in self.history.segments(self.migration_id, self.spec.name) if s.get("done")]
            self.result.complete = len(done) == self.options.total_segments
        return self.result


def run_backfill(client: Any, history: History, migration_id: str, spec: Backfill, options: BackfillOptions,
                 progress: Progress | None = None) -> BackfillResult:
    return BackfillRun(client, history, migration_id, spec, options, progress).run()
