"""Shop import: Shopify shops, import jobs and import history.

Sessions stay out of this family: the shop-import team keeps them in Prisma/SQLite for now, owned by the
app's session storage adapter. A DynamoDB table here would be an unused copy with no writer.
"""

from components.model.family import FamilyDefinition
from components.model.spec import GlobalIndex, Key, TableSpec

JOB_RETENTION_DAYS = 90
IMPORT_HISTORY_RETENTION_DAYS = 365

shops_table = TableSpec(
    key="shops",
    base_name="Shops",
    env_var="SHOPS_TABLE_NAME",
    description="Installed shops: plan, billing status, settings and the shop's access token.",
    partition=Key("domain"),
    # Holds Shopify access tokens: the policy pack requires a customer-managed KMS key in prod.
    data_classification="sensitive",
)

jobs_table = TableSpec(
    key="jobs",
    base_name="Jobs",
    env_var="JOBS_TABLE_NAME",
    description=f"Import/export jobs; `jobId` is a ULID; expired {JOB_RETENTION_DAYS} days after creation.",
    partition=Key("jobId"),
    global_indexes=(
        GlobalIndex("shopDomain-createdAt-index", partition=(Key("shopDomain"),), sort=(Key("createdAt"),),
                    access_pattern="A shop's job list, newest first."),
        GlobalIndex("status-createdAt-index", partition=(Key("status"),), sort=(Key("createdAt"),),
                    access_pattern="Workers pick up queued or running jobs in creation order."),
    ),
    ttl_attribute="expiresAt",
)

import_history_table = TableSpec(
    key="import-history",
    base_name="ImportHistory",
    env_var="IMPORT_HISTORY_TABLE_NAME",
    description=f"One record per finished import; `timestamp` is Unix seconds; "
                f"kept {IMPORT_HISTORY_RETENTION_DAYS} days.",
    partition=Key("shopDomain"),
    sort=Key("timestamp", "N"),
    ttl_attribute="expiresAt",
)


FAMILY = FamilyDefinition(
    key="shop-import",
    title="Shop import",
    tables=(shops_table, jobs_table, import_history_table),
    component_type="ShopImport",
)
