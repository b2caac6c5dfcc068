"""What applying the model will do to each live table, before `pulumi up` does it: `tables plan`.

`drift` says which fields differ; this module says what each difference costs. The costly cases look
small in a diff: a key attribute's name or type, a local index or the table's name makes the provider
delete the table and create an empty one (and pulumi-aws shows no diff at all for a key *type* change);
a changed GSI is deleted and built again, failing its queries meanwhile; a new GSI backfills for as long
as the table is large. Each difference gets a class (`ChangeClass`), the consequence in words, and for
index builds an estimate of the backfill.

Tables a stack adopts (`existing`) also get an import check: whether `pulumi up` can take them over as
declared, and if not, the `importIgnoreChanges` entry that makes the adoption match.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from components.model.config_reader import PROJECT
from components.model.plan import MANAGED_BY, TablePlan
from components.model.spec import ON_DEMAND, index_capacity
from scripts.aws import PARALLEL_TABLES, DynamoDBClient, find_table
from scripts.drift import Difference, compare
from scripts.errors import ToolError
from scripts.export_tables import tables_with_prefix
from scripts.live import LiveTable, is_unsupported, read_live
from scripts.schema_files import TableSchema, declared_schema

# An on-demand table's index backfill has no published rate. This is a planning figure, not AWS's; pass
# --backfill-rate with what your own tables showed (the time an earlier index took / the item count).
DEFAULT_BACKFILL_ITEMS_PER_SECOND = 1000.0
ITEM_COUNT_NOTE = "Item counts are DynamoDB's own, refreshed about every six hours."


class ChangeClass(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    INDEX_CREATE = "index-create"
    INDEX_DELETE = "index-delete"
    INDEX_REBUILD = "index-rebuild"
    REPLACE = "replace"
    BLOCKED = "blocked"


# Changes that lose data or break queries: a person names the table with --allow-replace to go ahead.
DESTRUCTIVE = frozenset({ChangeClass.REPLACE, ChangeClass.INDEX_REBUILD, ChangeClass.INDEX_DELETE})
SYMBOL = {ChangeClass.CREATE: "+", ChangeClass.UPDATE: "~", ChangeClass.INDEX_CREATE: "+",
          ChangeClass.INDEX_DELETE: "-", ChangeClass.INDEX_REBUILD: "+-", ChangeClass.REPLACE: "+-",
          ChangeClass.BLOCKED: "!"}

# Exit codes of `tables plan`.
NOTHING_TO_DO, CHANGES_PENDING, DESTRUCTIVE_PENDING = 0, 1, 3

# The pulumi-aws properties behind each compared field: what `importIgnoreChanges` must list to leave
# that field as it is live during an adoption. Fields absent here (keys, local indexes) can't be left.
PROPERTIES_OF_FIELD = {
    "billingMode": ("billingMode", "readCapacity", "writeCapacity"),
    "stream": ("streamEnabled", "streamViewType"),
    "tableClass": ("tableClass",),
    "deletionProtection": ("deletionProtectionEnabled",),
    "ttl": ("ttl",),
    "pitr": ("pointInTimeRecovery",),
    "encryption": ("serverSideEncryption",),
    "encryption.kmsKey": ("serverSideEncryption",),
    "attributes": ("attributes",),
    "globalIndexes": ("globalSecondaryIndexes",),
    "tags": ("tags",),
}


def properties_of(field_name: str) -> tuple[str, ...] | None:
    """The Pulumi properties a field lives in, or None when no property can leave it as it is."""
    head = field_name.split(".", 1)[0]
    if field_name in PROPERTIES_OF_FIELD:
        return PROPERTIES_OF_FIELD[field_name]
    if head in ("globalIndexes", "tags"):
        return PROPERTIES_OF_FIELD[head]
    return None


@dataclass(frozen=True)
class Change:
    field: str
    change_class: ChangeClass
    declared: str | None
    live: str | None
    consequence: str
    # Left as it is live by importIgnoreChanges: not this `up`, but the one after the entry is removed.
    deferred: bool = False
    backfill_seconds: float | None = None

    def text(self) -> str:
        if self.declared is None:
            value = f"{self.live} (live only)"
        elif self.live is None:
            value = self.declared
        else:
            value = f"{self.live} => {self.declared}"
        note = " (deferred by importIgnoreChanges until the next up)" if self.deferred else ""
        return f"{SYMBOL[self.change_class]} {self.field}: {value}  [{self.change_class}] {self.consequence}{note}"

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "class": self.change_class.value, "declared": self.declared,
                "live": self.live, "consequence": self.consequence, "deferred": self.deferred,
                "backfillSeconds": self.backfill_seconds}


@dataclass(frozen=True)
class ImportCheck:
    """Whether `pulumi up` can adopt a live table as the stack declares it."""

    needed: tuple[str, ...]  # properties importIgnoreChanges must list for the import to match
    configured: tuple[str, ...]  # what the stack lists today
    impossible: tuple[str, ...]  # differing fields no property can leave as they are (keys, LSIs)
    differing: tuple[str, ...]

    @property
    def adoptable(self) -> bool:
        return not self.impossible and set(self.needed) <= set(self.configured)

    @property
    def unused(self) -> tuple[str, ...]:
        """Listed, though nothing differs there: the entry hides nothing and can go."""
        return tuple(p for p in self.configured if p not in self.needed)

    def as_json(self) -> dict[str, Any]:
        return {"adoptable": self.adoptable, "differing": list(self.differing), "needed": list(self.needed),
                "configured": list(self.configured), "impossible": list(self.impossible),
                "unused": list(self.unused)}


@dataclass
class TableChanges:
    plan: TablePlan
    live: LiveTable | None
    changes: list[Change] = field(default_factory=list)
    renamed_from: LiveTable | None = None
    import_check: ImportCheck | None = None

    @property
    def label(self) -> str:
        return f"{self.plan.family}.{self.plan.spec.key}"

    @property
    def classes(self) -> set[ChangeClass]:
        return {change.change_class for change in self.changes}

    @property
    def symbol(self) -> str:
        if ChangeClass.REPLACE in self.classes:
            return "+-"
        if ChangeClass.CREATE in self.classes:
            return "+"
        return "~" if self.changes or (self.import_check and not self.import_check.adoptable) else " "

    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.change_class in DESTRUCTIVE and not c.deferred]

    def blocked(self) -> list[Change]:
        return [c for c in self.changes if c.change_class is ChangeClass.BLOCKED and not c.deferred]

    def as_json(self) -> dict[str, Any]:
        return {"table": self.plan.name, "key": self.label, "action": self.symbol.strip() or "none",
                "existing": self.plan.existing, "renamedFrom": self.renamed_from.schema.name if self.renamed_from
                else None, "items": self.live.item_count if self.live else None,
                "changes": [c.as_json() for c in self.changes],
                "importCheck": self.import_check.as_json() if self.import_check else None}


# --- classifying one difference -----------------------------------------------------------------

def duration(seconds: float) -> str:
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"about {math.ceil(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def backfill_estimate(plan: TablePlan, index_name: str, live: LiveTable, rate: float) -> tuple[float, str]:
    """Seconds to backfill an index of the live table, and how the figure was reached."""
    items = live.item_count
    index = next(i for i in plan.spec.global_indexes if i.name == index_name)
    capacity = index_capacity(plan.spec, index)
    if plan.spec.billing_mode != ON_DEMAND and capacity is not None:
        # A provisioned index backfills with its own write capacity: one unit per started KB of each item.
        units_per_item = max(1, math.ceil(live.size_bytes / items / 1024)) if items else 1
        seconds = items * units_per_item / capacity.write
        how = f"{items:,} items at {capacity.write} write units/s"
    else:
        seconds = items / rate
        how = f"{items:,} items at an assumed {rate:,.0f} items/s"
    return seconds, f"backfill {duration(seconds)} ({how})"


# Settings that switch on and off in place, but whose value AWS will not change while they are on:
# field -> (why a change while on is blocked, what turning it off does, what turning it on does).
SWITCHED_SETTINGS = {
    "stream": ("AWS rejects a new view type while the stream is on: turn the stream off in one deploy, then on "
               "with the new type in the next (consumers miss the changes in between)",
               "the stream stops; its consumers get no more records",
               "a new stream starts; consumers must read its new ARN"),
    "ttl": ("AWS rejects a new TTL attribute while TTL is on: disable TTL in one deploy, then enable it with the "
            "new attribute in a later one (disabling can take up to an hour)",
            "expired items are no longer deleted",
            "items whose {declared} is in the past get deleted, within days"),
}


def classify(plan: TablePlan, difference: Difference, live: LiveTable, rate: float) -> Change:
    name, declared, have = difference.field, difference.declared, difference.live
    items = f"{live.item_count:,} items lost"

    def change(change_class: ChangeClass, consequence: str, seconds: float | None = None) -> Change:
        return Change(name, change_class, declared, have, consequence, backfill_seconds=seconds)

    if name == "keys":
        return change(ChangeClass.REPLACE, f"the key schema changes: the table is deleted and recreated empty: {items}")
    if name.startswith("localIndexes."):
        index = name.split(".", 1)[1]
        verb = "added" if have is None else "removed" if declared is None else "changed"
        return change(ChangeClass.REPLACE, f"local index {index} {verb}: DynamoDB sets local indexes only at "
                                           f"creation, so the table is deleted and recreated empty: {items}")
    if name.startswith("globalIndexes."):
        index = name.split(".")[1]
        if name.endswith(".status"):
            return change(ChangeClass.INDEX_CREATE, f"{index} is being built ({have}): pulumi up waits until it is "
                                                    "ACTIVE; queries on it fail until then")
        if declared is None:
            return change(ChangeClass.INDEX_DELETE, f"{index} is deleted: queries on it start failing "
                                                    "(the table's items stay)")
        seconds, estimate = backfill_estimate(plan, index, live, rate)
        if have is None:
            return change(ChangeClass.INDEX_CREATE, f"one index per UpdateTable call; {index} is unusable until "
                                                    f"ACTIVE (\"Cannot read from backfilling GSI\"); {estimate}",
                          seconds)
        return change(ChangeClass.INDEX_REBUILD, f"{index} is deleted, then created again: missing in between, its "
                                                 f"queries fail until it is ACTIVE; {estimate}", seconds)
    if name in SWITCHED_SETTINGS:
        blocked, turned_off, turned_on = SWITCHED_SETTINGS[name]
        if declared != "off" and have != "off":
            return change(ChangeClass.BLOCKED, blocked)
        what = turned_off if declared == "off" else turned_on.format(declared=declared)
        return change(ChangeClass.UPDATE, f"in place, no downtime: {what}")
    if name == "tableClass":
        return change(ChangeClass.UPDATE, "in place, no downtime (AWS allows two table class changes per 30 days)")
    if name == "billingMode":
        return change(ChangeClass.UPDATE, "in place, no downtime (AWS limits how often a table switches billing mode)")
    if name.startswith("encryption"):
        return change(ChangeClass.UPDATE, "in place: the table stays available while DynamoDB switches keys")
    return change(ChangeClass.UPDATE, "in place, no downtime")


def _attribute_difference(declared: TableSchema, live: TableSchema) -> Difference | None:
    """AttributeDefinitions differ when an index adds or drops a key attribute: a property of its own."""
    def text(schema: TableSchema) -> str:
        return ", ".join(f"{a['AttributeName']}:{a['AttributeType']}"
                         for a in sorted(schema.create["AttributeDefinitions"], key=lambda a: a["AttributeName"]))
    want, have = text(declared), text(live)
    return None if want == have else Difference("attributes", want, have)


def table_changes(client: DynamoDBClient, plan: TablePlan, rate: float) -> TableChanges:
    declared = declared_schema(plan)
    live = read_live(client, plan.name)
    if live is None:
        return TableChanges(plan, None, [Change("table", ChangeClass.CREATE, plan.name, None, "new empty table")])
    differences = compare(declared, live)
    result = TableChanges(plan, live, [classify(plan, d, live, rate) for d in differences])
    if plan.existing:
        attributes = _attribute_difference(declared, live.schema)
        result.import_check = import_check(plan, [*differences, *([attributes] if attributes else [])])
        ignored = set(plan.import_ignore_changes)
        result.changes = [replace(c, deferred=_left_as_live(c.field, ignored)) for c in result.changes]
    return result


def _left_as_live(field_name: str, ignored: set[str]) -> bool:
    properties = properties_of(field_name)
    return properties is not None and set(properties) <= ignored


def import_check(plan: TablePlan, differences: Sequence[Difference]) -> ImportCheck:
    needed: set[str] = set()
    impossible: list[str] = []
    for difference in differences:
        if difference.field.endswith(".status"):
            continue  # an index still building is the table's state, not an input of the import
        properties = properties_of(difference.field)
        if properties is None:
            impossible.append(difference.field)
        else:
            needed.update(properties)
    return ImportCheck(needed=tuple(sorted(needed)), configured=plan.import_ignore_changes,
                       impossible=tuple(impossible), differing=tuple(d.field for d in differences))


# --- a whole stack ------------------------------------------------------------------------------

@dataclass
class StackChanges:
    stack: str
    where: str
    tables: list[TableChanges]
    allowed: frozenset[str]  # table names a person allowed destructive changes on

    def not_allowed(self) -> list[TableChanges]:
        return [t for t in self.tables if t.destructive() and t.plan.name not in self.allowed]

    def blocked(self) -> list[TableChanges]:
        return [t for t in self.tables if t.blocked()]

    def exit_code(self) -> int:
        if self.not_allowed() or self.blocked():
            return DESTRUCTIVE_PENDING
        pending = any(t.changes or (t.import_check and not t.import_check.adoptable) for t in self.tables)
        return CHANGES_PENDING if pending else NOTHING_TO_DO

    def index_builds(self) -> list[tuple[TableChanges, list[Change]]]:
        """Per table, the index builds in the order the provider issues them (one UpdateTable call each)."""
        builds = []
        for table in self.tables:
            order = {index.name: i for i, index in enumerate(table.plan.spec.global_indexes)}
            steps = sorted((c for c in table.changes if c.backfill_seconds is not None and not c.deferred),
                           key=lambda c: order.get(c.field.split(".")[1], len(order)))
            if steps:
                builds.append((table, steps))
        return builds

    def as_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "endpoint": self.where, "exitCode": self.exit_code(),
                "tables": [t.as_json() for t in self.tables],
                "indexBuilds": [{"table": t.plan.name, "order": [c.field.split(".")[1] for c in steps],
                                 "seconds": sum(c.backfill_seconds or 0 for c in steps)}
                                for t, steps in self.index_builds()],
                "notAllowed": [t.plan.name for t in self.not_allowed()],
                "blocked": [t.plan.name for t in self.blocked()],
                "summary": self.summary()}

    def summary(self) -> str:
        counts = {"create": 0, "replace": 0, "update": 0, "unchanged": 0}
        for table in self.tables:
            symbol = table.symbol.strip()
            counts[{"+": "create", "+-": "replace", "~": "update"}.get(symbol, "unchanged")] += 1
        parts = [f"{n} to {kind}" if kind != "unchanged" else f"{n} unchanged" for kind, n in counts.items() if n]
        text = f"{len(self.tables)} table{'' if len(self.tables) == 1 else 's'}: {', '.join(parts)}"
        not_allowed = self.not_allowed()
        if not_allowed:
            names = " ".join(t.plan.name for t in not_allowed)
            text += (f"; destructive changes not allowed on {len(not_allowed)} "
                     f"table{'s' if len(not_allowed) > 1 else ''}: {', '.join(t.plan.name for t in not_allowed)} "
                     f"(after a person has checked them: --allow-replace {names})")
        blocked = self.blocked()
        if blocked:
            text += f"; blocked: {', '.join(t.plan.name for t in blocked)} (AWS rejects the change as one step)"
        unsupported = sorted({feature for t in self.tables if t.live for feature in t.live.unsupported})
        if unsupported:
            text += f" ({', '.join(unsupported)} not checked: unsupported by this endpoint)"
        return text


def check_allowed(plans: Sequence[TablePlan], allowed: Iterable[str], stack: str) -> frozenset[str]:
    """--allow-replace names, as table names; a name the stack does not declare is one error line."""
    by_name = {plan.name: plan.name for plan in plans}
    by_name.update({f"{plan.family}.{plan.spec.key}": plan.name for plan in plans})
    names = set()
    for name in allowed:
        if name not in by_name:
            raise ToolError("UnknownTable", f"--allow-replace {name}: stack '{stack}' declares no such table; "
                                            f"give a table name or family.key, e.g. {plans[0].name}", where=name)
        names.add(by_name[name])
    return frozenset(names)


def _renamed(client: DynamoDBClient, missing: list[TableChanges], plans: Sequence[TablePlan]) -> None:
    """A declared table that is missing while an undeclared live table of the same family, environment
    and keys exists: the table's name changed, and the provider replaces it (the old one is deleted)."""
    declared = {plan.name for plan in plans}
    families = {(t.plan.family, t.plan.environment) for t in missing}
    prefixes = sorted({t.plan.settings.prefix for t in missing})
    names = sorted({name for prefix in prefixes for name in tables_with_prefix(client, prefix)} - declared)
    candidates: list[LiveTable] = []
    for name in names:
        # Two calls to rule a table out by its tags; the full read only for tables of a missing table's family.
        described = find_table(client, name)
        if described is None:
            continue
        try:
            arn = described["TableArn"]
            tags = {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}
        except ClientError as error:
            if is_unsupported(error):
                return  # no tags on this endpoint (DynamoDB Local): nothing tells a rename apart
            raise
        if (tags.get("family"), tags.get("environment")) in families and tags.get("managed-by") == MANAGED_BY:
            live = read_live(client, name)
            if live is not None:
                candidates.append(live)
    for table in missing:
        wanted = {"family": table.plan.family, "environment": table.plan.environment}
        keys = declared_schema(table.plan).create["KeySchema"]
        for live in candidates:
            live_tags = {t["Key"]: t["Value"] for t in live.schema.create.get("Tags", [])}
            if all(live_tags.get(k) == v for k, v in wanted.items()) and live.schema.create["KeySchema"] == keys:
                candidates.remove(live)
                table.renamed_from = live
                table.changes = [Change("name", ChangeClass.REPLACE, table.plan.name, live.schema.name,
                                        f"the table's name changes: {live.schema.name} is deleted and "
                                        f"{table.plan.name} created empty: {live.item_count:,} items lost")]
                break


