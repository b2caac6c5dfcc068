"""What applying the model will do to each live table, before `pulumi up` does it: `tables plan`.

`drift` says which fields differ; this module says what each difference costs, by the rules of the
settings registry (`scripts/table_settings.py`), each traced to the Terraform AWS provider's
`aws_dynamodb_table` that pulumi-aws is built on. The costly cases look small in a diff: a key
attribute's name, a local index or the table's name makes the provider delete the table and create an
empty one; a key attribute's *type* is not applied at all; a changed GSI is deleted and built again,
failing its queries meanwhile; a new GSI backfills for as long as the table is large; a new stream view
type gives the stream a new ARN. Each difference gets a class (`ChangeClass`), the consequence in words,
and for index builds an estimate of the backfill.

Tables a stack adopts (`existing`) also get an import check: whether `pulumi up` can take them over as
declared, and if not, the `importIgnoreChanges` entry that makes the adoption match.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from components.model.config_reader import PROJECT
from components.model.plan import MANAGED_BY, TablePlan
from components.model.spec import ON_DEMAND, index_capacity
from scripts.aws import DynamoDBClient, find_table, parallel_map
from scripts.drift import Difference, compare
from scripts.errors import ToolError
from scripts.errors import shown as escaped
from scripts.export_tables import tables_with_prefix
from scripts.live import LiveTable, is_unsupported, read_live
from scripts.schema_files import TableSchema, declared_schema
from scripts.table_settings import ChangeClass, setting_of

# An on-demand table's index backfill has no published rate. This is a planning figure, not AWS's; pass
# --backfill-rate with what your own tables showed (the time an earlier index took / the item count).
DEFAULT_BACKFILL_ITEMS_PER_SECOND = 1000.0
ITEM_COUNT_NOTE = "Item counts are DynamoDB's own, refreshed about every six hours."


__all__ = ["Change", "ChangeClass", "StackChanges", "TableChanges", "format_plan", "plan_changes"]

# Changes that lose data, break queries or move a stream: a person names the table with --allow-replace.
DESTRUCTIVE = frozenset({ChangeClass.REPLACE, ChangeClass.INDEX_REBUILD, ChangeClass.INDEX_DELETE,
                         ChangeClass.STREAM_CYCLE})
# Changes no flag lifts: AWS refuses them as one step, or pulumi up silently leaves them undone.
REFUSED = frozenset({ChangeClass.BLOCKED, ChangeClass.NOT_APPLIED})
SYMBOL = {ChangeClass.CREATE: "+", ChangeClass.UPDATE: "~", ChangeClass.INDEX_CREATE: "+",
          ChangeClass.INDEX_DELETE: "-", ChangeClass.INDEX_REBUILD: "+-", ChangeClass.REPLACE: "+-",
          ChangeClass.BLOCKED: "!", ChangeClass.NOT_APPLIED: "!", ChangeClass.STREAM_CYCLE: "~"}

# Exit codes of `tables plan`.
NOTHING_TO_DO, CHANGES_PENDING, DESTRUCTIVE_PENDING = 0, 1, 3

# AttributeDefinitions are not a drift field (an index or key change shows them), but an import compares them.
ATTRIBUTES_FIELD = "attributes"


def properties_of(field_name: str) -> tuple[str, ...] | None:
    """The pulumi-aws properties a field lives in (what `importIgnoreChanges` must list to leave it as it is
    live during an adoption), or None when no property can (keys, local indexes)."""
    if field_name == ATTRIBUTES_FIELD:
        return ("attributes",)
    return setting_of(field_name).properties


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
        # Live values come from the endpoint: attribute names may hold anything, newlines and escapes too.
        live, declared = escaped(self.live), escaped(self.declared)
        if self.declared is None:
            value = f"{live} (live only)"
        elif self.live is None:
            value = declared
        else:
            value = f"{live} => {declared}"
        note = " (deferred by importIgnoreChanges until the next up)" if self.deferred else ""
        return (f"{SYMBOL[self.change_class]} {escaped(self.field)}: {value}  [{self.change_class}] "
                f"{escaped(self.consequence)}{note}")

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

    def not_applied(self) -> list[Change]:
        return [c for c in self.changes if c.change_class is ChangeClass.NOT_APPLIED and not c.deferred]

    @property
    def import_fails(self) -> bool:
        return self.import_check is not None and not self.import_check.adoptable

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


def _names_only(value: Any) -> Any:
    """A key or index value without its attribute types: what the provider's diff sees. The `attribute` set is
    not ForceNew, and hash_key, range_key and the index set elements name their key attributes without types
    (terraform-provider-aws table.go, resourceTable's schema)."""
    if isinstance(value, tuple) and value and isinstance(value[0], tuple) and len(value[0]) == 3 \
            and all(isinstance(part, str) for part in value[0]):
        return tuple((name, role) for name, _, role in value)  # a key schema
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], tuple):
        return (_names_only(value[0]), value[1], value[2])  # an index: keys, projection, non-key attributes
    return value


