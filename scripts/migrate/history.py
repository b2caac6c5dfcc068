"""The migrations table: one record per migration, a checkpoint per scan segment, and the lock.

Layout (declared in components/families/migration_history.py): partition key `pk`, sort key `sk`.
- pk=<migration id>, sk=RECORD: status running|succeeded|failed|interrupted|incomplete, checksum,
  times, counts over every run, each run's own counts (`runs`), and who verifies.
- pk=<migration id>, sk=SEGMENT#<backfill>#<n>: LastEvaluatedKey, counts, done, the segment count
  it belongs to, and the lease of the worker that holds the segment.
- pk=LOCK, sk=LOCK: the runner lock: holder and lease expiry.
Every write that can race is conditional; nothing here overwrites another runner's state.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from scripts.aws import DynamoDBClient, error_code
from scripts.errors import ToolError
from scripts.item_codec import from_item, to_item

RECORD = "RECORD"
SEGMENT_PREFIX = "SEGMENT#"
LOCK_KEY = {"pk": {"S": "LOCK"}, "sk": {"S": "LOCK"}}
COUNTERS = ("scanned", "updated", "skipped", "failed")

def epoch(seconds_from_now: float = 0.0) -> Decimal:
    """A lease time: DynamoDB numbers go through Decimal (the serializer refuses floats)."""
    return Decimal(str(round(time.time() + seconds_from_now, 3)))


def who_am_i() -> str:
    # user@host:pid names the runner for people; the suffix tells two runners in one process apart.
    return f"{getpass.getuser()}@{socket.gethostname()}:{os.getpid()}/{uuid.uuid4().hex[:6]}"


def is_conditional_failure(error: ClientError) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"


@dataclass
class MigrationRecord:
    migration_id: str
    status: str
    checksum: str
    description: str = ""
    started_at: str = ""
    finished_at: str = ""
    ran_by: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    error: str = ""
    runs: list[dict[str, Any]] = field(default_factory=list)  # each run's own outcome and counts


@dataclass(frozen=True)
class SegmentState:
    """One scan segment's checkpoint, as `migrate status` shows it."""

    backfill: str
    segment: int
    total_segments: int
    done: bool
    holder: str
    lease_expires_at: float
    counts: dict[str, int]

    def held(self, now: float) -> bool:
        return not self.done and bool(self.holder) and self.lease_expires_at > now