def plan_changes(client: DynamoDBClient, plans: Sequence[TablePlan], stack: str, where: str,
                 allowed: frozenset[str] = frozenset(),
                 rate: float = DEFAULT_BACKFILL_ITEMS_PER_SECOND) -> StackChanges:
    # Four read calls a table, tables independent: read them side by side, as drift does.
    with ThreadPoolExecutor(max_workers=PARALLEL_TABLES) as pool:
        tables = list(pool.map(lambda plan: table_changes(client, plan, rate), plans))
    missing_existing = [t for t in tables if t.live is None and t.plan.existing]
    if missing_existing:
        shown = ", ".join(t.plan.name for t in missing_existing[:3])
        more = f" and {len(missing_existing) - 3} more" if len(missing_existing) > 3 else ""
        families = sorted({t.plan.family for t in missing_existing})
        count = len(missing_existing)
        raise ToolError("NothingToImport",
                        f"stack '{stack}' adopts {count} table{'s' if count > 1 else ''} (existing) missing at "
                        f"{where}: {shown}{more}; the import has nothing to adopt: check the names, or remove them "
                        f"from {', '.join(f'{PROJECT}:families.{f}.existing' for f in families)}",
                        where=missing_existing[0].plan.name)
    missing = [t for t in tables if t.live is None]
    if missing:
        _renamed(client, missing, plans)
    return StackChanges(stack, where, tables, allowed)


