"""The backfill engine: a parallel scan with conditional writes and per-segment checkpoints.

- Parallel scan (Segment/TotalSegments), projecting only the key and the attributes the migration reads.
- Each item's Update is decided from what was read, and written only while that still holds
  (scripts/migrate/writes.py). A concurrent writer's change is never overwritten: on a conflict the
  engine takes the item as it is now (returned by the failed write) and decides again. A re-run
  writes nothing, because items already migrated fail the scan filter or the decision.
- Writes go 25 to a BatchExecuteStatement request by default. Throttled statements inside a request
  are sent again with capped exponential backoff and full jitter; whole requests (throttling, 5xx,
  dropped connections) are retried by botocore's retry mode.
- After each page, the segment's LastEvaluatedKey and counts are saved in the history table under
  the worker's lease. A killed run resumes each segment from its last checkpoint; the items of the
  page it was in are scanned again, and the conditions make that harmless. A segment in which items
  failed is not marked done: the next run scans it again and retries them.
- Stopping (SIGINT/SIGTERM, or the first segment that fails): every segment finishes the request it
  is in, keeps its last checkpoint and gives up its lease at once, so the next run resumes without
  waiting for leases to expire.
- An optional write-rate cap (scripts/migrate/rate.py) is shared by every segment of the process.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from scripts.aws import DynamoDBClient
from scripts.errors import ToolError
from scripts.item_codec import from_item
from scripts.migrate.concurrency import Concurrency
from scripts.migrate.history import COUNTERS, Capacity, History, LeaseLostError, zero_counts
from scripts.migrate.rate import WriteRateLimiter
from scripts.migrate.writes import Target, Update, Write, writer_for

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # scanned, updated since the last call


@dataclass(frozen=True)
class Backfill:
    """What a migration asks of the engine for one table."""

    name: str  # names the checkpoints; stable for the life of the migration
    table: str
    key: tuple[str, ...]
    reads: tuple[str, ...]  # top-level attributes the update depends on: projected, and its premise
    update: Callable[[dict[str, Any]], Update | None]  # None: this item needs nothing
    scan_filter: str | None = None  # narrows what the scan returns (it still reads every item)


class StopSignal(threading.Event):
    """Set once the run should stop (SIGINT, SIGTERM), with what asked for it."""

    reason = ""

    def request(self, reason: str) -> None:
        self.reason = reason
        self.set()


@dataclass
class BackfillOptions:
    total_segments: int = 16
    segments: Sequence[int] | None = None  # a subset, for fan-out across machines
    workers: int = 16  # segments at work at once; with adaptive_workers, the most the ramp may reach
    adaptive_workers: bool = False  # ramp the number up from a few while throughput rises (concurrency.py)
    page_size: int = 250  # items read per page, so per checkpoint
    lease_seconds: float = 60.0
    dry_run: bool = False
    sample_size: int = 5
    # batch-statement or update-item (scripts/migrate/writes.py); None: the runner probes the endpoint.
    write_api: str | None = None
    conflict_retries: int = 5  # an item that keeps changing under us is left for the next run
    statement_retries: int = 10  # a statement throttled this often counts as failed
    # Set by SIGINT/SIGTERM: segments stop after the request in flight (scripts/commands/migrate.py).
    stop: StopSignal = field(default_factory=StopSignal)
    rate: WriteRateLimiter | None = None  # the write-rate cap, if any
    # A fan-out worker owns its share: it waits for a segment another runner holds (a dead worker's
    # lease expires; a live one finishes it) instead of leaving it undone.
    wait_for_held: bool = False


@dataclass
class BackfillResult:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    consumed_capacity: float = 0.0  # the item reads and writes' capacity units (capacity.total)
    capacity: Capacity = field(default_factory=Capacity)
    concurrency: Concurrency | None = None  # how many segments were at work at once, and how that was chosen
    candidates: int = 0  # dry run: items the update would change
    conflicts: int = 0  # items changed by someone else between read and write, then decided again
    throttled_statements: int = 0  # statements throttled inside a batch request
    sample: list[dict[str, Any]] = field(default_factory=list)
    segments_run: list[int] = field(default_factory=list)
    # Segments left to another live runner: (segment, holder, lease expiry in epoch seconds).
    segments_held: list[tuple[int, str, float]] = field(default_factory=list)
    writes: int = 0  # item writes sent (retries included): what the write cap limits
    elapsed: float = 0.0
    stopped: bool = False  # interrupted, or halted by another segment's failure
    complete: bool = False

    @property
    def write_rate(self) -> float:
        return self.writes / self.elapsed if self.elapsed > 0 else 0.0


PAGES_PER_SAVE = 8  # pages with nothing to write are saved together: a re-run costs few record writes


@dataclass
class _SegmentState:
    """One segment as this run works on it: where the next page starts, and what was counted."""

    segment: int
    checkpoint: dict[str, Any]
    position: dict[str, Any] | None = None  # ExclusiveStartKey of the next page; None at the start
    counts: dict[str, int] = field(default_factory=zero_counts)  # over every run, as saved plus since
    mine: dict[str, int] = field(default_factory=zero_counts)  # this run's own: its ledger entry
    open_page: dict[str, Any] | None = None  # a page an earlier run opened and did not close
    writing: dict[str, int] | None = None  # the page this run is writing: planned writes not yet counted
    recovered: tuple[str, int] | None = None  # writes found made by an earlier run, not yet saved
    unsaved_pages: int = 0

    repass: bool = False  # a pass over a segment read whole before (items failed in it): all re-read

    def __post_init__(self) -> None:
        self.position = self.checkpoint["lastKey"]
        self.counts = dict(self.checkpoint["counts"])
        self.open_page = self.checkpoint.get("openPage")
        self.repass = self.position is None and self.open_page is None and self.counts["scanned"] > 0

    @property
    def failed_before_pass(self) -> int:
        return int(self.checkpoint["failedBeforePass"])

    def add(self, counts: dict[str, int]) -> None:
        for name in COUNTERS:
            self.counts[name] += counts[name]
            self.mine[name] += counts[name]


class _Stop(Exception):  # noqa: N818 (control flow inside a segment, never reported)
    """Raised inside a segment when the run is stopping: leave after the request in flight."""


def backoff(attempt: int, base: float = 0.05, cap: float = 5.0) -> float:
    """Capped exponential backoff with full jitter: botocore's standard-mode formula, for single statements."""
    return random.uniform(0, min(cap, base * 2 ** attempt))