def clock(epoch_seconds: float) -> str:
    return time.strftime("%H:%M:%SZ", time.gmtime(epoch_seconds))


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class History:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table
        self.me = who_am_i()
        # Segment leases this runner holds, renewed by the heartbeat while a page is slow (a low write cap).
        self._held: set[tuple[str, str, int]] = set()
        self._held_lock = threading.Lock()

    # --- records ----------------------------------------------------------------------------------

    def records(self) -> dict[str, MigrationRecord]:
        found: dict[str, MigrationRecord] = {}
        paginator = self.client.get_paginator("scan")
        for page in paginator.paginate(TableName=self.table, ConsistentRead=True,
                                       FilterExpression="sk = :record",
                                       ExpressionAttributeValues={":record": {"S": RECORD}}):
            for item in page.get("Items", []):
                values = from_item(item)
                found[values["pk"]] = MigrationRecord(
                    migration_id=values["pk"], status=values["status"], checksum=values["checksum"],
                    description=values.get("description", ""), started_at=values.get("startedAt", ""),
                    finished_at=values.get("finishedAt", ""), ran_by=values.get("ranBy", ""),
                    counts={name: int(values.get(name, 0)) for name in COUNTERS}, error=values.get("error", ""),
                    runs=[{k: int(v) if isinstance(v, Decimal) else v for k, v in run.items()}
                          for run in values.get("runs", [])])
        return found

    def start(self, migration_id: str, checksum: str, description: str) -> str:
        """Mark a migration running (a new record, or an unfinished one resumed); returns its first start time.

        The first start is the undo point: no write of this migration, in this run or an earlier
        one, happened before it.
        """
        response = self.client.update_item(
            TableName=self.table, Key=to_item({"pk": migration_id, "sk": RECORD}),
            UpdateExpression="SET #status = :running, checksum = :checksum, description = :description, "
                             "startedAt = if_not_exists(startedAt, :now), ranBy = :me "
                             "REMOVE finishedAt, #error, verifier",
            ConditionExpression="attribute_not_exists(pk) OR #status <> :succeeded",
            ExpressionAttributeNames={"#status": "status", "#error": "error"},
            ExpressionAttributeValues=to_item({":running": "running", ":checksum": checksum,
                                               ":description": description, ":now": _now_iso(), ":me": self.me,
                                               ":succeeded": "succeeded"}),
            ReturnValues="ALL_NEW")
        return str(from_item(response["Attributes"])["startedAt"])

    def finish(self, migration_id: str, status: str, run_counts: dict[str, int], error: str = "",
               started_at: str = "") -> None:
        """Record how a run ended: the migration's status, its counts over every run, and this run's own.

        The totals come from the segment checkpoints, which every run (a killed one too) kept up to
        date page by page; this run's counts are appended to `runs`. A fan-out worker that ends
        `partial` leaves the status `running` for the workers still at it.
        """
        totals = self.segment_totals(migration_id)
        run = {"ranBy": self.me, "startedAt": started_at, "finishedAt": _now_iso(), "outcome": status,
               **{name: run_counts.get(name, 0) for name in COUNTERS}}
        if error:
            run["error"] = error[:1000]
        values: dict[str, Any] = {":run": [run], ":empty": [],
                                  **{f":{name}": totals[name] for name in COUNTERS}}
        expression = ("SET runs = list_append(if_not_exists(runs, :empty), :run), "
                      + ", ".join(f"{n} = :{n}" for n in COUNTERS))
        names = {}
        if status != "partial":  # a partial worker's record stays running, unfinished, for the others
            expression += ", #status = :status, finishedAt = :now"
            names["#status"] = "status"
            values[":status"] = status
            values[":now"] = run["finishedAt"]
        if error:
            expression += ", #error = :error"
            names["#error"] = "error"
            values[":error"] = error[:1000]
        request: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        if status == "succeeded":
            # Applied only from running: a record another runner failed or interrupted meanwhile stays so.
            request["ConditionExpression"] = "#status = :running"
            values[":running"] = "running"  # "#status" is named already: succeeded is not partial
        try:
            self.client.update_item(
                TableName=self.table, Key=to_item({"pk": migration_id, "sk": RECORD}), UpdateExpression=expression,
                ExpressionAttributeValues=to_item(values), **request)
        except ClientError as error:
            if is_conditional_failure(error):
                raise ToolError("NotRunning", f"migration {migration_id} verified, but another runner changed its "
                                              "record meanwhile; run tables migrate status") from None
            raise

    def claim_verification(self, migration_id: str) -> bool:
        """Whether this runner is the one to verify a migration whose segments are all done (fan-out:
        several workers can see that at once; exactly one verifies)."""
        try:
            self.client.update_item(
                TableName=self.table, Key=to_item({"pk": migration_id, "sk": RECORD}),
                UpdateExpression="SET verifier = :me",
                ConditionExpression="#status = :running AND (attribute_not_exists(verifier) OR verifier = :me)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item({":me": self.me, ":running": "running"}))
        except ClientError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    # --- segment checkpoints ----------------------------------------------------------------------

    def segment_key(self, migration_id: str, backfill: str, segment: int) -> dict[str, Any]:
        return to_item({"pk": migration_id, "sk": f"SEGMENT#{backfill}#{segment:05d}"})

    def claim_segment(self, migration_id: str, backfill: str, segment: int, total_segments: int,
                      lease_seconds: float) -> dict[str, Any] | None:
        """Take (or keep) the lease on a segment; None when it is done or another worker holds it.

        Returns the checkpoint: the LastEvaluatedKey to resume from (or None) and the counts so far.
        """
        now = epoch()
        try:
            response = self.client.update_item(
                TableName=self.table, Key=self.segment_key(migration_id, backfill, segment),
                UpdateExpression="SET #owner = :me, leaseExpiresAt = :expires, totalSegments = :total",
                ConditionExpression="(attribute_not_exists(done) OR done = :false) AND "
                                    "(attribute_not_exists(#owner) OR #owner = :me OR leaseExpiresAt < :now)",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues=to_item({":me": self.me, ":expires": epoch(lease_seconds), ":now": now,
                                                   ":false": False, ":total": total_segments}),
                ReturnValues="ALL_NEW")
        except ClientError as error:
            if is_conditional_failure(error):
                return None
            raise
        with self._held_lock:
            self._held.add((migration_id, backfill, segment))
        values = from_item(response["Attributes"])
        return {"lastKey": json.loads(values["lastKey"]) if values.get("lastKey") else None,
                "counts": {name: int(values.get(name, 0)) for name in COUNTERS},
                "failedBeforePass": int(values.get("failedBeforePass", 0))}

    def checkpoint(self, migration_id: str, backfill: str, segment: int, last_key: dict[str, Any] | None,
                   counts: dict[str, int], lease_seconds: float, failed_before_pass: int = 0) -> None:
        """Save progress after a page; fails if the lease was lost (another worker took over).

        last_key None ends a pass over the segment. It is done unless items failed during the pass
        (counts["failed"] grew past failed_before_pass): then the next run scans it again from the
        start and retries them; the items already written fail the scan filter or their premise.
        """
        pass_ends = last_key is None
        done = pass_ends and counts["failed"] == failed_before_pass
        values: dict[str, Any] = {
            # The end of a pass gives up the lease, so the next run can take the segment at once.
            ":me": self.me, ":expires": epoch(0 if pass_ends else lease_seconds), ":done": done,
            ":failedBeforePass": counts["failed"] if pass_ends else failed_before_pass,
            **{f":{name}": counts[name] for name in COUNTERS}}
        expression = ("SET leaseExpiresAt = :expires, done = :done, failedBeforePass = :failedBeforePass, "
                      + ", ".join(f"{n} = :{n}" for n in COUNTERS))
        if pass_ends:
            with self._held_lock:
                self._held.discard((migration_id, backfill, segment))
            expression += " REMOVE lastKey"
        else:
            expression += ", lastKey = :lastKey"
            values[":lastKey"] = json.dumps(last_key)
        try:
            self.client.update_item(
                TableName=self.table, Key=self.segment_key(migration_id, backfill, segment),
                UpdateExpression=expression, ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "owner"}, ExpressionAttributeValues=to_item(values))
        except ClientError as error:
            if is_conditional_failure(error):
                raise ToolError("LeaseLost", f"segment {segment} of {migration_id}/{backfill} was taken over by "
                                             "another worker after this one's lease expired") from None
            raise

    def save_counts(self, migration_id: str, backfill: str, segment: int, counts: dict[str, int]) -> None:
        """Save a segment's counts without moving its checkpoint (a page left half-written by a stop)."""
        try:
            self.client.update_item(
                TableName=self.table, Key=self.segment_key(migration_id, backfill, segment),
                UpdateExpression="SET " + ", ".join(f"{n} = :{n}" for n in COUNTERS),
                ConditionExpression="#owner = :me", ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues=to_item({":me": self.me, **{f":{n}": counts[n] for n in COUNTERS}}))
        except ClientError as error:
            if not is_conditional_failure(error):
                raise

    def segment(self, migration_id: str, backfill: str, segment: int) -> dict[str, Any]:
        """One segment's checkpoint as stored (empty when no runner claimed it yet)."""
        found = self.client.get_item(TableName=self.table, Key=self.segment_key(migration_id, backfill, segment),
                                     ConsistentRead=True)
        return from_item(found.get("Item", {}))

    def release_segment(self, migration_id: str, backfill: str, segment: int) -> None:
        """Give up a segment's lease at once (a failed or interrupted run), keeping its checkpoint."""
        with self._held_lock:
            self._held.discard((migration_id, backfill, segment))
        try:
            self.client.update_item(
                TableName=self.table, Key=self.segment_key(migration_id, backfill, segment),
                UpdateExpression="SET leaseExpiresAt = :zero", ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "owner"}, ExpressionAttributeValues=to_item({
                    ":me": self.me, ":zero": 0}))
        except ClientError as error:
            if not is_conditional_failure(error):  # already taken over: nothing of ours to release
                raise

    def renew_segments(self, lease_seconds: float) -> None:
        with self._held_lock:
            held = sorted(self._held)
        for migration_id, backfill, segment in held:
            try:
                self.client.update_item(
                    TableName=self.table, Key=self.segment_key(migration_id, backfill, segment),
                    UpdateExpression="SET leaseExpiresAt = :expires", ConditionExpression="#owner = :me",
                    ExpressionAttributeNames={"#owner": "owner"},
                    ExpressionAttributeValues=to_item({":me": self.me, ":expires": epoch(lease_seconds)}))
            except ClientError as error:
                if not is_conditional_failure(error):  # lost: the segment's next checkpoint says so
                    raise

    def segments(self, migration_id: str, backfill: str | None = None) -> list[dict[str, Any]]:
        """The segment checkpoints of one backfill of a migration, or of all its backfills."""
        prefix = SEGMENT_PREFIX + (f"{backfill}#" if backfill is not None else "")
        response = self.client.get_paginator("query").paginate(
            TableName=self.table, ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": migration_id, ":prefix": prefix}))
        return [from_item(item) for page in response for item in page.get("Items", [])]

    def segment_states(self, migration_id: str) -> list[SegmentState]:
        found = []
        for values in self.segments(migration_id):
            backfill, _, number = str(values["sk"])[len(SEGMENT_PREFIX):].rpartition("#")
            found.append(SegmentState(
                backfill=backfill, segment=int(number), total_segments=int(values.get("totalSegments", 0)),
                done=bool(values.get("done")), holder=str(values.get("owner", "")),
                lease_expires_at=float(values.get("leaseExpiresAt", 0)),
                counts={name: int(values.get(name, 0)) for name in COUNTERS}))
        return sorted(found, key=lambda s: (s.backfill, s.segment))

    def segment_totals(self, migration_id: str) -> dict[str, int]:
        """Counts over every run of a migration: the sum of its segments' checkpoints."""
        totals = dict.fromkeys(COUNTERS, 0)
        for state in self.segment_states(migration_id):
            for name in COUNTERS:
                totals[name] += state.counts[name]
        return totals

    # --- the lock ---------------------------------------------------------------------------------

    def acquire_lock(self, lease_seconds: float) -> None:
        now = epoch()
        try:
            self.client.put_item(
                TableName=self.table,
                Item={**LOCK_KEY, **to_item({"holder": self.me, "expiresAt": epoch(lease_seconds),
                                             "acquiredAt": _now_iso()})},
                ConditionExpression="attribute_not_exists(pk) OR expiresAt < :now OR holder = :me",
                ExpressionAttributeValues=to_item({":now": now, ":me": self.me}))
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            current = from_item(self.client.get_item(TableName=self.table, Key=LOCK_KEY,
                                                     ConsistentRead=True).get("Item", {}))
            until = clock(float(current.get("expiresAt", now)))
            raise ToolError("LockHeld", f"another runner holds the migration lock on {self.table}: "
                                        f"{current.get('holder', 'unknown')} (since {current.get('acquiredAt', '?')}, "
                                        f"lease until {until}); it expires if that runner died") from None

    def renew_lock(self, lease_seconds: float) -> None:
        try:
            self.client.update_item(
                TableName=self.table, Key=LOCK_KEY, UpdateExpression="SET expiresAt = :expires",
                ConditionExpression="holder = :me",
                ExpressionAttributeValues=to_item({":expires": epoch(lease_seconds), ":me": self.me}))
        except ClientError as error:
            if is_conditional_failure(error):
                raise ToolError("LockLost", f"the migration lock on {self.table} was taken by another runner") \
                    from None
            raise

    def release_lock(self) -> None:
        try:
            self.client.delete_item(TableName=self.table, Key=LOCK_KEY, ConditionExpression="holder = :me",
                                    ExpressionAttributeValues=to_item({":me": self.me}))
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
