"""Items service: one items table with a status index and optional TTL."""

from components.model.family import FamilyDefinition
from components.model.patterns import (
    AccessPattern,
    KeyCondition,
    Operation,
    Rate,
    SortCondition,
    SortOperator,
)
from components.model.spec import GlobalIndex, Key, Projection, TableSpec

items_table = TableSpec(
    key="items",
    base_name="items",
    env_var="ITEMS_TABLE_NAME",
    description="Items with status active/inactive/archived, Unix-second timestamps and a `version` for "
                "optimistic locking.",
    partition=Key("id"),
    global_indexes=(
        # status is active, inactive or archived: three values.
        GlobalIndex("status-index", partition=(Key("status", cardinality=3),), sort=(Key("createdAt", "N"),),
                    projection=Projection.ALL),
    ),
    ttl_attribute="ttl",
)


ITEM_ATTRIBUTES = ("id", "name", "description", "status", "createdAt", "updatedAt", "createdBy", "version")
BY_ID = KeyCondition((Key("id"),))
STATUS = (Key("status"),)

# The items team's seven documented access patterns, by their headings. Rates are planning figures.
PATTERNS = (
    AccessPattern("Get Item by ID", items_table, consumer="items-service", operation=Operation.GET_ITEM,
                  key=BY_ID, reads=ITEM_ATTRIBUTES, rate=Rate(100, item_bytes=512)),
    AccessPattern("List All Items (with pagination)", items_table, consumer="items-service",
                  operation=Operation.SCAN, limit=10, reads=ITEM_ATTRIBUTES,
                  allow_scan="the items team pages through every item, 10 at a time, in an admin list; the table "
                             "holds a few thousand items",
                  rate=Rate(1, item_bytes=512, items_per_request=10)),
    AccessPattern("Query Items by Status", items_table, consumer="items-service", operation=Operation.QUERY,
                  index="status-index", key=KeyCondition(STATUS, example={"status": "active"}),
                  reads=ITEM_ATTRIBUTES, rate=Rate(20, item_bytes=512, items_per_request=10)),
    AccessPattern("Query Items by Status and Creation Date", items_table, consumer="items-service",
                  operation=Operation.QUERY, index="status-index",
                  key=KeyCondition(STATUS, sort=SortCondition(Key("createdAt", "N"), SortOperator.GT),
                                   example={"status": "active"}),
                  reads=ITEM_ATTRIBUTES, rate=Rate(20, item_bytes=512, items_per_request=10)),
    AccessPattern("Create Item", items_table, consumer="items-service", operation=Operation.PUT_ITEM,
                  key=BY_ID, rate=Rate(5, item_bytes=512)),
    AccessPattern("Update Item", items_table, consumer="items-service", operation=Operation.UPDATE_ITEM,
                  key=BY_ID, rate=Rate(5, item_bytes=512)),
    AccessPattern("Delete Item", items_table, consumer="items-service", operation=Operation.DELETE_ITEM,
                  key=BY_ID, rate=Rate(1, item_bytes=512)),
)


FAMILY = FamilyDefinition(
    key="items-service",
    title="Items service",
    tables=(items_table,),
    component_type="ItemsService",
    patterns=PATTERNS,
)
