"""The migrations table: one record per migration, a checkpoint per scan segment, and the lock.

Layout (declared in components/families/migration_history.py): partition key `pk`, sort key `sk`.
- pk=<migration id>, sk=RECORD: status running|succeeded|failed|interrupted|incomplete, checksum,
  times, counts over every run, each run's own counts (`runs`), and who verifies.
- pk=<migration id>, sk=SEGMENT#<backfill>#<n>: LastEvaluatedKey, counts over every run, each run's
  own counts (`ledger`, by run), the page being written (`openPage`), done, the segment count it
  belongs to, and the lease of the worker that holds the segment.
- pk=LOCK, sk=LOCK: the runner lock: holder, lease expiry and version. The version goes up by one
  with every holder and is that run's fencing token.
Every write that can race is conditional; nothing here overwrites another runner's state. Under the
lock, every write to the records also checks the lock still carries the writer's token.
"""

from __future__ import annotations

import getpass
import json
import os
import random
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
# What each run counts, per segment, from DynamoDB's answers: items scanned (each position once),
# updated, skipped (nothing to change), failed, and re-read (a conflict decided again, or a page
# scanned again after a stop or a takeover).
COUNTERS = ("scanned", "updated", "skipped", "failed", "reread")
COUNTER_LABELS = {"scanned": "scanned", "updated": "updated", "skipped": "skipped", "failed": "failed",
                  "reread": "re-read"}

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


class LeaseLostError(ToolError):
    """Another run holds the lease this run's records were written under: this run stops at once.

    Its next record write failed on its fencing token, so nothing of its records was written after
    the other run took over (Kleppmann's fencing tokens: the store, not the stale holder, refuses).
    """

    exit_code = 1

    def __init__(self, holder: str) -> None:
        super().__init__("LeaseLost", f"lease lost to run {holder or 'unknown'}; stopping, nothing of this run's "
                                      "records written after it")
        self.holder = holder


@dataclass
class Capacity:
    """Capacity units DynamoDB reported consuming (ReturnConsumedCapacity), read and write apart."""

    read: float = 0.0
    write: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, consumed: Any, kind: str) -> None:
        """Add one response's ConsumedCapacity (one entry or a list); `kind` for entries that do not split."""
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        read = write = 0.0
        for entry in entries:
            if "ReadCapacityUnits" in entry or "WriteCapacityUnits" in entry:
                read += float(entry.get("ReadCapacityUnits", 0.0))
                write += float(entry.get("WriteCapacityUnits", 0.0))
            elif kind == "read":
                read += float(entry.get("CapacityUnits", 0.0))
            else:
                write += float(entry.get("CapacityUnits", 0.0))
        with self._lock:
            self.read += read
            self.write += write

    def add_units(self, read: float = 0.0, write: float = 0.0) -> None:
        with self._lock:
            self.read += read
            self.write += write

    @property
    def total(self) -> float:
        return self.read + self.write


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def _counts_of(values: Any) -> dict[str, int]:
    values = values or {}
    return {name: int(values.get(name, 0)) for name in COUNTERS}


# Where a record write failed: the lock (another run holds the lease now) or the item's own condition.
_LOCK, _ITEM = "lock", "item"
# A transaction that touches an item another write is changing is refused with TransactionConflict
# (the heartbeat renewing the lock while a checkpoint checks it): worth sending again.
_CONFLICT_ATTEMPTS = 8


