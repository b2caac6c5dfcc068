"""The migrations table: one record per migration, a checkpoint per scan segment, and the lock.

Layout (declared in components/migration_history.py): partition key `pk`, sort key `sk`.
- pk=<migration id>, sk=RECORD: status running|succeeded|failed, checksum, times, counts, who.
- pk=<migration id>, sk=SEGMENT#<backfill>#<n>: LastEvaluatedKey, counts, done, and the lease
  of the worker that holds the segment.
- pk=LOCK, sk=LOCK: the runner lock: holder and lease expiry.
Every write that can race is conditional; nothing here overwrites another runner's state.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from scripts.aws import DynamoDBClient, error_code
from scripts.errors import ToolError

RECORD = "RECORD"
LOCK_KEY = {"pk": {"S": "LOCK"}, "sk": {"S": "LOCK"}}
COUNTERS = ("scanned", "updated", "skipped", "failed")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_value(value: Any) -> Any:
    """One Python value as a DynamoDB AttributeValue."""
    return _serializer.serialize(value)


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {key: to_value(value) for key, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


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


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class History:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table
        self.me = who_am_i()

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
                    counts={name: int(values.get(name, 0)) for name in COUNTERS}, error=values.get("error", ""))
        return found

    def start(self, migration_id: str, checksum: str, description: str) -> None:
        """Mark a migration running (a new record, or a failed/running one resumed)."""
        self.client.update_item(
            TableName=self.table, Key=to_item({"pk": migration_id, "sk": RECORD}),
            UpdateExpression="SET #status = :running, checksum = :checksum, description = :description, "
                             "startedAt = if_not_exists(startedAt, :now), ranBy = :me REMOVE finishedAt, #error",
            ConditionExpression="attribute_not_exists(pk) OR #status <> :succeeded",
            ExpressionAttributeNames={"#status": "status", "#error": "error"},
            ExpressionAttributeValues=to_item({":running": "running", ":checksum": checksum,
                                               ":description": description, ":now": _now_iso(), ":me": self.me,
                                               ":succeeded": "succeeded"}))

    def finish(self, migration_id: str, status: str, counts: dict[str, int], error: str = "") -> None:
        values = {":status": status, ":now": _now_iso(), **{f":{name}": counts.get(name, 0) for name in COUNTERS}}
        expression = "SET #status = :status, finishedAt = :now, " + ", ".join(f"{n} = :{n}" for n in COUNTERS)
        if error:
            expression += ", #error = :error"
            values[":error"] = error[:1000]
        self.client.update_item(
            TableName=self.table, Key=to_item({"pk": migration_id, "sk": RECORD}), UpdateExpression=expression,
            ExpressionAttributeNames={"#status": "status", **({"#error": "error"} if error else {})},
            ExpressionAttributeValues=to_item(values))

    # --- segment checkpoints ----------------------------------------------------------------------

    def segment_key(self, migration_id: str, backfill: str, segment: int) -> dict[str, Any]:
        return to_item({"pk": migration_id, "sk": f"SEGMENT#{backfill}#{segment:05d}"})

    def claim_segment(self, migration_id: str, backfill: str, segment: int,
                      lease_seconds: float) -> dict[str, Any] | None:
        """Take (or keep) the lease on a segment; None when it is done or another worker holds it.

        Returns the checkpoint: the LastEvaluatedKey to resume from (or None) and the counts so far.
        """
        now = epoch()
        try:
            response = self.client.update_item(
                TableName=self.table, Key=self.segment_key(migration_id, backfill, segment),
                UpdateExpression="SET #owner = :me, leaseExpiresAt = :expires",
                ConditionExpression="(attribute_not_exists(done) OR done = :false) AND "
                                    "(attribute_not_exists(#owner) OR #owner = :me OR leaseExpiresAt < :now)",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues=to_item({":me": self.me, ":expires": epoch(lease_seconds), ":now": now,
                                                   ":false": False}),
                ReturnValues="ALL_NEW")
        except ClientError as error:
            if is_conditional_failure(error):
                return None
            raise
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

    def segments(self, migration_id: str, backfill: str) -> list[dict[str, Any]]:
        response = self.client.get_paginator("query").paginate(
            TableName=self.table, ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":pk": migration_id, ":prefix": f"SEGMENT#{backfill}#"}))
        return [from_item(item) for page in response for item in page.get("Items", [])]

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
            until = time.strftime("%H:%M:%SZ", time.gmtime(float(current.get("expiresAt", now))))
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