# --- output -------------------------------------------------------------------------------------

def ignore_changes_config(stack_changes: StackChanges) -> str | None:
    """The stack-config entry that lets every adoption of this plan match, or None when none needs it."""
    entries: dict[str, dict[str, tuple[str, ...]]] = {}
    for table in stack_changes.tables:
        check = table.import_check
        if check and not check.impossible and check.needed and set(check.needed) != set(check.configured):
            entries.setdefault(table.plan.family, {})[table.plan.spec.key] = check.needed
    if not entries:
        return None
    lines = [f"  {PROJECT}:families:"]
    for family, tables in entries.items():
        lines += [f"    {family}:", "      importIgnoreChanges:"]
        lines += [f"        {key}: [{', '.join(properties)}]" for key, properties in tables.items()]
    return "\n".join(lines)


def _import_lines(table: TableChanges, stack: str) -> list[str]:
    check = table.import_check
    if check is None:
        return []
    if check.impossible:
        return [f"    import: pulumi up cannot adopt {table.plan.name}: {', '.join(check.impossible)} differ, and no "
                "option can leave them as they are; declare them exactly as they are live (tables scaffold prints "
                "them), or adopting replaces the table"]
    if not check.differing:
        return [f"    import: adoptable as declared{'; importIgnoreChanges can go' if check.configured else ''}"]
    if check.adoptable:
        lines = [f"    import: adoptable: importIgnoreChanges leaves {', '.join(check.needed)} as live; once "
                 f"adopted, remove the entry from Pulumi.{stack}.yaml and the next pulumi up applies the rest"]
        if check.unused:
            lines.append(f"    import: importIgnoreChanges also lists {', '.join(check.unused)}, where nothing "
                         "differs: remove those")
        return lines
    return [f"    import: pulumi up cannot adopt {table.plan.name} as declared: {', '.join(check.differing)} differ; "
            f"the import fails (or, on Pulumi CLIs that import with a diff, changes the table during the adoption). "
            f"Adopt it first with importIgnoreChanges {list(check.needed)} (printed below)"]