class BackfillRun:
    def __init__(self, client: DynamoDBClient, history: History, migration_id: str, spec: Backfill,
                 options: BackfillOptions, progress: Progress | None = None) -> None:
        self.client = client
        self.history = history
        self.migration_id = migration_id
        self.spec = spec
        self.options = options
        self.progress = progress or (lambda scanned, updated: None)
        self.result = BackfillResult()
        self.lock = threading.Lock()
        self.attributes = tuple(dict.fromkeys((*spec.key, *spec.reads)))
        self.names = {f"#r{i}": name for i, name in enumerate(self.attributes)}
        self.projection = ", ".join(self.names)
        self.target = Target(spec.table, spec.key, tuple(a for a in self.attributes if a not in spec.key))
        # A dry run writes nothing, so it needs no probe of the write path.
        self.writer = writer_for(options.write_api or "batch-statement", client)
        self.halt = threading.Event()  # a segment failed: the others stop too, rather than run to the end
        self.capacity = self.result.capacity  # the scans' and item writes' units, as DynamoDB reported them
        segments = len(options.segments) if options.segments is not None else options.total_segments
        self.concurrency = Concurrency(ceiling=max(1, min(options.workers, segments)),
                                       adaptive=options.adaptive_workers)
        self.result.concurrency = self.concurrency

    def stopping(self) -> bool:
        return self.options.stop.is_set() or self.halt.is_set() or self.history.lost.is_set()

    # --- deciding -------------------------------------------------------------------------------

    def _decide(self, item: dict[str, Any]) -> Update | None:
        update = self.spec.update(item)
        if update is None or not (update.set or update.remove):
            return None
        self.target.check(update)
        return update

    def _as_read(self, raw: dict[str, Any]) -> dict[str, Any]:
        """An item returned whole by a failed write, cut down to what the scan would have projected."""
        return from_item({name: value for name, value in raw.items() if name in self.attributes})

    # --- writing one page -----------------------------------------------------------------------

    def _plan(self, items: list[dict[str, Any]]) -> tuple[list[Write], int]:
        """Each item's write, decided from what was read; and how many items need none."""
        writes, skipped = [], 0
        for item in items:
            update = self._decide(item)
            if update is None:
                skipped += 1
            else:
                writes.append(Write(item, update))
        return writes, skipped

    def _write_page(self, writes: list[Write], counts: dict[str, int]) -> float:
        """Write every planned update; adds each outcome to counts as DynamoDB answers it; returns
        the capacity used."""
        capacity = 0.0
        throttled_rounds = 0
        while writes:
            again: list[Write] = []
            throttled = False
            for start in range(0, len(writes), self.writer.batch_size):
                batch = writes[start:start + self.writer.batch_size]
                if self.stopping() or (self.options.rate is not None and not self.options.rate.take(len(batch))):
                    raise _Stop
                # The lease must still be this run's when the writes go: after a pause, ask first.
                self.history.confirm_lease(self.options.lease_seconds)
                sent = time.monotonic()
                replies, used = self.writer.write(self.target, batch)
                self.concurrency.record(len(batch), sum(r.outcome == "updated" for r in replies),
                                        time.monotonic() - sent, sum(r.outcome == "retry" for r in replies))
                with self.lock:
                    self.result.writes += len(batch)
                capacity += used
                for write, reply in zip(batch, replies, strict=True):
                    if reply.outcome == "updated":
                        counts["updated"] += 1
                    elif reply.outcome == "failed":
                        logger.warning("update of %s in %s failed: %s", write.item, self.spec.table, reply.message)
                        counts["failed"] += 1
                    elif reply.outcome == "retry":
                        throttled = True
                        self._retry_throttled(write, again, counts)
                    elif reply.outcome == "resend":
                        again.append(write)
                    else:
                        self._retry_changed(write, reply.current, again, counts)
            if throttled:
                if self.options.stop.wait(backoff(throttled_rounds)):
                    raise _Stop
                throttled_rounds += 1
            writes = again
        return capacity

    def _retry_throttled(self, write: Write, again: list[Write], counts: dict[str, int]) -> None:
        with self.lock:
            self.result.throttled_statements += 1
        if write.retries >= self.options.statement_retries:
            logger.warning("update of %s in %s was throttled %d times; left for the next run",
                           write.item, self.spec.table, write.retries + 1)
            counts["failed"] += 1
            return
        write.retries += 1
        again.append(write)

    def _retry_changed(self, write: Write, raw_current: dict[str, Any] | None, again: list[Write],
                       counts: dict[str, int]) -> None:
        """Someone changed or deleted the item since it was read: decide again on what is there now.

        The failed write returns the item (ReturnValuesOnConditionCheckFailure=ALL_OLD) whenever it
        still exists, so no item means it was deleted.
        """
        with self.lock:
            self.result.conflicts += 1
        counts["reread"] += 1
        current = self._as_read(raw_current) if raw_current is not None else None
        update = self._decide(current) if current is not None else None
        if current is None or update is None:
            counts["skipped"] += 1  # deleted, or no longer needs the change
        elif write.conflicts >= self.options.conflict_retries:
            logger.warning("item %s in %s kept changing; left for the next run", current, self.spec.table)
            counts["failed"] += 1
        else:
            again.append(Write(current, update, conflicts=write.conflicts + 1, retries=write.retries))

    # --- one segment ----------------------------------------------------------------------------

    def _claim(self, segment: int) -> dict[str, Any] | None:
        """The segment's checkpoint under this runner's lease; None when it is done or left to another."""
        if self.options.dry_run:
            return {"lastKey": None, "counts": dict.fromkeys(COUNTERS, 0), "failedBeforePass": 0}
        waited = False
        while not self.stopping():
            checkpoint = self.history.claim_segment(self.migration_id, self.spec.name, segment,
                                                    self.options.total_segments, self.options.lease_seconds)
            if checkpoint is not None:
                return checkpoint
            holder = self.history.segment(self.migration_id, self.spec.name, segment)
            if holder.get("done"):
                return None
            expires = float(holder.get("leaseExpiresAt", 0))
            # A runner that died a moment ago leaves leases that run out within one lease: worth one
            # wait. A live holder renews its lease meanwhile; then it is reported (or, for a fan-out
            # worker whose share this is, waited for until it finishes or dies).
            if waited and not self.options.wait_for_held:
                with self.lock:
                    self.result.segments_held.append((segment, str(holder.get("owner", "")), expires))
                return None
            waited = True
            self.options.stop.wait(min(max(expires - time.time(), 0.0) + 0.1, self.options.lease_seconds + 0.1))
        raise _Stop

    def _segment(self, segment: int) -> None:
        if self.stopping():
            return
        checkpoint = self._claim(segment)
        if checkpoint is None:
            return
        state = _SegmentState(segment, checkpoint)
        params: dict[str, Any] = {
            "TableName": self.spec.table, "Segment": segment, "TotalSegments": self.options.total_segments,
            "ProjectionExpression": self.projection, "ExpressionAttributeNames": self.names,
            "ReturnConsumedCapacity": "TOTAL", "Limit": self.options.page_size,
        }
        if self.spec.scan_filter:
            params["FilterExpression"] = self.spec.scan_filter
        if state.open_page and state.open_page.get("pageSize"):
            # Re-read exactly the page the earlier run opened: the same start and the same Limit.
            params["Limit"] = state.open_page["pageSize"]
        finished = False
        try:
            while True:
                with self.concurrency.slot(self.options.stop):
                    if self.stopping():
                        raise _Stop
                    if state.position:
                        params["ExclusiveStartKey"] = state.position
                    page: dict[str, Any] = self.client.scan(**params)  # type: ignore[assignment]
                    limit, params["Limit"] = params["Limit"], self.options.page_size
                    self.capacity.add(page.get("ConsumedCapacity"), "read")
                    if self.options.dry_run:
                        for item in (from_item(raw) for raw in page.get("Items", [])):
                            self._observe(item)
                        state.add({**zero_counts(), "scanned": page.get("ScannedCount", 0)})
                        self.progress(page.get("ScannedCount", 0), 0)
                    else:
                        self._page(state, page, limit)
                if "LastEvaluatedKey" not in page:
                    break
                state.position = page["LastEvaluatedKey"]
            finished = True
            if not self.options.dry_run:
                self._save(state, None, pass_ends=True)
        except _Stop:
            if not self.history.lost.is_set() and not self.options.dry_run:
                self._save(state, state.position)
        except LeaseLostError:
            self.halt.set()
            raise
        except Exception:
            self.halt.set()
            if not self.history.lost.is_set() and not self.options.dry_run:
                try:
                    self._save(state, state.position)  # what DynamoDB answered before the failure stays counted
                except Exception:
                    logger.warning("could not save the counts of segment %d", segment,
                                   exc_info=logger.isEnabledFor(logging.DEBUG))
            raise
        finally:
            if not finished and not self.options.dry_run:
                self.history.release_segment(self.migration_id, self.spec.name, segment)
            with self.lock:
                if finished:
                    self.result.segments_run.append(segment)
                for name in COUNTERS:
                    self.result.counts[name] += state.mine[name]

    def _page(self, state: _SegmentState, page: dict[str, Any], limit: int) -> None:
        """Decide and write one page, with one record write before its writes (none when it has none).

        The record write closes the pages before (their counts, and the position after them) and
        opens this one: how many writes it is about to send, not yet counted. A run that dies or
        loses its lease mid-page leaves the page open; the run that takes the segment over re-reads
        it and counts the writes it finds made, for the run that made them.
        """
        items = [from_item(raw) for raw in page.get("Items", [])]
        writes, skipped = self._plan(items)
        page_counts = zero_counts()
        if state.open_page is not None:
            # Read before, by a run that did not close the page: a re-read. Its planned writes that are
            # no longer needed are the ones it made (its failed ones are still needed).
            page_counts["reread"] += page.get("ScannedCount", 0)
            still_needed = max(0, len(writes) - state.open_page["failed"])
            made = max(0, state.open_page["planned"] - still_needed)
            state.counts["updated"] += made
            state.recovered = (state.open_page["run"], made)
            state.open_page = None
        elif state.repass:  # read and decided in an earlier pass: counted there
            page_counts["reread"] += page.get("ScannedCount", 0)
        else:
            page_counts["scanned"] += page.get("ScannedCount", 0)
            page_counts["skipped"] += skipped
        state.add(page_counts)
        if not writes:
            state.unsaved_pages += 1
            if state.unsaved_pages >= PAGES_PER_SAVE and "LastEvaluatedKey" in page:
                self._save(state, page["LastEvaluatedKey"])
            self.progress(page.get("ScannedCount", 0), 0)
            return
        # The page's Limit is kept with it: whoever re-reads it must read the same range.
        state.writing = {"planned": len(writes), "failed": 0, "pageSize": limit}
        self._save(state, state.position)
        done = zero_counts()
        try:
            self.capacity.add_units(write=self._write_page(writes, done))
        finally:
            state.add(done)
            resolved = done["updated"] + done["failed"] + done["skipped"]
            state.writing = {"planned": len(writes) - resolved, "failed": done["failed"], "pageSize": limit}
        state.writing = None
        state.unsaved_pages += 1
        self.progress(page.get("ScannedCount", 0), done["updated"])

    def _save(self, state: _SegmentState, position: dict[str, Any] | None, pass_ends: bool = False) -> None:
        """One fenced record write of the segment: position, counts, this run's ledger entry, open page."""
        self.history.checkpoint(self.migration_id, self.spec.name, state.segment, position, state.counts,
                                state.mine, self.options.lease_seconds, state.failed_before_pass,
                                open_page=state.writing, recovered=state.recovered, pass_ends=pass_ends)
        state.recovered = None
        state.unsaved_pages = 0

    def _observe(self, item: dict[str, Any]) -> None:
        update = self._decide(item)
        if update is None:
            return
        with self.lock:
            self.result.candidates += 1
            if len(self.result.sample) < self.options.sample_size:
                self.result.sample.append({"key": {k: item[k] for k in self.spec.key}, "update": update.describe()})

    # --- all segments ---------------------------------------------------------------------------

    def _check_segment_count(self) -> None:
        """A resumed backfill keeps its segment count: checkpoints of 16 segments mean nothing in 8."""
        if self.options.dry_run:
            return
        totals = {int(s["totalSegments"]) for s in self.history.segments(self.migration_id, self.spec.name)
                  if "totalSegments" in s}
        if totals and totals != {self.options.total_segments}:
            raise ToolError("SegmentsChanged", f"backfill {self.spec.name} was started with "
                                               f"--total-segments {max(totals)}; resume it with the same "
                                               f"(this run asked for {self.options.total_segments})")

    def run(self) -> BackfillResult:
        self._check_segment_count()
        segments = list(self.options.segments if self.options.segments is not None
                        else range(self.options.total_segments))
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(max_workers=self.concurrency.ceiling) as pool:
                futures = [pool.submit(self._segment, s) for s in segments]
                errors = [f.exception() for f in futures]  # every segment ends (and releases) before we report
        finally:
            self.result.elapsed = time.monotonic() - started
        self.result.consumed_capacity = self.capacity.total
        if self.history.lost.is_set():
            raise LeaseLostError(self.history.lost_to)  # whatever else failed, failed because of it
        failure = next((e for e in errors if e is not None), None)
        if failure is not None:
            raise failure
        self.result.consumed_capacity = self.capacity.total
        self.result.stopped = self.stopping()
        if self.options.dry_run or self.result.stopped:
            self.result.complete = False
        else:
            done = [s for s in self.history.segments(self.migration_id, self.spec.name) if s.get("done")]
            self.result.complete = len(done) == self.options.total_segments
        return self.result


def run_backfill(client: DynamoDBClient, history: History, migration_id: str, spec: Backfill, options: BackfillOptions,
                 progress: Progress | None = None) -> BackfillResult:
    return BackfillRun(client, history, migration_id, spec, options, progress).run()
