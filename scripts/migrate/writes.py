"""How the backfill engine writes: one item's Update, applied only while what was read still holds.

A migration decides each item's Update from the attributes it read. The write carries that decision's
premise as its condition: the item still exists, and every attribute read still has the value read
(`IS MISSING` / `attribute_not_exists` for those that were absent). So a concurrent change is never
overwritten, and an item already migrated is never written again.

Two ways to send the same conditional writes:
- `batch-statement` (the default): BatchExecuteStatement, up to 25 PartiQL UPDATEs per request.
  Each statement succeeds or fails on its own (it is not a transaction) and costs what UpdateItem
  costs, but the request overhead (HTTP, signing, one round trip) is paid once per 25 items.
- `update-item`: one UpdateItem per item. For endpoints that do not enforce conditions in PartiQL
  WHERE clauses (moto 5 applies such an UPDATE whatever its condition says) or do not support
  BatchExecuteStatement at all.
- `transact`: the UpdateItem requests, up to 100 per TransactWriteItems request. On AWS a
  transactional write costs twice the write units of the same UpdateItem, so this is never the
  default, and only ever chosen with --write-api; it is for endpoints where it measures faster:
  on DynamoDB Local it was faster than PartiQL statements on a busy machine and slower on an idle
  one (benchmarks/RESULTS.md). A transaction is all or nothing: when one write's condition fails, the
  others in it were not applied and are sent again (`resend`).

Which of the first two an endpoint can take is found out, not guessed from its URL:
`probe_statements` sends one conditional UPDATE whose condition must fail, against a sentinel item
in the history table.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from botocore.exceptions import ClientError

from scripts.aws import DynamoDBClient, endpoint_of, error_code, translate

if TYPE_CHECKING:  # boto3-stubs request shapes, for the type checker only
    from mypy_boto3_dynamodb.type_defs import BatchStatementRequestTypeDef
from scripts.item_codec import to_item, to_value
from scripts.migrate import WRITE_APIS
from scripts.migrate.history import is_conditional_failure

STATEMENTS_PER_REQUEST = 25  # BatchExecuteStatement's limit
ACTIONS_PER_TRANSACTION = 100  # TransactWriteItems' limit

# Statement errors worth sending again; botocore retries whole requests, not statements within one.
RETRYABLE_STATEMENT_ERRORS = frozenset({"ProvisionedThroughputExceeded", "ThrottlingError", "RequestLimitExceeded",
                                        "InternalServerError", "TransactionConflict"})
# The same errors as whole UpdateItem requests, once botocore's own retries are spent.
RETRYABLE_REQUEST_ERRORS = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                                      "RequestLimitExceeded", "TransactionConflictException"})
# Errors about one item (too large, say): it fails, and the rest of the backfill goes on. Any other
# error (a server error, denied access, a missing table) stops the run: every item would fail alike.
ITEM_ERRORS = frozenset({"ValidationException", "ItemCollectionSizeLimitExceededException"})

@dataclass(frozen=True)
class Update:
    """One item's change: top-level attributes to set (Python values) and to remove."""

    set: Mapping[str, Any] = field(default_factory=dict)
    remove: Sequence[str] = ()

    def describe(self) -> str:
        parts = [f"SET {', '.join(f'{name}={value!r}' for name, value in self.set.items())}"] if self.set else []
        if self.remove:
            parts.append(f"REMOVE {', '.join(self.remove)}")
        return "; ".join(parts)


@dataclass
class Write:
    """An Update on its way: the item as read (key and read attributes), and how often it was tried."""

    item: dict[str, Any]
    update: Update
    conflicts: int = 0
    retries: int = 0


# resend: not applied, through no fault of its own (another write of its transaction failed).
Outcome = Literal["updated", "changed", "retry", "resend", "failed"]


@dataclass(frozen=True)
class Reply:
    outcome: Outcome
    current: dict[str, Any] | None = None  # changed: the item as it is now (raw); None: it was deleted
    message: str = ""  # failed: why


@dataclass(frozen=True)
class Target:
    """The table written to, and which attributes form the key and the premise of each write."""

    table: str
    key: tuple[str, ...]
    guarded: tuple[str, ...]  # read attributes that are not part of the key

    def check(self, update: Update) -> None:
        touched = set(update.set) | set(update.remove)
        if touched & set(self.key):
            raise ValueError(f"an update may not change key attributes of {self.table}: "
                             f"{', '.join(sorted(touched & set(self.key)))}")
        if any('"' in name for name in touched | set(self.guarded)):
            raise ValueError(f"attribute names with double quotes are not supported: {sorted(touched)}")


