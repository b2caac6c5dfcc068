"""Compare live tables with the declared model, setting by setting as the registry
(`scripts/table_settings.py`) lists them: keys, capacity, indexes, TTL, PITR, encryption, billing,
deletion protection, stream, table class and tags. Values are compared structured, shown as words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from components.model.spec import MIN_WARM_READ_UNITS, MIN_WARM_WRITE_UNITS
from scripts.aws import DynamoDBClient, parallel_map
from scripts.errors import shown as escaped
from scripts.live import LiveTable, read_live
from scripts.schema_files import TableSchema
from scripts.table_settings import Value, setting_of, shown, values

# Tags AWS itself attaches (aws:cloudformation:*, aws:backup:*) cannot be managed, so never drift.
SYSTEM_TAG_PREFIX = "tags.aws:"


@dataclass(frozen=True)
class Difference:
    """One field that differs: shown as words (declared/live: None when the side has no such field), with the
    structured values the registry read (what classification compares)."""

    field: str
    declared: str | None
    live: str | None
    declared_value: Value = None
    live_value: Value = None

    def text(self) -> str:
        # Live values come from the endpoint: attribute names may hold anything, newlines and escapes too.
        field, declared, live = escaped(self.field), escaped(self.declared), escaped(self.live)
        if self.declared is None:
            return f"+ {field}: {live} (live only, not declared)"
        if self.live is None:
            return f"- {field}: {declared} (declared, missing live)"
        return f"~ {field}: declared {declared}, live {live}"


@dataclass
class TableDrift:
    table: str
    state: str  # in-sync | drift | missing
    differences: list[Difference] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    live: LiveTable | None = None

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "state": self.state, "unsupported": self.unsupported,
                "differences": [{"field": d.field, "declared": d.declared, "live": d.live} for d in self.differences]}


def in_sync(field_name: str, declared: Value, live: Value) -> bool:
    """Equal values, or warm throughput at or above the declared floor. AWS raises a table's warm
    throughput on its own with traffic and never lowers it, so live >= declared is in sync, and a live
    value nothing declares is not drift (every table has one). The Terraform provider compares it exactly,
    and its users see diffs that never clear (hashicorp/terraform-provider-aws, aws_dynamodb_table
    `warm_throughput`)."""
    if declared == live:
        return True
    if setting_of(field_name).floor:
        if declared is None:
            return True
        # A live value at AWS's starting point is not reported (scripts/live.py): that is the value.
        have = live or (None, None)
        return all(want is None or (got if got is not None else start) >= want
                   for want, got, start in zip(declared, have, (MIN_WARM_READ_UNITS, MIN_WARM_WRITE_UNITS),
                                               strict=True))
    return False


def not_checked(declared: TableSchema, live: LiveTable) -> set[str]:
    """The features this endpoint cannot show: refused calls, and settings it never reports that the model
    declares (an unreported setting nothing declares is not worth a note)."""
    declared_features = {setting_of(key).unsupported_as for key in values(declared)}
    return live.unsupported | (live.unreported & declared_features)


def compare(declared: TableSchema, live: LiveTable) -> list[Difference]:
    want = values(declared)
    have = values(live.schema)
    if "encryption.kmsKey" not in want:
        have.pop("encryption.kmsKey", None)  # declared: the AWS-managed key, whatever its ARN
    hidden = not_checked(declared, live)
    differences = []
    for key in sorted(set(want) | set(have)):
        if key.startswith(SYSTEM_TAG_PREFIX) or setting_of(key).unsupported_as in hidden:
            continue
        if in_sync(key, want.get(key), have.get(key)):
            continue
        differences.append(Difference(key, shown(key, want[key]) if key in want else None,
                                      shown(key, have[key]) if key in have else None,
                                      want.get(key), have.get(key)))
    differences += [Difference(f"globalIndexes.{name}.status", "ACTIVE", status)
                    for name, status in sorted(live.index_status.items())
                    if status != "ACTIVE" and f"globalIndexes.{name}" in want]
    return differences


def table_drift(client: DynamoDBClient, declared: TableSchema) -> TableDrift:
    live = read_live(client, declared.name)
    if live is None:
        return TableDrift(declared.name, "missing", [Difference("table", "declared", None)])
    differences = compare(declared, live)
    return TableDrift(declared.name, "drift" if differences else "in-sync", differences,
                      sorted(not_checked(declared, live)), live)


def detect_drift(client: DynamoDBClient, declared: Iterable[TableSchema]) -> list[TableDrift]:
    # Each table costs four read calls; tables are independent, so read them side by side.
    return parallel_map(lambda schema: table_drift(client, schema), declared)


def format_drift(results: list[TableDrift]) -> str:
    lines = []
    for result in results:
        if result.state == "in-sync":
            continue
        lines.append(f"{result.table}: {'missing' if result.state == 'missing' else 'drift'}")
        lines += [f"  {d.text()}" for d in result.differences if d.field != "table"]
    drifted = sum(r.state != "in-sync" for r in results)
    unsupported = sorted({feature for r in results for feature in r.unsupported})
    summary = f"{len(results)} tables: {len(results) - drifted} in sync, {drifted} with drift"
    if unsupported:
        summary += f" ({', '.join(unsupported)} not checked: unsupported by this endpoint)"
    return "\n".join([*lines, summary])
