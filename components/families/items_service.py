"""Items service: one items table with a status index and optional TTL."""

from components.model.family import FamilyDefinition
from components.model.spec import GlobalIndex, Key, Projection, TableSpec

items_table = TableSpec(
    key="items",
    base_name="items",
    env_var="ITEMS_TABLE_NAME",
    description="Items with status active/inactive/archived, Unix-second timestamps and a `version` for "
                "optimistic locking.",
    partition=Key("id"),
    global_indexes=(
        GlobalIndex("status-index", partition=(Key("status"),), sort=(Key("createdAt", "N"),),
                    projection=Projection.ALL,
                    access_pattern="Items by status, optionally created after a given time."),
    ),
    ttl_attribute="ttl",
)


FAMILY = FamilyDefinition(
    key="items-service",
    title="Items service",
    tables=(items_table,),
    component_type="ItemsService",
)