class Writer(Protocol):
    batch_size: int

    def write(self, target: Target, writes: Sequence[Write]) -> tuple[list[Reply], float]:
        """Send at most batch_size writes; a Reply for each, in order, and the capacity consumed."""
        ...


def _quote(name: str) -> str:
    return f'"{name}"'


class StatementWriter:
    """Conditional PartiQL UPDATEs, up to 25 per BatchExecuteStatement request."""

    batch_size = STATEMENTS_PER_REQUEST

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client

    def statement(self, target: Target, write: Write) -> BatchStatementRequestTypeDef:
        update, item = write.update, write.item
        changes = [f"SET {_quote(name)}=?" for name in update.set]
        changes += [f"REMOVE {_quote(name)}" for name in update.remove]
        premise = [f"{_quote(name)}=?" for name in target.key]
        premise += [f"{_quote(name)}=?" if name in item else f"{_quote(name)} IS MISSING" for name in target.guarded]
        values = [*update.set.values(), *(item[name] for name in target.key),
                  *(item[name] for name in target.guarded if name in item)]
        # An UPDATE whose WHERE matches no item fails: a deleted item is not written back to life.
        return {"Statement": f"UPDATE {_quote(target.table)} {' '.join(changes)} WHERE {' AND '.join(premise)}",
                "Parameters": [to_value(value) for value in values],
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}

    def write(self, target: Target, writes: Sequence[Write]) -> tuple[list[Reply], float]:
        response = self.client.batch_execute_statement(
            Statements=[self.statement(target, w) for w in writes], ReturnConsumedCapacity="TOTAL")
        capacity = sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity") or [])
        replies = []
        for answer in response["Responses"]:
            error = answer.get("Error")
            if error is None:
                replies.append(Reply("updated"))
            elif error.get("Code") == "ConditionalCheckFailed":
                replies.append(Reply("changed", current=error.get("Item")))
            elif error.get("Code") in RETRYABLE_STATEMENT_ERRORS:
                replies.append(Reply("retry"))
            else:
                replies.append(Reply("failed", message=f"{error.get('Code')}: {error.get('Message', '')}"))
        return replies, capacity