def _type_change(declared: Any, live: Any, index: bool) -> str:
    """'placedAt S => N' for each key attribute whose type alone changed (of a key schema, or an index value)."""
    want, have = (declared[0], live[0]) if index else (declared, live)
    before = {name: kind for name, kind, _ in have}
    return ", ".join(f"{name} {before[name]} => {kind}" for name, kind, _ in want
                     if name in before and before[name] != kind)


def global_index_changes(differences: Sequence[Difference]) -> bool:
    """Whether the provider sees a `global_secondary_index` change: an index added, removed, given other key
    names, projection or capacity. A key type alone is not one (the set element holds no types, and
    customDiffGlobalSecondaryIndex clears a set change whose elements are equal by name); an index still
    building is the table's state, not a change (terraform-provider-aws table.go)."""
    for difference in differences:
        if not difference.field.startswith("globalIndexes.") or difference.field.endswith(".status"):
            continue
        if difference.field.endswith(".capacity") or difference.declared is None or difference.live is None:
            return True
        if _names_only(difference.declared_value) != _names_only(difference.live_value):
            return True
    return False


def _type_not_applied(what: str, remedy: str, gsi_changes: bool) -> str:
    """A key attribute type change `pulumi up` does not make. The last CustomizeDiff function of resourceTable
    clears `attribute` when no global index changes, so the preview shows nothing (pulumi-aws#1057). When an
    index changes in the same deploy the `attribute` change stays in the diff, but `attribute` is not ForceNew
    and resourceTableUpdate has no branch for it: it sends AttributeDefinitions only with a new index (phase 3,
    the Create actions of updateDiffGSI). AWS accepts the conflicting definition there and keeps the existing
    type (characterised on AWS in paritysuite/dynamodb-conformance#78; not observable here); DynamoDB Local
    refuses the call ("SchemaElement redefined should be of same type as previously defined", see
    tests/plan_conformance/test_conformance.py), and moto overwrites the type."""
    if gsi_changes:
        shown = ("a global index changes in the same deploy, so pulumi up shows the attribute change but never "
                 "makes it: the provider sends the new type only with a new index's UpdateTable, where AWS keeps "
                 "the existing type (DynamoDB Local refuses that call); every plan reports it again")
    else:
        shown = "pulumi up shows no diff and changes nothing, and every plan reports it again"
    return f"{what}: {shown}; {remedy}"