class History:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table
        self.me = who_am_i()
        # The lock's version while this run holds it: the fencing token every record write carries.
        self.token: int | None = None
        self.lost = threading.Event()  # set once a record write found the lease taken: write nothing more
        self.lost_to = ""
        self.capacity = Capacity()  # what this run's record writes and reads consumed
        # When a fenced write or renewal last succeeded (monotonic clock, taken before it was sent).
        # The monotonic clock runs on while the process is stopped (SIGSTOP, a frozen VM), so a gap
        # longer than the lease shows here before any item write goes out.
        self.confirmed_at = time.monotonic()
        self._confirming = threading.Lock()
        # Segment leases this runner holds, renewed by the heartbeat while a page is slow (a low write cap).
        self._held: set[tuple[str, str, int]] = set()
        self._held_lock = threading.Lock()

    # --- fenced writes ------------------------------------------------------------------------------

    def _lose(self, holder: str) -> LeaseLostError:
        if not self.lost.is_set():
            self.lost_to = holder
            self.lost.set()
        return LeaseLostError(self.lost_to)

    def lock_holder(self) -> str:
        found = self.client.get_item(TableName=self.table, Key=LOCK_KEY, ConsistentRead=True,
                                     ReturnConsumedCapacity="TOTAL")
        self.capacity.add(found.get("ConsumedCapacity"), "read")
        return str(from_item(found.get("Item", {})).get("holder", ""))

    def _write(self, key: dict[str, Any], expression: str, condition: str, names: dict[str, str],
               values: dict[str, Any]) -> str | None:
        """One conditional update of a record of this run; None when applied, else what refused it.

        Under the lock, the update goes in one transaction with a check that the lock still carries
        this run's token, so a run that lost the lock cannot write one more record. A run that has
        seen its lease lost writes nothing at all.
        """
        if self.lost.is_set():
            raise LeaseLostError(self.lost_to)
        update: dict[str, Any] = {"TableName": self.table, "Key": key, "UpdateExpression": expression,
                                  "ConditionExpression": condition, "ExpressionAttributeValues": to_item(values)}
        if names:
            update["ExpressionAttributeNames"] = names
        sent_at = time.monotonic()
        if self.token is None:
            try:
                response = self.client.update_item(**update, ReturnConsumedCapacity="TOTAL")
            except ClientError as error:
                if is_conditional_failure(error):
                    return _ITEM
                raise
            self.capacity.add(response.get("ConsumedCapacity"), "write")
            return None
        fence: dict[str, Any] = {"TableName": self.table, "Key": LOCK_KEY,
                                 "ConditionExpression": "holder = :me AND version = :token",
                                 "ExpressionAttributeValues": to_item({":me": self.me, ":token": self.token})}
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                answer = self.client.transact_write_items(
                    TransactItems=[{"ConditionCheck": fence}, {"Update": update}],  # type: ignore[typeddict-item]
                    ReturnConsumedCapacity="TOTAL")
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise
                reasons: Any = error.response.get("CancellationReasons") or []
                codes = [r.get("Code") or "None" for r in reasons]
                if codes[:1] == ["ConditionalCheckFailed"]:
                    return _LOCK
                if codes[1:2] == ["ConditionalCheckFailed"]:
                    return _ITEM
                if "TransactionConflict" in codes and attempt + 1 < _CONFLICT_ATTEMPTS:
                    time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
                    continue
                raise
            self.capacity.add(answer.get("ConsumedCapacity"), "write")
            self.confirmed_at = max(self.confirmed_at, sent_at)
            return None
        raise AssertionError("unreachable")

    def _fenced(self, key: dict[str, Any], expression: str, condition: str, names: dict[str, str],
                values: dict[str, Any], holder_of_item: Any = None) -> None:
        """A write that only a run still holding its lease may make: any refusal means the lease was lost."""
        refused = self._write(key, expression, condition, names, values)
        if refused == _LOCK:
            raise self._lose(self.lock_holder())
        if refused == _ITEM:
            raise self._lose(holder_of_item() if holder_of_item else self.lock_holder())

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
                    counts=_counts_of(values), error=values.get("error", ""),
                    runs=[{k: int(v) if isinstance(v, Decimal) else v for k, v in run.items()}
                          for run in values.get("runs", [])])
        return found

    def record_key(self, migration_id: str) -> dict[str, Any]:
        return to_item({"pk": migration_id, "sk": RECORD})

    def record_holder(self, migration_id: str) -> str:
        found = self.client.get_item(TableName=self.table, Key=self.record_key(migration_id), ConsistentRead=True)
        return str(from_item(found.get("Item", {})).get("ranBy", ""))

    def start(self, migration_id: str, checksum: str, description: str) -> str:
        """Mark a migration running (a new record, or an unfinished one resumed); returns its first start time.

        The first start is the undo point: no write of this migration, in this run or an earlier
        one, happened before it. The record takes this run's fencing token: a run with an older one
        can no longer write it.
        """
        values: dict[str, Any] = {":running": "running", ":checksum": checksum, ":description": description,
                                  ":now": _now_iso(), ":me": self.me, ":succeeded": "succeeded"}
        condition = "(attribute_not_exists(pk) OR #status <> :succeeded)"
        expression = ("SET #status = :running, checksum = :checksum, description = :description, "
                      "startedAt = if_not_exists(startedAt, :now), ranBy = :me")
        if self.token is not None:
            expression += ", fence = :token"
            condition += " AND (attribute_not_exists(fence) OR fence <= :token)"
            values[":token"] = self.token
        expression += " REMOVE finishedAt, #error, verifier"
        refused = self._write(self.record_key(migration_id), expression, condition,
                              {"#status": "status", "#error": "error"}, values)
        if refused == _LOCK:
            raise self._lose(self.lock_holder())
        if refused == _ITEM:
            raise ToolError("NotRunning", f"migration {migration_id} succeeded or was taken by a newer run "
                                          f"({self.record_holder(migration_id)}) meanwhile; run tables migrate status")
        found = self.client.get_item(TableName=self.table, Key=self.record_key(migration_id), ConsistentRead=True)
        return str(from_item(found["Item"])["startedAt"])

    def finish(self, migration_id: str, status: str, error: str = "", started_at: str = "") -> dict[str, int]:
        """Record how a run ended: the migration's status, its totals, and this run's outcome; returns
        this run's counts.

        Counts come from the segment ledgers (what each run wrote, page by page, as DynamoDB
        answered): the totals are their sum over every run, this run's its own entries. A fan-out
        worker that ends `partial` leaves the status `running` for the workers still at it. Every
        write is fenced: a run whose lease passed to another writes nothing here.
        """
        ledgers = self.ledgers(migration_id)
        mine = ledgers.get(self.me, zero_counts())
        totals = zero_counts()
        for counts in ledgers.values():
            for name in COUNTERS:
                totals[name] += counts[name]
        run = {"ranBy": self.me, "startedAt": started_at, "finishedAt": _now_iso(), "outcome": status, **mine}
        if error:
            run["error"] = error[:1000]
        values: dict[str, Any] = {":run": [run], ":empty": [], **{f":{name}": totals[name] for name in COUNTERS}}
        expression = ("SET runs = list_append(if_not_exists(runs, :empty), :run), "
                      + ", ".join(f"{n} = :{n}" for n in COUNTERS))
        names: dict[str, str] = {}
        # A fan-out worker shares the record: it may append its run; the status belongs to the last one.
        condition = "attribute_exists(pk)"
        if self.token is not None:
            condition += " AND fence = :token"
            values[":token"] = self.token
        if status != "partial":  # a partial worker's record stays running, unfinished, for the others
            expression += ", #status = :status, finishedAt = :now"
            names["#status"] = "status"
            values[":status"] = status
            values[":now"] = run["finishedAt"]
        if error:
            expression += ", #error = :error"
            names["#error"] = "error"
            values[":error"] = error[:1000]
        if status == "succeeded":
            # Applied only from running: a record another runner failed or interrupted meanwhile stays so.
            condition += " AND #status = :running"
            values[":running"] = "running"
        refused = self._write(self.record_key(migration_id), expression, condition, names, values)
        if refused == _LOCK:
            raise self._lose(self.lock_holder())
        if refused == _ITEM:
            if self.token is not None:
                raise self._lose(self.record_holder(migration_id))
            raise ToolError("NotRunning", f"migration {migration_id} verified, but another runner changed its "
                                          "record meanwhile; run tables migrate status")
        return mine

    def claim_verification(self, migration_id: str) -> bool:
        """Whether this runner is the one to verify a migration whose segments are all done (fan-out:
        several workers can see that at once; exactly one verifies)."""
        values: dict[str, Any] = {":me": self.me, ":running": "running"}
        condition = "#status = :running AND (attribute_not_exists(verifier) OR verifier = :me)"
        if self.token is not None:
            condition += " AND fence = :token"
            values[":token"] = self.token
        refused = self._write(self.record_key(migration_id), "SET verifier = :me", condition,
                              {"#status": "status"}, values)
        if refused == _LOCK or (refused == _ITEM and self.token is not None):
            raise self._lose(self.lock_holder() if refused == _LOCK else self.record_holder(migration_id))
        return refused is None

    # --- segment checkpoints ----------------------------------------------------------------------

    def segment_key(self, migration_id: str, backfill: str, segment: int) -> dict[str, Any]:
        return to_item({"pk": migration_id, "sk": f"SEGMENT#{backfill}#{segment:05d}"})

    def _segment_owner(self, migration_id: str, backfill: str, segment: int) -> Any:
        return lambda: str(self.segment(migration_id, backfill, segment).get("owner", ""))

    def claim_segment(self, migration_id: str, backfill: str, segment: int, total_segments: int,
                      lease_seconds: float) -> dict[str, Any] | None:
        """Take (or keep) the lease on a segment; None when it is done or another worker holds it.

        Returns the checkpoint: the LastEvaluatedKey to resume from (or None), the counts so far,
        and the page an earlier run opened and did not close (it died or lost its lease mid-page):
        how many of that page's writes it planned and never recorded, and who it was.
        """
        key = self.segment_key(migration_id, backfill, segment)
        refused = self._write(
            key, "SET #owner = :me, leaseExpiresAt = :expires, totalSegments = :total, "
                 "ledger = if_not_exists(ledger, :nobody)",
            "(attribute_not_exists(done) OR done = :false) AND "
            "(attribute_not_exists(#owner) OR #owner = :me OR leaseExpiresAt < :now)",
            {"#owner": "owner"},
            {":me": self.me, ":expires": epoch(lease_seconds), ":now": epoch(), ":false": False,
             ":total": total_segments, ":nobody": {}})
        if refused == _LOCK:
            raise self._lose(self.lock_holder())
        if refused == _ITEM:
            return None
        with self._held_lock:
            self._held.add((migration_id, backfill, segment))
        values = self.segment(migration_id, backfill, segment)
        open_page = values.get("openPage")
        return {"lastKey": json.loads(values["lastKey"]) if values.get("lastKey") else None,
                "counts": _counts_of(values),
                "failedBeforePass": int(values.get("failedBeforePass", 0)),
                "openPage": ({"run": str(open_page.get("run", "")), "planned": int(open_page.get("planned", 0)),
                              "failed": int(open_page.get("failed", 0)),
                              "pageSize": int(open_page.get("pageSize", 0))} if open_page else None)}

    def checkpoint(self, migration_id: str, backfill: str, segment: int, last_key: dict[str, Any] | None,
                   counts: dict[str, int], run_counts: dict[str, int], lease_seconds: float,
                   failed_before_pass: int = 0, open_page: dict[str, int] | None = None,
                   recovered: tuple[str, int] | None = None, pass_ends: bool = False) -> None:
        """Save a segment's progress in one fenced write: where the next page starts, the counts
        over every run, this run's own counts (its ledger entry), and the page now being written.

        `open_page` ({planned, failed}) names the writes of the page after `last_key` that this run
        is about to send and has not counted: a run that takes the segment over re-reads that page
        and counts those it finds done (`recovered`: the earlier run, and how many).

        `pass_ends` ends a pass over the segment. It is done unless items failed during the pass
        (counts["failed"] grew past failed_before_pass): then the next run scans it again from the
        start and retries them; the items already written fail the scan filter or their premise.
        """
        done = pass_ends and counts["failed"] == failed_before_pass
        values: dict[str, Any] = {
            # The end of a pass gives up the lease, so the next run can take the segment at once.
            ":me": self.me, ":expires": epoch(0 if pass_ends else lease_seconds), ":done": done,
            ":failedBeforePass": counts["failed"] if pass_ends else failed_before_pass, ":run": run_counts,
            **{f":{name}": counts[name] for name in COUNTERS}}
        names = {"#owner": "owner", "#me": self.me}
        sets = ["leaseExpiresAt = :expires", "done = :done", "failedBeforePass = :failedBeforePass",
                "ledger.#me = :run", *(f"{n} = :{n}" for n in COUNTERS)]
        removes = []
        if recovered is not None and recovered[1] and recovered[0] != self.me:
            names["#earlier"] = recovered[0]
            sets.append("ledger.#earlier.updated = ledger.#earlier.updated + :recovered")
            values[":recovered"] = recovered[1]
        if last_key is None:
            removes.append("lastKey")
        else:
            sets.append("lastKey = :lastKey")
            values[":lastKey"] = json.dumps(last_key)
        if open_page:
            sets.append("openPage = :open")
            values[":open"] = {"run": self.me, **open_page}
        else:
            removes.append("openPage")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        if pass_ends:
            with self._held_lock:
                self._held.discard((migration_id, backfill, segment))
        self._fenced(self.segment_key(migration_id, backfill, segment), expression, "#owner = :me", names, values,
                     self._segment_owner(migration_id, backfill, segment))

    def segment(self, migration_id: str, backfill: str, segment: int) -> dict[str, Any]:
        """One segment's checkpoint as stored (empty when no runner claimed it yet)."""
        found = self.client.get_item(TableName=self.table, Key=self.segment_key(migration_id, backfill, segment),
                                     ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
        self.capacity.add(found.get("ConsumedCapacity"), "read")
        return from_item(found.get("Item", {}))

    def release_segment(self, migration_id: str, backfill: str, segment: int) -> None:
        """Give up a segment's lease at once (a failed or interrupted run), keeping its checkpoint."""
        with self._held_lock:
            self._held.discard((migration_id, backfill, segment))
        if self.lost.is_set():
            return  # the segment is another run's now, or will be
        refused = self._write(self.segment_key(migration_id, backfill, segment), "SET leaseExpiresAt = :zero",
                              "#owner = :me", {"#owner": "owner"}, {":me": self.me, ":zero": 0})
        if refused == _LOCK:
            raise self._lose(self.lock_holder())
        # _ITEM: already taken over: nothing of ours to release

    def renew_segments(self, lease_seconds: float) -> None:
        with self._held_lock:
            held = sorted(self._held)
        for migration_id, backfill, segment in held:
            self._fenced(self.segment_key(migration_id, backfill, segment), "SET leaseExpiresAt = :expires",
                         "#owner = :me", {"#owner": "owner"}, {":me": self.me, ":expires": epoch(lease_seconds)},
                         self._segment_owner(migration_id, backfill, segment))

    def segments(self, migration_id: str, backfill: str | None = None) -> list[dict[str, Any]]:
        """The segment checkpoints of one backfill of a migration, or of all its backfills."""
        prefix = SEGMENT_PREFIX + (f"{backfill}#" if backfill is not None else "")
        response = self.client.get_paginator("query").paginate(
            TableName=self.table, ConsistentRead=True, ReturnConsumedCapacity="TOTAL",
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": migration_id, ":prefix": prefix}))
        found = []
        for page in response:
            self.capacity.add(page.get("ConsumedCapacity"), "read")
            found += [from_item(item) for item in page.get("Items", [])]
        return found

    def segment_states(self, migration_id: str) -> list[SegmentState]:
        found = []
        for values in self.segments(migration_id):
            backfill, _, number = str(values["sk"])[len(SEGMENT_PREFIX):].rpartition("#")
            found.append(SegmentState(
                backfill=backfill, segment=int(number), total_segments=int(values.get("totalSegments", 0)),
                done=bool(values.get("done")), holder=str(values.get("owner", "")),
                lease_expires_at=float(values.get("leaseExpiresAt", 0)), counts=_counts_of(values)))
        return sorted(found, key=lambda s: (s.backfill, s.segment))

    def segment_totals(self, migration_id: str) -> dict[str, int]:
        """Counts over every run of a migration, as each segment's checkpoint keeps them."""
        totals = zero_counts()
        for state in self.segment_states(migration_id):
            for name in COUNTERS:
                totals[name] += state.counts[name]
        return totals

    def ledgers(self, migration_id: str) -> dict[str, dict[str, int]]:
        """Each run's own counts over every segment it worked on: the sum of its ledger entries."""
        runs: dict[str, dict[str, int]] = {}
        for values in self.segments(migration_id):
            for run, counts in (values.get("ledger") or {}).items():
                mine = runs.setdefault(run, zero_counts())
                for name, value in _counts_of(counts).items():
                    mine[name] += value
        return runs

    # --- the lock ---------------------------------------------------------------------------------

    def acquire_lock(self, lease_seconds: float) -> None:
        """Take the runner lock; its version, one more than the last holder's, is this run's fencing token."""
        now = epoch()
        try:
            response = self.client.update_item(
                TableName=self.table, Key=LOCK_KEY,
                UpdateExpression="SET holder = :me, expiresAt = :expires, acquiredAt = :at ADD version :one",
                ConditionExpression="attribute_not_exists(holder) OR expiresAt < :now OR holder = :me",
                ExpressionAttributeValues=to_item({":now": now, ":me": self.me, ":expires": epoch(lease_seconds),
                                                   ":at": _now_iso(), ":one": 1}),
                ReturnValues="ALL_NEW", ReturnConsumedCapacity="TOTAL")
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            current = from_item(self.client.get_item(TableName=self.table, Key=LOCK_KEY,
                                                     ConsistentRead=True).get("Item", {}))
            until = clock(float(current.get("expiresAt", now)))
            raise ToolError("LockHeld", f"another runner holds the migration lock on {self.table}: "
                                        f"{current.get('holder', 'unknown')} (since {current.get('acquiredAt', '?')}, "
                                        f"lease until {until}); it expires if that runner died") from None
        self.capacity.add(response.get("ConsumedCapacity"), "write")
        self.token = int(from_item(response["Attributes"])["version"])
        self.confirmed_at = time.monotonic()

    def confirm_lease(self, lease_seconds: float) -> None:
        """Before item writes: if the lease was last confirmed longer ago than the heartbeat allows
        (the process was stopped, or starved), renew it now, or learn that it was lost.

        Raises LeaseLostError when another run holds the lock now.
        """
        if self.lost.is_set():
            raise LeaseLostError(self.lost_to)
        if self.token is None or time.monotonic() - self.confirmed_at < lease_seconds * 0.6:
            return
        with self._confirming:
            if time.monotonic() - self.confirmed_at >= lease_seconds * 0.6:
                self.renew_lock(lease_seconds)

    def renew_lock(self, lease_seconds: float) -> None:
        if self.lost.is_set():
            raise LeaseLostError(self.lost_to)
        sent_at = time.monotonic()
        try:
            response = self.client.update_item(
                TableName=self.table, Key=LOCK_KEY, UpdateExpression="SET expiresAt = :expires",
                ConditionExpression="holder = :me AND version = :token", ReturnConsumedCapacity="TOTAL",
                ExpressionAttributeValues=to_item({":expires": epoch(lease_seconds), ":me": self.me,
                                                   ":token": self.token}))
        except ClientError as error:
            if is_conditional_failure(error):
                raise self._lose(self.lock_holder()) from None
            raise
        self.capacity.add(response.get("ConsumedCapacity"), "write")
        self.confirmed_at = max(self.confirmed_at, sent_at)

    def release_lock(self) -> None:
        """Give the lock up, keeping its version, so the next holder's token is higher still."""
        if self.lost.is_set() or self.token is None:
            return
        try:
            self.client.update_item(
                TableName=self.table, Key=LOCK_KEY, UpdateExpression="SET expiresAt = :zero REMOVE holder",
                ConditionExpression="holder = :me AND version = :token",
                ExpressionAttributeValues=to_item({":zero": 0, ":me": self.me, ":token": self.token}))
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