def format_plan(stack_changes: StackChanges) -> str:
    lines = [f"Plan for stack {stack_changes.stack} at {stack_changes.where}:", ""]
    for table in stack_changes.tables:
        if table.symbol == " ":
            continue
        classes = sorted(c.value for c in table.classes)
        head = f"{table.symbol:>2} {table.plan.name} ({table.label})"
        if table.live is not None:
            head += f", {table.live.item_count:,} items"
        lines.append(f"{head}  [{', '.join(classes) or 'adopt'}]")
        lines += [f"    {change.text()}" for change in table.changes]
        lines += _import_lines(table, stack_changes.stack)
    builds = stack_changes.index_builds()
    if builds:
        lines += ["", "Index builds, in the order they run (one UpdateTable call each; tables build in parallel):"]
        for table, steps in builds:
            order = ", ".join(f"{n}. {c.field.split('.')[1]} ({duration(c.backfill_seconds or 0)})"
                              for n, c in enumerate(steps, 1))
            lines.append(f"  {table.plan.name}: {order}; "
                         f"{duration(sum(c.backfill_seconds or 0 for c in steps))} in all")
        longest = max(sum(c.backfill_seconds or 0 for c in steps) for _, steps in builds)
        lines.append(f"  longest: {duration(longest)}. To split the work, add one index per deploy.")
    config = ignore_changes_config(stack_changes)
    if config:
        lines += ["", f"To adopt the existing tables first, add to Pulumi.{stack_changes.stack}.yaml (then remove it, "
                      "and the next pulumi up applies the differences):", config]
    if any(t.changes and t.live is not None for t in stack_changes.tables):
        lines += ["", ITEM_COUNT_NOTE]
    lines += ["", stack_changes.summary()]
    return "\n".join(lines)