def replace_consequence(plan: TablePlan, old: LiveTable, what: str) -> str:
    """The table `old` is deleted: say so with its item count, and say when the deletion will fail instead.

    The program sets `name` itself, so Pulumi replaces the table delete-before-replace: the old table goes
    first, then the new one is created (pulumi/pulumi-terraform-bridge pkg/tfbridge/schema.go,
    nameRequiresDeleteBeforeReplace: an autonameable property given by the user, not the autonamer).

    Pulumi refuses to delete a resource with `protect` (pulumi/pulumi, the engine's step generator checks
    `Protect` before a delete or replace). DynamoDB refuses DeleteTable while deletion protection is on, and
    the provider neither turns it off first nor retries that refusal (terraform-provider-aws table.go,
    resourceTableDelete -> deleteTable, which retries only LimitExceededException "simultaneously" and
    ResourceInUseException). A replacement deletes the old table without updating it, so declaring deletion
    protection off in the same deploy does not help: the live setting decides."""
    count = old.item_count
    text = (f"{what}: {old.schema.name} is deleted ({count:,} item{'' if count == 1 else 's'} lost) and "
            f"{plan.name} created empty")
    stoppers = []
    if plan.protect:
        stoppers.append("the stack sets protect, so Pulumi refuses to delete the table")
    if old.schema.create.get("DeletionProtectionEnabled"):
        stoppers.append(f"deletion protection is on for {old.schema.name}, so DeleteTable fails")
    if stoppers:
        text += (f"; but pulumi up will fail instead, deleting nothing: {'; '.join(stoppers)} (lift them only "
                 "after the data is copied elsewhere, in a deploy of their own before this one)")
    return text


def classify(plan: TablePlan, difference: Difference, live: LiveTable, rate: float,
             gsi_changes: bool = False) -> Change:
    """One difference's class and consequence, by the registry's rule for its setting. `gsi_changes`: the
    provider sees a global index change on this table in the same deploy (global_index_changes)."""
    name, declared, have = difference.field, difference.declared, difference.live
    want_value, live_value = difference.declared_value, difference.live_value
    setting = setting_of(name)

    def change(change_class: ChangeClass, consequence: str, seconds: float | None = None) -> Change:
        return Change(name, change_class, declared, have, consequence, backfill_seconds=seconds)

    both = declared is not None and have is not None
    types_only = both and _names_only(want_value) == _names_only(live_value)
    if setting.field == "keys":
        # hash_key and range_key are ForceNew (resourceTable schema); a type alone is an `attribute` change.
        if types_only:
            return change(ChangeClass.NOT_APPLIED, _type_not_applied(
                f"only the key attribute type changes ({_type_change(want_value, live_value, False)})",
                "to change it, create a new table with the new key type, copy the items with a data migration, "
                "move readers and writers, then retire the old table", gsi_changes))
        return change(ChangeClass.REPLACE, replace_consequence(plan, live, "the key schema changes"))
    if setting.field == "localIndexes":
        index = name.split(".", 1)[1]
        if types_only:
            return change(ChangeClass.NOT_APPLIED, _type_not_applied(
                f"only local index {index}'s key attribute type changes "
                f"({_type_change(want_value, live_value, True)})",
                "local indexes exist only from a table's creation, so the remedy is a new table with the index, "
                "and a data migration", gsi_changes))
        verb = "added" if have is None else "removed" if declared is None else "changed"
        return change(ChangeClass.REPLACE, replace_consequence(
            plan, live, f"local index {index} {verb} (local_secondary_index is ForceNew)"))
    if setting.field == "globalIndexes.capacity":
        return change(ChangeClass.UPDATE, "in place, no downtime: the index's throughput is updated "
                                          "(UpdateGlobalSecondaryIndexAction)")
    if setting.field == "globalIndexes":
        index = name.split(".")[1]
        if name.endswith(".status"):
            return change(ChangeClass.INDEX_CREATE, f"{index} is being built ({have}): pulumi up waits until it is "
                                                    "ACTIVE; queries on it fail until then")
        if declared is None:
            return change(ChangeClass.INDEX_DELETE, f"{index} is deleted: queries on it start failing "
                                                    "(the table's items stay)")
        if types_only:
            return change(ChangeClass.NOT_APPLIED, _type_not_applied(
                f"only {index}'s key attribute type changes ({_type_change(want_value, live_value, True)})",
                "to change it, add a new index under a new name on an attribute of the new type, backfill that "
                "attribute with a data migration, move the queries, then drop the old index", gsi_changes))
        seconds, estimate = backfill_estimate(plan, index, live, rate)
        if have is None:
            return change(ChangeClass.INDEX_CREATE, f"one index per UpdateTable call; {index} is unusable until "
                                                    f"ACTIVE (\"Cannot read from backfilling GSI\"); {estimate}",
                          seconds)
        return change(ChangeClass.INDEX_REBUILD, f"{index} is deleted, then created again: missing in between, its "
                                                 f"queries fail until it is ACTIVE; {estimate}", seconds)
    if setting.field == "stream":
        if want_value is not None and live_value is not None:
            consumers = ", ".join(plan.spec.stream.consumers) if plan.spec.stream else "none declared"
            return change(ChangeClass.STREAM_CYCLE,
                          f"the provider disables the stream and enables it again with {declared} in the same "
                          f"update: the stream ARN changes, and its consumers ({consumers}) must read the new ARN; "
                          "records written in between reach no one")
        if want_value is None:
            return change(ChangeClass.UPDATE, "in place, no downtime: the stream stops; its consumers get no more "
                                              "records")
        return change(ChangeClass.UPDATE, "in place, no downtime: a new stream starts; consumers must read its "
                                          "new ARN")
    if setting.field == "ttl":
        if want_value is not None and live_value is not None:
            return change(ChangeClass.BLOCKED, "AWS rejects a new TTL attribute while TTL is on: disable TTL in "
                                               "one deploy, then enable it with the new attribute in a later one "
                                               "(disabling can take up to an hour)")
        if want_value is None:
            return change(ChangeClass.UPDATE, "in place, no downtime: expired items are no longer deleted")
        return change(ChangeClass.UPDATE, f"in place, no downtime: items whose {declared} is in the past get "
                                          "deleted, within days")
    if setting.field == "tableClass":
        return change(ChangeClass.UPDATE, "in place, no downtime (AWS allows two table class changes per 30 days)")
    if setting.field == "billingMode":
        return change(ChangeClass.UPDATE, "in place, no downtime (AWS limits how often a table switches billing mode)")
    if setting.field == "capacity":
        return change(ChangeClass.UPDATE, "in place, no downtime: the table's throughput is updated")
    if setting.field.startswith("encryption"):
        return change(ChangeClass.UPDATE, "in place: the table stays available while DynamoDB switches keys")
    return change(ChangeClass.UPDATE, "in place, no downtime")