class ItemWriter:
    """One conditional UpdateItem per item (botocore retries each request by itself)."""

    batch_size = 1

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client

    def request(self, target: Target, write: Write) -> dict[str, Any]:
        update, item = write.update, write.item
        names: dict[str, str] = {}
        values: dict[str, Any] = {}

        def name(attribute: str) -> str:
            placeholder = f"#a{len(names)}"
            names[placeholder] = attribute
            return placeholder

        def value(python_value: Any) -> str:
            placeholder = f":v{len(values)}"
            values[placeholder] = to_value(python_value)
            return placeholder

        expression = " ".join(filter(None, [
            "SET " + ", ".join(f"{name(a)} = {value(v)}" for a, v in update.set.items()) if update.set else "",
            "REMOVE " + ", ".join(name(a) for a in update.remove) if update.remove else ""]))
        # UpdateItem would create a missing item: require it to exist, as the PartiQL UPDATE does.
        premise = [f"attribute_exists({name(target.key[0])})"]
        premise += [f"{name(a)} = {value(item[a])}" if a in item else f"attribute_not_exists({name(a)})"
                    for a in target.guarded]
        request: dict[str, Any] = {
            "TableName": target.table, "Key": to_item({a: item[a] for a in target.key}),
            "UpdateExpression": expression, "ConditionExpression": " AND ".join(premise),
            "ExpressionAttributeNames": names, "ReturnConsumedCapacity": "TOTAL",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        if values:
            request["ExpressionAttributeValues"] = values
        return request

    def write(self, target: Target, writes: Sequence[Write]) -> tuple[list[Reply], float]:
        replies, capacity = [], 0.0
        for write in writes:
            try:
                response = self.client.update_item(**self.request(target, write))
            except ClientError as error:
                if is_conditional_failure(error):
                    replies.append(Reply("changed", current=error.response.get("Item")))  # type: ignore[arg-type]
                elif error_code(error) in RETRYABLE_REQUEST_ERRORS:
                    replies.append(Reply("retry"))
                elif error_code(error) in ITEM_ERRORS:
                    reported = translate(error, endpoint_of(self.client))
                    replies.append(Reply("failed", message=reported.message if reported else error_code(error)))
                else:
                    raise
                continue
            capacity += (response.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0)
            replies.append(Reply("updated"))
        return replies, capacity


class TransactionWriter:
    """The conditional UpdateItem requests, up to 100 in one TransactWriteItems request (twice the write units)."""

    batch_size = ACTIONS_PER_TRANSACTION

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client
        self.items = ItemWriter(client)

    def action(self, target: Target, write: Write) -> dict[str, Any]:
        update = self.items.request(target, write)
        del update["ReturnConsumedCapacity"]  # a property of the whole transaction
        return {"Update": update}

    def write(self, target: Target, writes: Sequence[Write]) -> tuple[list[Reply], float]:
        try:
            response = self.client.transact_write_items(
                TransactItems=[self.action(target, w) for w in writes],  # type: ignore[misc]
                ReturnConsumedCapacity="TOTAL")
        except ClientError as error:
            if error_code(error) in RETRYABLE_REQUEST_ERRORS:
                return [Reply("retry") for _ in writes], 0.0
            if error_code(error) != "TransactionCanceledException":
                raise  # as for UpdateItem: a server error or a denied request stops the run, in one line
            reasons = error.response.get("CancellationReasons") or []
            if len(reasons) != len(writes):
                raise
            replies = [self._reply(reason) for reason in reasons]
            if all(reply.outcome == "resend" for reply in replies):
                # No write to blame: count it against every write's retries, so it cannot loop for ever.
                replies = [Reply("retry") for _ in writes]
            return replies, 0.0
        capacity = sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity") or [])
        return [Reply("updated") for _ in writes], capacity

    @staticmethod
    def _reply(reason: Mapping[str, Any]) -> Reply:
        code = reason.get("Code") or "None"
        if code == "None":
            return Reply("resend")
        if code == "ConditionalCheckFailed":
            return Reply("changed", current=reason.get("Item"))
        if code in RETRYABLE_STATEMENT_ERRORS:
            return Reply("retry")
        return Reply("failed", message=f"{code}: {reason.get('Message', '')}")


def writer_for(write_api: str, client: DynamoDBClient) -> Writer:
    if write_api == "batch-statement":
        return StatementWriter(client)
    if write_api == "update-item":
        return ItemWriter(client)
    if write_api == "transact":
        return TransactionWriter(client)
    raise ValueError(f"unknown write API {write_api!r}; known: {', '.join(WRITE_APIS)}")


PROBE_SK = "PROBE"
PROBE_ATTEMPTS = 5


@dataclass(frozen=True)
class WritePath:
    """The write API a run uses, and the one line that says why, when it was not the default."""

    api: str
    note: str = ""


def probe_statements(client: DynamoDBClient, history_table: str, runner: str) -> WritePath:
    """Whether the endpoint honours a conditional PartiQL UPDATE, tried on a sentinel item.

    The sentinel (pk PROBE#<runner>, so concurrent workers never share one) holds probe=1; the
    UPDATE asks for probe=2, so a faithful endpoint refuses it with ConditionalCheckFailed. One that
    applies it anyway, or rejects BatchExecuteStatement, gets conditional UpdateItem instead.
    """
    key = {"pk": f"PROBE#{runner}", "sk": PROBE_SK}
    client.put_item(TableName=history_table, Item=to_item({**key, "probe": 1}))
    fallback = "writing with conditional UpdateItem (one request per item) instead"
    try:
        for attempt in range(PROBE_ATTEMPTS):
            response = client.batch_execute_statement(Statements=[{
                "Statement": f'UPDATE {_quote(history_table)} SET "probe"=? WHERE "pk"=? AND "sk"=? AND "probe"=?',
                "Parameters": [to_value(3), to_value(key["pk"]), to_value(PROBE_SK), to_value(2)]}])
            code = (response["Responses"][0].get("Error") or {}).get("Code")
            if code not in RETRYABLE_STATEMENT_ERRORS:
                break
            time.sleep(0.1 * 2 ** attempt)  # a throttled probe says nothing yet: ask again
        # Throttled even after retries: the endpoint evaluates statements, as DynamoDB does under load.
        if code == "ConditionalCheckFailed" or code in RETRYABLE_STATEMENT_ERRORS:
            return WritePath("batch-statement")
        reason = (f"answered a conditional PartiQL UPDATE with {code}" if code
                  else "applied a PartiQL UPDATE whose condition was false")
        return WritePath("update-item", f"{endpoint_of(client)} {reason}; {fallback}")
    except ClientError as error:
        # A status, never a body: some servers answer an unknown operation with an HTML error page.
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        what = error_code(error) if error_code(error) and not error_code(error).isdigit() else f"HTTP {status}"
        return WritePath("update-item", f"{endpoint_of(client)} does not take BatchExecuteStatement ({what}); "
                                        f"{fallback}")
    finally:
        client.delete_item(TableName=history_table, Key=to_item(key))
