"""What a stack's tables cost a month, line by line, from the model, its traffic and a price sheet.

The engine takes plain typed inputs, so every figure can be checked by hand:
- the table as the stack deploys it (`TablePlan`: billing mode, capacity, class, indexes, PITR),
- its traffic, as `Requests` (reads or writes per second **averaged over the month**, item size,
  consistency, the indexes a write lands in); rates declared at peak price as if the peak held all month,
- what it stores (`StoredData`: declared sizes, or measured live),
- the stack's AWS Backup plan, and a `PriceSheet` (components/model/prices.py).

The rules are AWS's, cited beside each one; docs/cost.md explains every line and what is left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from components.model.backup_settings import BackupSettings
from components.model.patterns import AccessPattern, Consistency, Operation, patterns_on
from components.model.plan import TablePlan
from components.model.prices import PriceSheet
from components.model.spec import ON_DEMAND, TableClass, index_capacity

# AWS's pricing pages and calculator count a month as 730 hours.
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
# AWS bills storage per GB of 2^30 bytes.
GB = 1024 ** 3
# "Item sizes and capacity unit consumption" (DynamoDB developer guide, CapacityUnitCalculations):
# a write unit covers 1 KB, a read unit 4 KB strongly consistent; an eventually consistent read is half.
WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
EVENTUAL_READ_FACTOR = 0.5
# DynamoDB adds 100 bytes of indexing overhead to every item it stores, in the table and in each index
# (developer guide, "Item sizes and formats" / billable storage).
INDEX_OVERHEAD_BYTES = 100
# AWS's table class rule ("Considerations when choosing a table class", WorkingWithTables.tableclasses):
# when storage exceeds 50% of the throughput (reads and writes) cost of a table using the Standard class,
# Standard-IA can reduce the total table cost.
STANDARD_IA_STORAGE_SHARE = 0.5
CLASS_LABELS = {TableClass.STANDARD: "Standard", TableClass.STANDARD_INFREQUENT_ACCESS: "Standard-IA"}


@dataclass(frozen=True)
class Requests:
    """One source of requests on a table (an access pattern, a service's writes).

    `per_second` is averaged over the month. A read is a GetItem-sized read of `item_bytes`; `indexes`
    names the secondary indexes a write also lands in (None: every index of the table, the upper bound).
    """

    name: str
    operation: Literal["read", "write"]
    per_second: float
    item_bytes: int
    strongly_consistent: bool = False
    indexes: tuple[str, ...] | None = None
    # Items a request touches, and how DynamoDB rounds them: a Query or Scan rounds the items' total size up
    # to the next 4 KB; GetItem, BatchGetItem and writes round each item ("Item sizes and capacity unit
    # consumption", CapacityUnitCalculations).
    items_per_request: int = 1
    rounds_total: bool = False

    def units_per_request(self) -> float:
        if self.operation == "write":
            return float(self.items_per_request * math.ceil(self.item_bytes / WRITE_UNIT_BYTES))
        if self.rounds_total:
            units = float(math.ceil(self.items_per_request * self.item_bytes / READ_UNIT_BYTES))
        else:
            units = float(self.items_per_request * math.ceil(self.item_bytes / READ_UNIT_BYTES))
        return units if self.strongly_consistent else units * EVENTUAL_READ_FACTOR


def requests_from_patterns(patterns: Iterable[AccessPattern]) -> list[Requests]:
    """Each declared access pattern as the requests it makes, at its declared (peak) rate. A write is
    counted in every index of its table: a pattern does not say which index keys the item carries."""
    requests = []
    for pattern in patterns:
        requests.append(Requests(
            name=pattern.name, operation="write" if pattern.writes else "read", per_second=pattern.rate.per_second,
            item_bytes=pattern.rate.item_bytes, strongly_consistent=pattern.consistency is Consistency.STRONG,
            items_per_request=pattern.rate.items_per_request,
            rounds_total=pattern.operation in (Operation.QUERY, Operation.SCAN)))
    return requests


def declared_requests(plan: TablePlan, patterns: Iterable[AccessPattern]) -> list[Requests]:
    """The table's traffic: the requests of the patterns (of its family) that address it."""
    return requests_from_patterns(patterns_on(patterns, plan.spec))


@dataclass(frozen=True)
class StoredData:
    """What a table stores: items and raw bytes (without the per-item overhead), and the same per index."""

    source: Literal["declared", "live", "none"]
    items: int = 0
    table_bytes: float = 0.0
    index_items: dict[str, tuple[int, float]] = field(default_factory=dict)  # index -> (items, bytes)


def declared_storage(plan: TablePlan) -> StoredData:
    """The storage the table's team declares (`TableSpec.sizing`); every index is counted as holding every
    item in full, an upper bound for sparse indexes and for KEYS_ONLY or INCLUDE projections."""
    sizing = plan.spec.sizing
    if sizing is None:
        return StoredData(source="none")
    raw = float(sizing.items * sizing.average_item_bytes)
    indexes = [gsi.name for gsi in plan.spec.global_indexes] + [lsi.name for lsi in plan.spec.local_indexes]
    return StoredData(source="declared", items=sizing.items, table_bytes=raw,
                      index_items={name: (sizing.items, raw) for name in indexes})


@dataclass(frozen=True)
class CostLine:
    item: str
    usd: float
    basis: str  # the arithmetic, in words and figures

    def as_json(self) -> dict[str, object]:
        return {"item": self.item, "usd": self.usd, "basis": self.basis}


THROUGHPUT_ITEMS = ("write request units", "read request units", "provisioned write capacity",
                    "provisioned read capacity")
STORAGE_ITEM = "storage"


@dataclass(frozen=True)
class TableCost:
    family: str
    key: str
    name: str
    billing_mode: str
    table_class: TableClass
    lines: tuple[CostLine, ...]
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    @property
    def throughput(self) -> float:
        return sum(line.usd for line in self.lines if line.item in THROUGHPUT_ITEMS)

    @property
    def storage(self) -> float:
        return sum(line.usd for line in self.lines if line.item == STORAGE_ITEM)

    def line(self, item: str) -> float:
        return sum(line.usd for line in self.lines if line.item == item)

    def as_json(self) -> dict[str, object]:
        return {"family": self.family, "table": self.key, "name": self.name, "billingMode": self.billing_mode,
                "tableClass": self.table_class.value, "totalUsd": self.total,
                "lines": [line.as_json() for line in self.lines], "notes": list(self.notes)}


def _usd(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def _gb(value: float) -> str:
    return f"{value / GB:.6g} GB"


def backup_runs_per_day(schedule: str) -> int:
    """How many recovery points a day an AWS Backup cron schedule makes, from its hours field.

    Day-of-month and day-of-week are not read: the plan is priced as running every day (an upper bound).
    """
    fields = schedule[len("cron("):-1].split()
    hours = fields[1] if len(fields) > 1 else "0"
    runs = 0
    for part in hours.split(","):
        step_match = re.fullmatch(r"(\*|\d+-\d+|\d+)/(\d+)", part)
        if part == "*":
            runs += 24
        elif step_match:
            start, step = step_match[1], int(step_match[2])
            low, high = (0, 23) if start == "*" else (
                tuple(int(x) for x in start.split("-")) if "-" in start else (int(start), 23))
            runs += len(range(low, high + 1, step))
        elif re.fullmatch(r"\d+-\d+", part):
            low, high = (int(x) for x in part.split("-"))
            runs += high - low + 1
        else:
            runs += 1
    return max(runs, 1)


def _request_units(requests: Sequence[Requests], operation: str, index_names: list[str]) -> tuple[float, list[str]]:
    """A month's request units of one kind (write or read) over the declared sources, and how each was
    counted. Every index a write lands in is written again, with the same item size rounding."""
    total = 0.0
    parts = []
    for source in (r for r in requests if r.operation == operation):
        per_request = source.units_per_request()
        if operation == "write":
            landed = [name for name in index_names if source.indexes is None or name in source.indexes]
            copies = 1 + len(landed)
            how = f"{per_request:g} WRU x {copies} (table{' + ' + ', '.join(landed) if landed else ''})"
        else:
            copies = 1
            how = f"{per_request:g} RRU ({'strongly' if source.strongly_consistent else 'eventually'} consistent)"
        total += source.per_second * SECONDS_PER_MONTH * per_request * copies
        parts.append(f"{source.name}: {source.per_second:g}/s x {SECONDS_PER_MONTH:,} s x {how}")
    return total, parts


def estimate_table(plan: TablePlan, requests: Sequence[Requests], stored: StoredData,
                   backup: BackupSettings | None, prices: PriceSheet,
                   table_class: TableClass | None = None) -> TableCost:
    """One table's monthly cost, itemized. `table_class` prices the table as if it had that class."""
    spec = plan.spec
    klass = table_class or spec.table_class
    lines: list[CostLine] = []
    notes: list[str] = []
    index_names = [gsi.name for gsi in spec.global_indexes] + [lsi.name for lsi in spec.local_indexes]

    if spec.billing_mode == ON_DEMAND:
        for operation, unit, price_key in (("write", "WRU", "writeRequestUnitsPerMillion"),
                                           ("read", "RRU", "readRequestUnitsPerMillion")):
            units, parts = _request_units(requests, operation, index_names)
            price = prices.request_price("onDemand", klass, price_key)
            lines.append(CostLine(f"{operation} request units", units / 1e6 * price,
                                  f"{units:,.0f} {unit} x {_usd(price)}/million"
                                  + (f" ({'; '.join(parts)})" if parts else f" (no declared {operation}s)")))
    else:
        assert spec.capacity is not None  # validate_spec: PROVISIONED tables declare capacity
        capacities = [("table", spec.capacity)] + [
            (gsi.name, capacity) for gsi in spec.global_indexes
            if (capacity := index_capacity(spec, gsi)) is not None]
        for item, unit, attribute in (("provisioned write capacity", "writeCapacityUnitHour", "write"),
                                      ("provisioned read capacity", "readCapacityUnitHour", "read")):
            total_units = sum(getattr(capacity, attribute) for _, capacity in capacities)
            price = prices.request_price("provisioned", klass, unit)
            summed = " + ".join(f"{getattr(capacity, attribute)} ({where})" for where, capacity in capacities)
            lines.append(CostLine(item, total_units * HOURS_PER_MONTH * price,
                                  f"{summed} = {total_units} units x {HOURS_PER_MONTH} h x {price:g}/unit-hour "
                                  "(billed whether used or not)"))

    table_bytes = stored.table_bytes + stored.items * INDEX_OVERHEAD_BYTES
    # An index not measured (live, before it exists) is counted as holding every item in full.
    index_bytes = {name: raw + items * INDEX_OVERHEAD_BYTES
                   for name in index_names
                   for items, raw in [stored.index_items.get(name, (stored.items, stored.table_bytes))]}
    stored_bytes = table_bytes + sum(index_bytes.values())
    storage_price = prices.storage_price(klass)
    if stored.source == "none":
        notes.append("no declared size (TableSpec.sizing) and no live table measured: storage, PITR and backups "
                     "are $0 here; give --endpoint-url or declare a size")
    lines.append(CostLine(STORAGE_ITEM, stored_bytes / GB * storage_price,
                          f"{_gb(stored_bytes)} ({stored.source}: {stored.items:,} items + "
                          f"{INDEX_OVERHEAD_BYTES} B each, table and {len(index_bytes)} indexes) x "
                          f"{_usd(storage_price)}/GB-month"))

    # PITR is billed on the size of the table and its local secondary indexes; the recovery period does not
    # change the price (developer guide, Point-in-time-recovery: "Shortening the RecoveryPeriodInDays has no
    # impact on PITR pricing").
    local_bytes = sum(size for name, size in index_bytes.items()
                      if name in {lsi.name for lsi in spec.local_indexes})
    recoverable = table_bytes + local_bytes
    if plan.settings.pitr_enabled:
        price = prices.price("pointInTimeRecoveryGbMonth")
        lines.append(CostLine("point-in-time recovery", recoverable / GB * price,
                              f"{_gb(recoverable)} (table and local indexes) x {_usd(price)}/GB-month; "
                              f"the {plan.settings.pitr_recovery_period_days}-day period does not change it"))

    if backup is not None:
        runs = backup_runs_per_day(backup.schedule)
        points = runs * backup.retention_days
        price = prices.price("backupStorageGbMonth")
        basis = (f"{points} recovery points ({runs}/day x {backup.retention_days} days), each a full copy of "
                 f"{_gb(recoverable)}, x {_usd(price)}/GB-month")
        if backup.cold_storage_after_days is not None:
            cold_price = prices.figures["backupColdStorageGbMonth"]
            if cold_price is None:
                basis += "; cold-stored points priced as warm (no cold storage price in the price file)"
            else:
                warm_points = runs * min(backup.cold_storage_after_days, backup.retention_days)
                cold_points = points - warm_points
                lines.append(CostLine("AWS Backup cold storage", cold_points * recoverable / GB * cold_price,
                                      f"{cold_points} points after {backup.cold_storage_after_days} days x "
                                      f"{_gb(recoverable)} x {_usd(cold_price)}/GB-month"))
                points = warm_points
                basis = (f"{points} warm recovery points ({runs}/day x {backup.cold_storage_after_days} days) x "
                         f"{_gb(recoverable)} x {_usd(price)}/GB-month")
        lines.append(CostLine("AWS Backup storage", points * recoverable / GB * price, basis))
        if backup.copy_to is not None:
            transfer = prices.price("crossRegionTransferGb")
            copies_a_month = runs * DAYS_PER_MONTH
            lines.append(CostLine("backup copy transfer", copies_a_month * recoverable / GB * transfer,
                                  f"{copies_a_month:g} copies a month ({runs}/day x {DAYS_PER_MONTH:g} days) x "
                                  f"{_gb(recoverable)} x {_usd(transfer)}/GB"))
            copy_points = runs * backup.copy_to.retention_days
            lines.append(CostLine("backup copy storage", copy_points * recoverable / GB * price,
                                  f"{copy_points} recovery points in {backup.copy_to.vault_arn.split(':')[3]} "
                                  f"({runs}/day x {backup.copy_to.retention_days} days) x {_gb(recoverable)} x "
                                  f"{_usd(price)}/GB-month (this region's price)"))

    if spec.stream is not None:
        lines.append(CostLine("streams", 0.0,
                              f"{spec.stream.view_type.value} stream read by {', '.join(spec.stream.consumers)}: "
                              "GetRecords calls by AWS Lambda triggers are free"))
    return TableCost(family=plan.family, key=spec.key, name=plan.name, billing_mode=spec.billing_mode,
                     table_class=klass, lines=tuple(lines), notes=tuple(notes))


@dataclass(frozen=True)
class ClassAdvice:
    """The table class that costs less for this table, and AWS's rule of thumb beside it."""

    current: TableClass
    cheaper: TableClass
    current_usd: float
    other_usd: float
    # Storage as a share of throughput, both priced at Standard: AWS's rule says Standard-IA above 0.5.
    storage_share: float | None

    @property
    def costs_more(self) -> bool:
        return self.cheaper != self.current

    def summary(self) -> str:
        share = ("no throughput declared" if self.storage_share is None
                 else f"storage is {self.storage_share:.0%} of throughput at Standard prices")
        if not self.costs_more:
            return f"keep {CLASS_LABELS[self.current]} ({share})"
        return (f"{CLASS_LABELS[self.cheaper]} saves {_usd(self.current_usd - self.other_usd)}/month ({share}; "
                f"AWS: Standard-IA pays off above 50%)")


def class_advice(plan: TablePlan, requests: Sequence[Requests], stored: StoredData,
                 backup: BackupSettings | None, prices: PriceSheet) -> ClassAdvice:
    """Price the table in both classes. Only storage and throughput differ between them."""
    current = plan.spec.table_class
    other = (TableClass.STANDARD if current is TableClass.STANDARD_INFREQUENT_ACCESS
             else TableClass.STANDARD_INFREQUENT_ACCESS)
    costs = {klass: estimate_table(plan, requests, stored, backup, prices, klass) for klass in (current, other)}

    def class_cost(klass: TableClass) -> float:
        return costs[klass].throughput + costs[klass].storage

    standard = costs[TableClass.STANDARD]
    share = standard.storage / standard.throughput if standard.throughput > 0 else None
    cheaper = other if class_cost(other) < class_cost(current) else current
    return ClassAdvice(current=current, cheaper=cheaper, current_usd=class_cost(current),
                       other_usd=class_cost(other), storage_share=share)


@dataclass(frozen=True)
class StackCost:
    stack: str
    region: str
    tables: tuple[TableCost, ...]
    advice: dict[str, ClassAdvice] = field(default_factory=dict)  # table name -> advice

    @property
    def total(self) -> float:
        return sum(table.total for table in self.tables)

    def table(self, name: str) -> TableCost | None:
        return next((t for t in self.tables if t.name == name), None)


def over_budget(cost: StackCost, monthly_usd: float) -> list[TableCost]:
    """The tables to name when a stack is over its budget: all of them, most expensive first, or none."""
    if cost.total <= monthly_usd:
        return []
    return sorted(cost.tables, key=lambda table: table.total, reverse=True)


@dataclass(frozen=True)
class TableDelta:
    name: str
    before: TableCost | None
    after: TableCost | None

    @property
    def before_usd(self) -> float:
        return self.before.total if self.before else 0.0

    @property
    def after_usd(self) -> float:
        return self.after.total if self.after else 0.0

    @property
    def delta(self) -> float:
        return self.after_usd - self.before_usd

    def changed_lines(self) -> list[tuple[str, float, float]]:
        """(item, before, after) for each line whose cost changed."""
        items: list[str] = []
        for table in (self.before, self.after):
            for line in (table.lines if table else ()):
                if line.item not in items:
                    items.append(line.item)
        rows = []
        for item in items:
            before = self.before.line(item) if self.before else 0.0
            after = self.after.line(item) if self.after else 0.0
            if abs(after - before) > 1e-9:
                rows.append((item, before, after))
        return rows


def compare(before: StackCost, after: StackCost) -> list[TableDelta]:
    """Before, after and delta per table (by physical name), in the after stack's order, removed ones last."""
    names = [t.name for t in after.tables] + [t.name for t in before.tables if after.table(t.name) is None]
    return [TableDelta(name, before.table(name), after.table(name)) for name in names]