def _attribute_difference(declared: TableSchema, live: TableSchema) -> Difference | None:
    """AttributeDefinitions differ when an index adds or drops a key attribute: a property of its own."""
    def value(schema: TableSchema) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((a["AttributeName"], a["AttributeType"]) for a in schema.create["AttributeDefinitions"]))

    def text(attributes: tuple[tuple[str, str], ...]) -> str:
        return ", ".join(f"{name}:{kind}" for name, kind in attributes)

    want, have = value(declared), value(live)
    return None if want == have else Difference(ATTRIBUTES_FIELD, text(want), text(have), want, have)


def _covered_capacity(differences: Sequence[Difference]) -> list[Difference]:
    """An index's capacity alongside the index's own creation, deletion or rebuild says nothing more."""
    rebuilt = {d.field for d in differences if d.field.startswith("globalIndexes.") and d.field.count(".") == 1}
    return [d for d in differences
            if not (d.field.endswith(".capacity") and d.field.rsplit(".", 1)[0] in rebuilt)]


def table_changes(client: DynamoDBClient, plan: TablePlan, rate: float) -> TableChanges:
    declared = declared_schema(plan)
    live = read_live(client, plan.name)
    if live is None:
        return TableChanges(plan, None, [Change("table", ChangeClass.CREATE, plan.name, None, "new empty table")])
    differences = _covered_capacity(compare(declared, live))
    gsi_changes = global_index_changes(differences)
    result = TableChanges(plan, live, [classify(plan, d, live, rate, gsi_changes) for d in differences])
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

    def not_applied(self) -> list[TableChanges]:
        return [t for t in self.tables if t.not_applied()]

    def import_failures(self) -> list[TableChanges]:
        return [t for t in self.tables if t.import_fails]

    def exit_code(self) -> int:
        if self.not_allowed() or self.blocked() or self.not_applied() or self.import_failures():
            return DESTRUCTIVE_PENDING
        pending = any(t.changes or (t.import_check and not t.import_check.adoptable) for t in self.tables)
        return CHANGES_PENDING if pending else NOTHING_TO_DO

    def index_builds(self) -> list[tuple[TableChanges, list[Change]]]:
        """Per table, the index builds (one UpdateTable call and one wait each), listed by name: the provider
        issues them in the iteration order of its `global_secondary_index` set, which hashes each element, not
        in declaration order (terraform-provider-aws table.go, resourceTableUpdate phase 3 over updateDiffGSI)."""
        builds = []
        for table in self.tables:
            steps = sorted((c for c in table.changes if c.backfill_seconds is not None and not c.deferred),
                           key=lambda c: c.field)
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
                "notApplied": [t.plan.name for t in self.not_applied()],
                "importFails": [t.plan.name for t in self.import_failures()],
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
        not_applied = self.not_applied()
        if not_applied:
            text += (f"; not applied by pulumi up: {', '.join(t.plan.name for t in not_applied)} (key attribute "
                     "types: a new table or index and a data migration)")
        failing = self.import_failures()
        if failing:
            text += f"; import fails: {', '.join(t.plan.name for t in failing)}"
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


