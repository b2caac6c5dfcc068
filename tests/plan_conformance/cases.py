"""The plan's conformance cases: a before-table, an after-model, and what `pulumi up` does in between.

Each case's expectation (class, consequence, exit code) is worked out by hand from the provider's code,
hashicorp/terraform-provider-aws internal/service/dynamodb/table.go (the `aws_dynamodb_table` pulumi-aws 7.x
is built on); `source` names the function or schema attribute behind it. The before-tables are created with
boto3 on the shared moto server (moto implements PITR, TTL, tags, streams and capacity, which DynamoDB Local
partly lacks). `docs/deployment.md` shows the output of the cases marked `example`, one per class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from components.model.family import FamilyDefinition
from components.model.plan import TablePlan, plan_stack
from components.model.spec import (
    ON_DEMAND,
    PROVISIONED,
    Capacity,
    GlobalIndex,
    Key,
    LocalIndex,
    Projection,
    Stream,
    StreamViewType,
    TableClass,
    TableSpec,
)
from components.model.stack_file import engine_encoding
from components.model.stack_settings import parse_stack_config
from scripts.change_plan import (
    CHANGES_PENDING,
    DESTRUCTIVE_PENDING,
    NOTHING_TO_DO,
    ChangeClass,
    StackChanges,
    check_allowed,
    plan_changes,
)
from scripts.create_tables import create_tables
from scripts.schema_files import declared_schema

FAMILY = "conformance"
STACK = "conformance"
WHERE = "moto"
TF = "terraform-provider-aws table.go"


ID = Key("id")


def table(key: str, base: str | None = None, partition: Key = ID, sort: Key | None = None,
          gsis: Sequence[GlobalIndex] = (), lsis: Sequence[LocalIndex] = (), ttl: str | None = None,
          stream: Stream | None = None, capacity: Capacity | None = None) -> TableSpec:
    return TableSpec(key=key, base_name=base or key, env_var=key.upper().replace("-", "_") + "_TABLE",
                     description=f"{key}.", partition=partition, sort=sort, global_indexes=tuple(gsis),
                     local_indexes=tuple(lsis), ttl_attribute=ttl, stream=stream,
                     billing_mode=PROVISIONED if capacity else ON_DEMAND, capacity=capacity)


@dataclass(frozen=True)
class Stack:
    """A one-family stack file, parsed by the real config parser."""

    prefix: str = ""
    suffix: str = ""
    environment: str = "dev"
    protect: bool = False
    deletion_protection: bool = False
    pitr: bool = True
    existing: bool = False
    ignore: dict[str, list[str]] | None = None
    kms_key_arn: str | None = None

    def plans(self, specs: Sequence[TableSpec]) -> list[TablePlan]:
        body: dict[str, object] = {"prefix": self.prefix, "suffix": self.suffix, "existing": self.existing}
        if self.ignore is not None:
            body["importIgnoreChanges"] = self.ignore
        if self.kms_key_arn is not None:
            body["kmsKeyArn"] = self.kms_key_arn
        config = {"dynamodb-tables:environment": self.environment,
                  "dynamodb-tables:deletionProtection": self.deletion_protection,
                  "dynamodb-tables:protect": self.protect, "dynamodb-tables:pointInTimeRecovery": self.pitr,
                  "dynamodb-tables:families": {FAMILY: body}}
        family = FamilyDefinition(FAMILY, "Conformance", tuple(specs), "Conformance")
        return plan_stack(parse_stack_config(engine_encoding(config), STACK, [FAMILY]), {FAMILY: family})


# (field, class, consequence: the whole text, or a part of it when the part is what the case is about)
Expected = tuple[str, ChangeClass, str]


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # the provider code behind the expectation
    before: Sequence[TableSpec]
    after: Sequence[TableSpec]
    expect: dict[str, list[Expected]]  # table key -> its changes; other tables must have none
    exit_code: int
    before_stack: Stack = Stack(prefix="c-")
    after_stack: Stack | None = None  # the same as before unless given
    items: dict[str, int] = field(default_factory=dict)  # table key -> items put in the before-table
    allowed: tuple[str, ...] = ()
    previous_config: bool = False  # pass the before-stack's plans as --previous-config would
    applies_in_place: bool = False  # apply the changes on the endpoint as the provider does, then re-plan
    example: str = ""  # docs/deployment.md shows this case's output as the example of this class
    renamed_from: dict[str, str] = field(default_factory=dict)  # table key -> the old table's name

    @property
    def stack_after(self) -> Stack:
        return self.after_stack or self.before_stack


def _item(plan: TablePlan, i: int) -> dict[str, Any]:
    schema = declared_schema(plan).create
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["AttributeDefinitions"]}
    values = {"S": {"S": f"v{i}"}, "N": {"N": str(i)}, "B": {"B": bytes([i % 256])}}
    return {k["AttributeName"]: values[types[k["AttributeName"]]] for k in schema["KeySchema"]}


def run_case(client: Any, case: Case) -> StackChanges:
    before = case.before_stack.plans(case.before)
    create_tables(client, [declared_schema(p) for p in before])
    for plan in before:
        for i in range(case.items.get(plan.spec.key, 0)):
            client.put_item(TableName=plan.name, Item=_item(plan, i))
    after = case.stack_after.plans(case.after)
    allowed = check_allowed(after, case.allowed, STACK) if case.allowed else frozenset()
    return plan_changes(client, after, STACK, WHERE, allowed, previous=before if case.previous_config else None)


# --- the cases ------------------------------------------------------------------------------------

ORDERS = table("orders", partition=Key("customerId"), sort=Key("placedAt"))
EVENTS = table("events", capacity=Capacity(5, 5),
               gsis=(GlobalIndex("by-kind", partition=(Key("kind"),), capacity=Capacity(5, 5)),))
STATUS_INDEX = GlobalIndex("by-status", partition=(Key("status"),), sort=(Key("createdAt", "N"),))
ITEMS = table("items", gsis=(STATUS_INDEX,), ttl="ttl")
FEED = table("feed", stream=Stream(StreamViewType.NEW_IMAGE, consumers=("aggregator", "search-indexer")))
WITH_LSI = replace(ORDERS, key="ledger", base_name="ledger", env_var="LEDGER_TABLE",
                   local_indexes=(LocalIndex("by-total", sort=Key("total", "N")),))
FOUR = [table("creators"), table("products", gsis=(GlobalIndex("creatorId-index", partition=(Key("creatorId"),)),)),
        table("analytics-events", ttl="ttl"), table("analytics-summaries", partition=Key("creatorId"))]
PADDLE = [table("paddle-webhooks", partition=Key("eventId")), table("paddle-webhook-dlq", partition=Key("eventId")),
          table("paddle-customers", partition=Key("eventId"))]

REBUILD = "is deleted, then created again: missing in between, its queries fail until it is ACTIVE"
NOT_APPLIED_TABLE = ("pulumi up shows no diff and changes nothing, and every plan reports it again; to change it, "
                     "create a new table with the new key type, copy the items with a data migration, move readers "
                     "and writers, then retire the old table")
PROTECTED = ("but pulumi up will fail instead, deleting nothing: the stack sets protect, so Pulumi refuses to delete "
             "the table")
KEY_1 = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_2 = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"
TYPE_STAYS = ("a global index changes in the same deploy, so pulumi up shows the attribute change but never makes it: "
              "the provider sends the new type only with a new index's UpdateTable, where AWS keeps the existing "
              "type (DynamoDB Local refuses that call); every plan reports it again")
CYCLE = ("the provider disables the stream and enables it again with NEW_AND_OLD_IMAGES in the same update: the "
         "stream ARN changes, and its consumers (aggregator, search-indexer) must read the new ARN; records written "
         "in between reach no one")

CASES: list[Case] = [
    # --- the table's own keys: hash_key and range_key are ForceNew in resourceTable's schema
    Case("hash-key-renamed", f"{TF}: resourceTable schema, hash_key ForceNew",
         [ORDERS], [replace(ORDERS, partition=Key("accountId"))],
         {"orders": [("keys", ChangeClass.REPLACE, "the key schema changes: c-orders is deleted (3 items lost) and "
                                                   "c-orders created empty")]},
         DESTRUCTIVE_PENDING, items={"orders": 3}, example="replace"),
    Case("sort-key-renamed", f"{TF}: resourceTable schema, range_key ForceNew",
         [ORDERS], [replace(ORDERS, sort=Key("orderedAt"))],
         {"orders": [("keys", ChangeClass.REPLACE, "c-orders is deleted (2 items lost)")]},
         DESTRUCTIVE_PENDING, items={"orders": 2}),
    Case("sort-key-added", f"{TF}: resourceTable schema, range_key ForceNew",
         [table("plain")], [table("plain", sort=Key("at"))],
         {"plain": [("keys", ChangeClass.REPLACE, "c-plain is deleted (0 items lost)")]}, DESTRUCTIVE_PENDING),
    Case("sort-key-removed", f"{TF}: resourceTable schema, range_key ForceNew",
         [ORDERS], [replace(ORDERS, sort=None)],
         {"orders": [("keys", ChangeClass.REPLACE, "c-orders is deleted (1 item lost)")]},
         DESTRUCTIVE_PENDING, items={"orders": 1}),
    Case("replace-allowed", f"{TF}: resourceTable schema, hash_key ForceNew; --allow-replace names the table",
         [ORDERS], [replace(ORDERS, partition=Key("accountId"))],
         {"orders": [("keys", ChangeClass.REPLACE, "c-orders is deleted")]}, CHANGES_PENDING, allowed=("c-orders",)),
    Case("sort-key-type", f"{TF}: `attribute` is not ForceNew; CustomizeDiff clears an attribute-only change "
                          "without a GSI change (pulumi-aws#1057)",
         [ORDERS], [replace(ORDERS, sort=Key("placedAt", "N"))],
         {"orders": [("keys", ChangeClass.NOT_APPLIED,
                      f"only the key attribute type changes (placedAt S => N): {NOT_APPLIED_TABLE}")]},
         DESTRUCTIVE_PENDING, items={"orders": 4}, example="not-applied"),
    Case("partition-key-type", f"{TF}: `attribute` is not ForceNew; CustomizeDiff (pulumi-aws#1057)",
         [ORDERS], [replace(ORDERS, partition=Key("customerId", "N"))],
         {"orders": [("keys", ChangeClass.NOT_APPLIED, "only the key attribute type changes (customerId S => N)")]},
         DESTRUCTIVE_PENDING),
    Case("key-type-allow-replace-does-not-lift", f"{TF}: CustomizeDiff (pulumi-aws#1057): nothing to allow",
         [ORDERS], [replace(ORDERS, sort=Key("placedAt", "N"))],
         {"orders": [("keys", ChangeClass.NOT_APPLIED, "pulumi up shows no diff")]},
         DESTRUCTIVE_PENDING, allowed=("c-orders",)),
    # A GSI change in the same deploy keeps the `attribute` change (the CustomizeDiff clears it only without one),
    # but `attribute` is not ForceNew and resourceTableUpdate sends AttributeDefinitions only with phase 3's Create
    # actions, where AWS keeps an existing attribute's type (paritysuite/dynamodb-conformance#78) and DynamoDB
    # Local refuses the call (test_phase_3_with_a_changed_key_type_on_dynamodb_local).
    Case("key-type-with-gsi-added", f"{TF}: resourceTable's last CustomizeDiff keeps `attribute` when "
                                    "global_secondary_index changes; `attribute` not ForceNew; resourceTableUpdate "
                                    "phase 3 sends expandAttributes with the Create only",
         [ORDERS], [replace(ORDERS, sort=Key("placedAt", "N"),
                            global_indexes=(GlobalIndex("by-channel", partition=(Key("channel"),)),))],
         {"orders": [("keys", ChangeClass.NOT_APPLIED,
                      f"only the key attribute type changes (placedAt S => N): {TYPE_STAYS}; to change it, create a "
                      "new table with the new key type"),
                     ("globalIndexes.by-channel", ChangeClass.INDEX_CREATE, "by-channel is unusable until ACTIVE")]},
         DESTRUCTIVE_PENDING, items={"orders": 2}),
    Case("key-type-with-gsi-capacity", f"{TF}: CustomizeDiff keeps `attribute` beside a GSI capacity change; "
                                       "updateDiffGSI's Update action carries no AttributeDefinitions",
         [EVENTS], [replace(EVENTS, partition=Key("id", "N"),
                            global_indexes=(replace(EVENTS.global_indexes[0], capacity=Capacity(9, 9)),))],
         {"events": [("keys", ChangeClass.NOT_APPLIED,
                      f"only the key attribute type changes (id S => N): {TYPE_STAYS}"),
                     ("globalIndexes.by-kind.capacity", ChangeClass.UPDATE, "the index's throughput is updated")]},
         DESTRUCTIVE_PENDING),
    Case("gsi-key-type-with-other-gsi-added", f"{TF}: CustomizeDiff keeps `attribute`; phase 3 sends the changed "
                                              "type with the other index's Create, DynamoDB keeps the existing one",
         [ITEMS], [replace(ITEMS, global_indexes=(replace(STATUS_INDEX, sort=(Key("createdAt", "S"),)),
                                                  GlobalIndex("by-owner", partition=(Key("owner"),))))],
         {"items": [("globalIndexes.by-status", ChangeClass.NOT_APPLIED,
                     f"only by-status's key attribute type changes (createdAt N => S): {TYPE_STAYS}; to change it, "
                     "add a new index under a new name"),
                    ("globalIndexes.by-owner", ChangeClass.INDEX_CREATE, "by-owner is unusable until ACTIVE")]},
         DESTRUCTIVE_PENDING),
    Case("gsi-key-type-and-projection", f"{TF}: updateDiffGSI, checkIfGSIRecreateAttributesChanged -> Delete, then "
                                        "Create with the new AttributeDefinitions: the rebuilt index has the new type",
         [ITEMS], [replace(ITEMS, global_indexes=(replace(STATUS_INDEX, sort=(Key("createdAt", "S"),),
                                                          projection=Projection.KEYS_ONLY),))],
         {"items": [("globalIndexes.by-status", ChangeClass.INDEX_REBUILD, f"by-status {REBUILD}")]},
         DESTRUCTIVE_PENDING),
    Case("key-change-protected-stack", f"{TF}: hash_key ForceNew; pulumi/pulumi refuses to delete a protected "
                                       "resource",
         [ORDERS], [replace(ORDERS, partition=Key("accountId"))],
         {"orders": [("keys", ChangeClass.REPLACE, PROTECTED)]}, DESTRUCTIVE_PENDING,
         before_stack=Stack(prefix="c-", environment="staging", protect=True)),
    Case("key-change-deletion-protection", f"{TF}: hash_key ForceNew; resourceTableDelete's DeleteTable fails "
                                           "under deletion protection",
         [ORDERS], [replace(ORDERS, partition=Key("accountId"))],
         {"orders": [("keys", ChangeClass.REPLACE, "deletion protection is on for c-orders, so DeleteTable fails")]},
         DESTRUCTIVE_PENDING, before_stack=Stack(prefix="c-", deletion_protection=True)),
    Case("key-change-deletion-protection-declared-off", f"{TF}: hash_key ForceNew: a replacement calls "
                                                        "resourceTableDelete on the old state, never "
                                                        "resourceTableUpdate, so declaring it off does not help",
         [ORDERS], [replace(ORDERS, partition=Key("accountId"))],
         {"orders": [("keys", ChangeClass.REPLACE, "deletion protection is on for c-orders, so DeleteTable fails"),
                     ("deletionProtection", ChangeClass.UPDATE, "in place")]},
         DESTRUCTIVE_PENDING, before_stack=Stack(prefix="c-", deletion_protection=True),
         after_stack=Stack(prefix="c-")),
    # --- the table's name: name is ForceNew in resourceTable's schema
    Case("prefix-renamed", f"{TF}: resourceTable schema, name ForceNew",
         FOUR, FOUR,
         {spec.key: [("name", ChangeClass.REPLACE,
                      f"the table's name changes (name is ForceNew): dev-{spec.key} is deleted "
                      f"({n} item{'' if n == 1 else 's'} lost) and dev2-{spec.key} created empty")]
          for spec, n in zip(FOUR, (3, 1, 0, 2), strict=True)},
         DESTRUCTIVE_PENDING, before_stack=Stack(prefix="dev-"), after_stack=Stack(prefix="dev2-"),
         items={"creators": 3, "products": 1, "analytics-summaries": 2}, example="replace (renamed)",
         renamed_from={spec.key: f"dev-{spec.key}" for spec in FOUR}),
    Case("suffix-renamed", f"{TF}: resourceTable schema, name ForceNew",
         [ITEMS], [ITEMS],
         {"items": [("name", ChangeClass.REPLACE, "items-dev is deleted (5 items lost) and items-development created "
                                                  "empty")]},
         DESTRUCTIVE_PENDING, before_stack=Stack(suffix="-dev"), after_stack=Stack(suffix="-development"),
         items={"items": 5}, renamed_from={"items": "items-dev"}),
    Case("base-name-renamed", f"{TF}: resourceTable schema, name ForceNew",
         [table("settings", base="settings-v1")], [table("settings", base="settings-v2")],
         {"settings": [("name", ChangeClass.REPLACE, "c-settings-v1 is deleted (2 items lost) and c-settings-v2 "
                                                     "created empty")]},
         DESTRUCTIVE_PENDING, items={"settings": 2}, renamed_from={"settings": "c-settings-v1"}),
    Case("prefix-renamed-similar-names", f"{TF}: name ForceNew; pairs by the exact old name, not the key schema",
         PADDLE, PADDLE,
         {"paddle-webhooks": [("name", ChangeClass.REPLACE, "ce-dev-paddle-webhooks is deleted (4 items lost)")],
          "paddle-webhook-dlq": [("name", ChangeClass.REPLACE, "ce-dev-paddle-webhook-dlq is deleted (1 item lost)")],
          "paddle-customers": [("name", ChangeClass.REPLACE, "ce-dev-paddle-customers is deleted (0 items lost)")]},
         DESTRUCTIVE_PENDING, before_stack=Stack(prefix="ce-dev-"), after_stack=Stack(prefix="ce-dev2-"),
         items={"paddle-webhooks": 4, "paddle-webhook-dlq": 1},
         renamed_from={"paddle-webhooks": "ce-dev-paddle-webhooks",
                       "paddle-webhook-dlq": "ce-dev-paddle-webhook-dlq",
                       "paddle-customers": "ce-dev-paddle-customers"}),
    Case("previous-config-rename", f"{TF}: name ForceNew; the old names from the previous stack config",
         [table("sessions")], [table("sessions")],
         {"sessions": [("name", ChangeClass.REPLACE, "old-sessions is deleted (2 items lost) and new-sessions "
                                                     "created empty")]},
         DESTRUCTIVE_PENDING, before_stack=Stack(prefix="old-"), after_stack=Stack(prefix="new-"),
         items={"sessions": 2}, previous_config=True, renamed_from={"sessions": "old-sessions"}),
    Case("rename-protected-stack", f"{TF}: name ForceNew; pulumi/pulumi refuses to delete a protected resource",
         [table("sessions")], [table("sessions")],
         {"sessions": [("name", ChangeClass.REPLACE, PROTECTED)]}, DESTRUCTIVE_PENDING,
         before_stack=Stack(prefix="s1-", environment="staging", protect=True),
         after_stack=Stack(prefix="s2-", environment="staging", protect=True),
         renamed_from={"sessions": "s1-sessions"}),
    Case("missing-table", f"{TF}: resourceTableCreate",
         [], [table("fresh")], {"fresh": [("table", ChangeClass.CREATE, "new empty table")]}, CHANGES_PENDING,
         example="create"),
    # --- local indexes: local_secondary_index and all its fields are ForceNew
    Case("lsi-added", f"{TF}: resourceTable schema, local_secondary_index ForceNew",
         [ORDERS], [replace(ORDERS, local_indexes=(LocalIndex("by-total", sort=Key("total", "N")),))],
         {"orders": [("localIndexes.by-total", ChangeClass.REPLACE,
                      "local index by-total added (local_secondary_index is ForceNew): c-orders is deleted "
                      "(2 items lost) and c-orders created empty")]}, DESTRUCTIVE_PENDING, items={"orders": 2}),
    Case("lsi-removed", f"{TF}: resourceTable schema, local_secondary_index ForceNew",
         [WITH_LSI], [replace(WITH_LSI, local_indexes=())],
         {"ledger": [("localIndexes.by-total", ChangeClass.REPLACE, "local index by-total removed")]},
         DESTRUCTIVE_PENDING),
    Case("lsi-projection", f"{TF}: local_secondary_index.projection_type ForceNew",
         [WITH_LSI], [replace(WITH_LSI, local_indexes=(LocalIndex("by-total", sort=Key("total", "N"),
                                                                  projection=Projection.KEYS_ONLY),))],
         {"ledger": [("localIndexes.by-total", ChangeClass.REPLACE, "local index by-total changed")]},
         DESTRUCTIVE_PENDING),
    Case("lsi-change-protected-stack", f"{TF}: local_secondary_index ForceNew; protect and deletion protection",
         [WITH_LSI], [replace(WITH_LSI, local_indexes=(LocalIndex("by-total", sort=Key("total", "N"),
                                                                  projection=Projection.KEYS_ONLY),))],
         {"ledger": [("localIndexes.by-total", ChangeClass.REPLACE,
                      "local index by-total changed (local_secondary_index is ForceNew): c-ledger is deleted "
                      f"(1 item lost) and c-ledger created empty; {PROTECTED}; deletion protection is on for "
                      "c-ledger, so DeleteTable fails (lift them only after the data is copied elsewhere, in a deploy "
                      "of their own before this one)")]},
         DESTRUCTIVE_PENDING, items={"ledger": 1},
         before_stack=Stack(prefix="c-", environment="staging", protect=True, deletion_protection=True),
         example="replace (protected stack)"),
    Case("lsi-key-type", f"{TF}: local_secondary_index.range_key names the attribute; `attribute` is not ForceNew",
         [WITH_LSI], [replace(WITH_LSI, local_indexes=(LocalIndex("by-total", sort=Key("total", "S")),))],
         {"ledger": [("localIndexes.by-total", ChangeClass.NOT_APPLIED, "(total N => S)")]}, DESTRUCTIVE_PENDING),
    # --- global indexes: updateDiffGSI
    Case("gsi-added", f"{TF}: updateDiffGSI Create; resourceTableUpdate phase 3, one UpdateTable per index",
         [table("items")], [ITEMS],
         {"items": [("globalIndexes.by-status", ChangeClass.INDEX_CREATE,
                     "one index per UpdateTable call; by-status is unusable until ACTIVE (\"Cannot read from "
                     "backfilling GSI\"); backfill under a minute (6 items at an assumed 1,000 items/s)"),
                    ("ttl", ChangeClass.UPDATE, "items whose ttl is in the past get deleted")]},
         CHANGES_PENDING, items={"items": 6}, applies_in_place=True, example="index-create"),
    Case("two-gsis-at-once", f"{TF}: updateDiffGSI Create for each; phase 3 creates them one at a time in set order",
         [table("catalog")],
         [table("catalog", gsis=(GlobalIndex("zz-by-owner", partition=(Key("owner"),)),
                                 GlobalIndex("aa-by-sku", partition=(Key("sku"),))))],
         {"catalog": [("globalIndexes.aa-by-sku", ChangeClass.INDEX_CREATE, "aa-by-sku is unusable until ACTIVE"),
                      ("globalIndexes.zz-by-owner", ChangeClass.INDEX_CREATE, "zz-by-owner is unusable until ACTIVE")]},
         CHANGES_PENDING, applies_in_place=True),
    Case("gsi-removed", f"{TF}: updateDiffGSI Delete; resourceTableUpdate phase 1",
         [ITEMS], [replace(ITEMS, global_indexes=())],
         {"items": [("globalIndexes.by-status", ChangeClass.INDEX_DELETE,
                     "by-status is deleted: queries on it start failing (the table's items stay)")]},
         DESTRUCTIVE_PENDING, example="index-delete"),
    Case("gsi-removed-allowed", f"{TF}: updateDiffGSI Delete; --allow-replace names the table",
         [ITEMS], [replace(ITEMS, global_indexes=())],
         {"items": [("globalIndexes.by-status", ChangeClass.INDEX_DELETE, "by-status is deleted")]},
         CHANGES_PENDING, allowed=("conformance.items",)),
    Case("gsi-projection", f"{TF}: updateDiffGSI, checkIfGSIRecreateAttributesChanged -> Delete + Create",
         [ITEMS], [replace(ITEMS, global_indexes=(replace(STATUS_INDEX, projection=Projection.KEYS_ONLY),))],
         {"items": [("globalIndexes.by-status", ChangeClass.INDEX_REBUILD, f"by-status {REBUILD}")]},
         DESTRUCTIVE_PENDING, example="index-rebuild"),
    Case("gsi-non-key-attributes", f"{TF}: updateDiffGSI, checkIfNonKeyAttributesChanged -> Delete + Create",
         [replace(ITEMS, global_indexes=(replace(STATUS_INDEX, projection=Projection.INCLUDE,
                                                 non_key_attributes=("title",)),))],
         [replace(ITEMS, global_indexes=(replace(STATUS_INDEX, projection=Projection.INCLUDE,
                                                 non_key_attributes=("title", "price")),))],
         {"items": [("globalIndexes.by-status", ChangeClass.INDEX_REBUILD, REBUILD)]}, DESTRUCTIVE_PENDING),
    Case("gsi-key-renamed", f"{TF}: updateDiffGSI, hash_key differs -> Delete + Create",
         [ITEMS], [replace(ITEMS, global_indexes=(replace(STATUS_INDEX, partition=(Key("state"),)),))],
         {"items": [("globalIndexes.by-status", ChangeClass.INDEX_REBUILD, REBUILD)]}, DESTRUCTIVE_PENDING),
    Case("gsi-key-type", f"{TF}: the GSI set element names its keys without types; CustomizeDiff clears the "
                         "attribute change (pulumi-aws#1057)",
         [ITEMS], [replace(ITEMS, global_indexes=(replace(STATUS_INDEX, sort=(Key("createdAt", "S"),)),))],
         {"items": [("globalIndexes.by-status", ChangeClass.NOT_APPLIED,
                     "only by-status's key attribute type changes (createdAt N => S): pulumi up shows no diff and "
                     "changes nothing, and every plan reports it again; to change it, add a new index under a new "
                     "name on an attribute of the new type, backfill that attribute with a data migration, move "
                     "the queries, then drop the old index")]},
         DESTRUCTIVE_PENDING, example="not-applied (index)"),
    # --- capacity: resourceTableUpdate (table) and updateDiffGSI's Update action (index)
    Case("table-capacity", f"{TF}: resourceTableUpdate, HasChanges(read_capacity, write_capacity)",
         [EVENTS], [replace(EVENTS, capacity=Capacity(50, 40))],
         {"events": [("capacity", ChangeClass.UPDATE, "in place, no downtime: the table's throughput is updated")]},
         CHANGES_PENDING, applies_in_place=True, example="update"),
    Case("gsi-capacity", f"{TF}: updateDiffGSI, capacityChanged, nothing to recreate, PROVISIONED -> Update",
         [EVENTS], [replace(EVENTS, global_indexes=(replace(EVENTS.global_indexes[0], capacity=Capacity(50, 40)),))],
         {"events": [("globalIndexes.by-kind.capacity", ChangeClass.UPDATE,
                      "in place, no downtime: the index's throughput is updated")]},
         CHANGES_PENDING, applies_in_place=True),
    Case("table-and-gsi-capacity", f"{TF}: resourceTableUpdate phase 2: table and index throughput in one call",
         [EVENTS], [replace(EVENTS, capacity=Capacity(50, 40),
                            global_indexes=(replace(EVENTS.global_indexes[0], capacity=Capacity(50, 40)),))],
         {"events": [("capacity", ChangeClass.UPDATE, "throughput is updated"),
                     ("globalIndexes.by-kind.capacity", ChangeClass.UPDATE, "throughput is updated")]},
         CHANGES_PENDING, applies_in_place=True),
    Case("billing-to-on-demand", f"{TF}: resourceTableUpdate, HasChanges(billing_mode, ...)",
         [EVENTS], [table("events", gsis=(GlobalIndex("by-kind", partition=(Key("kind"),)),))],
         {"events": [("billingMode", ChangeClass.UPDATE, "AWS limits how often a table switches billing mode"),
                     ("capacity", ChangeClass.UPDATE, "throughput"),
                     ("globalIndexes.by-kind.capacity", ChangeClass.UPDATE, "throughput")]},
         CHANGES_PENDING),
    # --- streams: resourceTableUpdate, HasChanges(stream_enabled, stream_view_type), cycleStreamEnabled
    Case("stream-on", f"{TF}: resourceTableUpdate, stream_enabled changes -> UpdateTable(StreamSpecification)",
         [table("feed")], [FEED],
         {"feed": [("stream", ChangeClass.UPDATE, "a new stream starts; consumers must read its new ARN"),
                   ("tags.stream-consumers", ChangeClass.UPDATE, "in place")]},
         CHANGES_PENDING, applies_in_place=True),
    Case("stream-off", f"{TF}: resourceTableUpdate, stream_enabled false -> UpdateTable(StreamEnabled false)",
         [FEED], [table("feed")],
         {"feed": [("stream", ChangeClass.UPDATE, "the stream stops; its consumers get no more records"),
                   ("tags.stream-consumers", ChangeClass.UPDATE, "in place")]},
         CHANGES_PENDING, applies_in_place=True),
    Case("stream-view-type", f"{TF}: resourceTableUpdate -> cycleStreamEnabled (disable, then enable)",
         [FEED], [replace(FEED, stream=Stream(StreamViewType.NEW_AND_OLD_IMAGES, ("aggregator", "search-indexer")))],
         {"feed": [("stream", ChangeClass.STREAM_CYCLE, CYCLE)]}, DESTRUCTIVE_PENDING, example="stream-cycle"),
    Case("stream-view-type-allowed", f"{TF}: cycleStreamEnabled; --allow-replace accepts the new stream ARN",
         [FEED], [replace(FEED, stream=Stream(StreamViewType.NEW_AND_OLD_IMAGES, ("aggregator", "search-indexer")))],
         {"feed": [("stream", ChangeClass.STREAM_CYCLE, CYCLE)]}, CHANGES_PENDING, allowed=("c-feed",)),
    # --- TTL: resourceTableUpdate, HasChange(ttl) -> updateTimeToLive
    Case("ttl-on", f"{TF}: updateTimeToLive(enabled true)",
         [table("items")], [table("items", ttl="expiresAt")],
         {"items": [("ttl", ChangeClass.UPDATE, "in place, no downtime: items whose expiresAt is in the past get "
                                                "deleted, within days")]},
         CHANGES_PENDING, applies_in_place=True, example="update (TTL)"),
    Case("ttl-off", f"{TF}: updateTimeToLive(enabled false); the program declares `enabled: false`, since ttl's "
                    "DiffSuppressFunc ignores a missing block",
         [table("items", ttl="ttl")], [table("items")],
         {"items": [("ttl", ChangeClass.UPDATE, "in place, no downtime: expired items are no longer deleted")]},
         CHANGES_PENDING, applies_in_place=True),
    Case("ttl-attribute-while-on", f"{TF}: updateTimeToLive sends one UpdateTimeToLive; AWS refuses a new "
                                   "attribute while TTL is on",
         [table("items", ttl="ttl")], [table("items", ttl="purgeAt")],
         {"items": [("ttl", ChangeClass.BLOCKED, "AWS rejects a new TTL attribute while TTL is on: disable TTL in one "
                                                 "deploy, then enable it with the new attribute in a later one "
                                                 "(disabling can take up to an hour)")]},
         DESTRUCTIVE_PENDING, allowed=("c-items",), example="blocked"),
    # --- other settings updated in place by resourceTableUpdate
    Case("pitr-on", f"{TF}: resourceTableUpdate, HasChange(point_in_time_recovery) -> updatePITR",
         [table("items")], [table("items")], {"items": [("pitr", ChangeClass.UPDATE, "in place, no downtime")]},
         CHANGES_PENDING, before_stack=Stack(prefix="c-", pitr=False), after_stack=Stack(prefix="c-"),
         applies_in_place=True),
    Case("deletion-protection-on", f"{TF}: resourceTableUpdate, deletion_protection_enabled -> UpdateTable",
         [table("items")], [table("items")],
         {"items": [("deletionProtection", ChangeClass.UPDATE, "in place, no downtime")]},
         CHANGES_PENDING, after_stack=Stack(prefix="c-", deletion_protection=True), applies_in_place=True),
    Case("table-class", f"{TF}: resourceTableUpdate, HasChange(\"table_class\") -> UpdateTable(TableClass) of its "
                        "own, then waitTableActive",
         [table("archive")], [replace(table("archive"), table_class=TableClass.STANDARD_INFREQUENT_ACCESS)],
         {"archive": [("tableClass", ChangeClass.UPDATE, "in place, no downtime (AWS allows two table class changes "
                                                         "per 30 days)")]},
         CHANGES_PENDING),  # not applied here: moto's and DynamoDB Local's UpdateTable ignore TableClass
    Case("kms-key-changed", f"{TF}: resourceTableUpdate, HasChange(\"server_side_encryption\") -> "
                            "UpdateTable(SSESpecification) of its own, waitSSEUpdated; kms_key_arn is not ForceNew",
         [table("vault")], [table("vault")],
         {"vault": [("encryption.kmsKey", ChangeClass.UPDATE, "in place: the table stays available while DynamoDB "
                                                              "switches keys")]},
         CHANGES_PENDING, before_stack=Stack(prefix="c-", kms_key_arn=KEY_1),
         after_stack=Stack(prefix="c-", kms_key_arn=KEY_2)),  # not applied here: moto's UpdateTable ignores SSE
    # The program passes no kms_key_arn for the AWS-managed key; kms_key_arn is Optional + Computed, so the
    # provider keeps the key in its state: no diff, the customer-managed key stays (resourceTableRead's
    # clearSSEDefaultKey blanks only the AWS-managed key's ARN). The plan says what pulumi up does: nothing.
    Case("kms-key-to-aws-managed", f"{TF}: resourceTable schema, server_side_encryption.kms_key_arn Optional + "
                                   "Computed: an unset key keeps the state's, no diff",
         [table("vault")], [table("vault")], {}, NOTHING_TO_DO,
         before_stack=Stack(prefix="c-", kms_key_arn=KEY_1), after_stack=Stack(prefix="c-")),
    Case("environment-tag", f"{TF}: resourceTable's @Tags(identifierAttribute=\"arn\"): the transparent tagging "
                            "updates tags in place (TagResource, UntagResource)",
         [table("items")], [table("items")],
         {"items": [("tags.environment", ChangeClass.UPDATE, "in place, no downtime")]},
         CHANGES_PENDING, after_stack=Stack(prefix="c-", environment="qa"), applies_in_place=True),
    Case("in-sync", f"{TF}: no HasChange, no update", [ITEMS], [ITEMS], {}, NOTHING_TO_DO),
    # --- adopting existing tables: the import check
    Case("import-matches", "pulumi import reads the table (resourceTableRead); inputs equal to it: no diff",
         [EVENTS], [EVENTS], {}, NOTHING_TO_DO, after_stack=Stack(prefix="c-", existing=True)),
    Case("import-capacity-differs", "pulumi import with inputs that differ from resourceTableRead's state fails",
         [EVENTS], [replace(EVENTS, capacity=Capacity(50, 40))],
         {"events": [("capacity", ChangeClass.UPDATE, "throughput is updated")]}, DESTRUCTIVE_PENDING,
         after_stack=Stack(prefix="c-", existing=True), example="import check"),
    Case("import-capacity-ignored", "ignoreChanges on readCapacity and writeCapacity makes the import match",
         [EVENTS], [replace(EVENTS, capacity=Capacity(50, 40))],
         {"events": [("capacity", ChangeClass.UPDATE, "throughput is updated")]}, CHANGES_PENDING,
         after_stack=Stack(prefix="c-", existing=True, ignore={"events": ["readCapacity", "writeCapacity"]})),
]

def examples() -> list[Case]:
    """The cases docs/deployment.md shows, in the suite's order: every class at least once."""
    return [case for case in CASES if case.example]