def _tags(client: DynamoDBClient, arn: str) -> dict[str, str] | None:
    """A table's tags, or None on an endpoint without tagging (DynamoDB Local)."""
    try:
        return {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    except ClientError as error:
        if is_unsupported(error):
            return None
        raise


def _family_affixes(plans: Sequence[TablePlan], live_names: set[str]) -> tuple[str, str] | None:
    """The (prefix, suffix) that turns most of a family's base names into live, undeclared table names: the
    family's previous naming, when its prefix or suffix changed."""
    votes: Counter[tuple[str, str]] = Counter()
    for plan in plans:
        base = plan.spec.base_name
        found = set()
        for name in live_names:
            start = name.find(base)
            while start != -1:
                found.add((name[:start], name[start + len(base):]))
                start = name.find(base, start + 1)
        votes.update(found)
    if not votes:
        return None
    best = max(votes.values())
    winners = sorted(affix for affix, count in votes.items() if count == best)
    return winners[0] if len(winners) == 1 else None  # a tie names no previous convention


def previous_names(client: DynamoDBClient, missing: Sequence[TableChanges], plans: Sequence[TablePlan],
                   previous: Sequence[TablePlan] | None = None) -> dict[str, str]:
    """family.key -> the live table a missing table was called before its prefix, suffix or base name changed.

    With the previous stack config, the old names are its names. Without it, they are found among the live
    tables the stack does not declare: per family, the prefix and suffix that rebuild most of its base names
    exactly (so `paddle-webhooks` never pairs with `paddle-webhook-dlq`), then, for a changed base name, the
    one leftover table of the family with the same key attribute names."""
    declared = {plan.name for plan in plans}
    if previous is not None:
        before = {f"{plan.family}.{plan.spec.key}": plan.name for plan in previous}
        return {t.label: before[t.label] for t in missing if t.label in before and before[t.label] not in declared}
    live_names = set(tables_with_prefix(client, "")) - declared
    found: dict[str, str] = {}
    families: dict[str, list[TableChanges]] = {}
    for table in missing:
        families.setdefault(table.plan.family, []).append(table)
    for family, tables in families.items():
        family_plans = [plan for plan in plans if plan.family == family]
        # No base name rebuilt: the naming did not change (a base name did), so look under today's.
        settings = family_plans[0].settings
        prefix, suffix = _family_affixes(family_plans, live_names) or (settings.prefix, settings.suffix)
        for table in tables:
            name = f"{prefix}{table.plan.spec.base_name}{suffix}"
            if name in live_names:
                found[table.label] = name
        # A base name that changed: the family's leftover tables under the same prefix and suffix.
        taken = set(found.values()) | {f"{prefix}{plan.spec.base_name}{suffix}" for plan in family_plans}
        leftovers = sorted(n for n in live_names - taken if n.startswith(prefix) and n.endswith(suffix))
        for table in (t for t in tables if t.label not in found):
            keys = [(k["AttributeName"], k["KeyType"]) for k in declared_schema(table.plan).create["KeySchema"]]
            same_keys = []
            for name in leftovers:
                described = find_table(client, name)
                if described and [(k["AttributeName"], k["KeyType"]) for k in described["KeySchema"]] == keys:
                    same_keys.append(name)
            if len(same_keys) == 1:
                found[table.label] = same_keys[0]
                leftovers.remove(same_keys[0])
    return found


def _renamed(client: DynamoDBClient, missing: list[TableChanges], plans: Sequence[TablePlan],
             previous: Sequence[TablePlan] | None = None) -> None:
    """A declared table that is missing while its old name is live: `name` is ForceNew (resourceTable schema),
    so the provider replaces the table and the old one, with its items, is deleted."""
    names = previous_names(client, missing, plans, previous)
    for table in missing:
        old_name = names.get(table.label)
        if old_name is None:
            continue
        live = read_live(client, old_name)
        if live is None:
            continue
        tags = {t["Key"]: t["Value"] for t in live.schema.create.get("Tags", [])}
        if "tags" not in live.unsupported and tags and (
                tags.get("family") != table.plan.family or tags.get("environment") != table.plan.environment
                or tags.get("managed-by") != MANAGED_BY):
            continue  # another stack's or another family's table that happens to fit the name
        table.renamed_from = live
        table.changes = [Change("name", ChangeClass.REPLACE, table.plan.name, old_name,
                                replace_consequence(table.plan, live, "the table's name changes (name is ForceNew)"))]


def load_previous_config(path: Path) -> list[TablePlan]:
    """The table plans of a previous `Pulumi.<stack>.yaml` (for example from `git show`), for the old names."""
    from components.families import plan_from_stack_file
    from components.model.spec import ModelError

    if not (path.name.startswith("Pulumi.") and path.name.endswith(".yaml")) or not path.is_file():
        raise ToolError("InvalidPreviousConfig", f"--previous-config {path}: expected an existing file named "
                                                 "Pulumi.<stack>.yaml (the stack file as it was before the change)",
                        where=str(path))
    stack = path.name[len("Pulumi."):-len(".yaml")]
    try:
        return plan_from_stack_file(path.parent, stack)
    except ModelError as error:
        raise ToolError("InvalidPreviousConfig", f"--previous-config {path}: {error}", where=str(path)) from None


def plan_changes(client: DynamoDBClient, plans: Sequence[TablePlan], stack: str, where: str,
                 allowed: frozenset[str] = frozenset(),
                 rate: float = DEFAULT_BACKFILL_ITEMS_PER_SECOND,
                 previous: Sequence[TablePlan] | None = None) -> StackChanges:
    # Four read calls a table, tables independent: read them side by side, as drift does.
    tables = parallel_map(lambda plan: table_changes(client, plan, rate), plans)
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
        _renamed(client, missing, plans, previous)
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
        lines += ["", "Index builds: one per update, each waited for until ACTIVE, in an order the provider chooses "
                      "(its set order, not the declaration order; tables build in parallel):"]
        for table, steps in builds:
            order = ", ".join(f"{c.field.split('.')[1]} ({duration(c.backfill_seconds or 0)})" for c in steps)
            lines.append(f"  {table.plan.name}: {order}; "
                         f"{duration(sum(c.backfill_seconds or 0 for c in steps))} in all")
        longest = max(sum(c.backfill_seconds or 0 for c in steps) for _, steps in builds)
        lines.append(f"  longest: {duration(longest)}. To split the work, add one index per deploy.")
    config = ignore_changes_config(stack_changes)
    if config:
        lines += ["", f"To adopt the existing tables first, add to Pulumi.{stack_changes.stack}.yaml (then remove it, "
                      "and the next pulumi up applies the differences):", config]
    if any(t.changes and (t.live is not None or t.renamed_from is not None) for t in stack_changes.tables):
        lines += ["", ITEM_COUNT_NOTE]
    lines += ["", stack_changes.summary()]
    return "\n".join(lines)
