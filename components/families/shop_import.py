"""Shop import: Shopify shops, import jobs and import history.

Sessions stay out of this family: the shop-import team keeps them in Prisma/SQLite for now, owned by the
app's session storage adapter. A DynamoDB table here would be an unused copy with no writer.
"""

from components.model.family import FamilyDefinition
from components.model.patterns import (
    AccessPattern,
    KeyCondition,
    Operation,
    Order,
    Rate,
    SortCondition,
    SortOperator,
)
from components.model.spec import GlobalIndex, Key, TableSpec

JOB_RETENTION_DAYS = 90
IMPORT_HISTORY_RETENTION_DAYS = 365
SHOPS_AT_PEAK = 5000  # a planning figure for the hot-key check (components/model/patterns.py)

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
        # One value per installed shop: thousands in production, whatever the three seeded shops suggest.
        GlobalIndex("shopDomain-createdAt-index", partition=(Key("shopDomain", cardinality=SHOPS_AT_PEAK),),
                    sort=(Key("createdAt"),)),
        # A job is queued, running, completed or failed: four values (see the hot-key check).
        GlobalIndex("status-createdAt-index", partition=(Key("status", cardinality=4),), sort=(Key("createdAt"),)),
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


JOB_ATTRIBUTES = ("jobId", "shopDomain", "type", "mode", "status", "isDryRun", "totalProducts",
                  "processedProducts", "createdAt")

# The shop-import team's query patterns, in its words. Rates are planning figures (peak per second)
# until the team measures its own: the App Runner app serves merchants, the job Lambda runs imports.
PATTERNS = (
    AccessPattern("Shop lookups by domain (primary key)", shops_table, consumer="shop-import-app",
                  operation=Operation.GET_ITEM, key=KeyCondition((Key("domain"),)),
                  reads=("domain", "name", "plan", "billingStatus", "settings"), rate=Rate(50, item_bytes=2048)),
    AccessPattern("Shop lookups by domain, from the import jobs", shops_table, consumer="shop-import-jobs",
                  operation=Operation.GET_ITEM, key=KeyCondition((Key("domain"),)),
                  reads=("domain", "plan", "settings"), rate=Rate(10, item_bytes=2048)),
    AccessPattern("Store merchant/shop information at install", shops_table, consumer="shop-import-app",
                  operation=Operation.PUT_ITEM, key=KeyCondition((Key("domain"),)), rate=Rate(1, item_bytes=2048)),
    AccessPattern("Jobs by shop domain (shop-based job lists)", jobs_table, consumer="shop-import-app",
                  operation=Operation.QUERY, index="shopDomain-createdAt-index",
                  key=KeyCondition((Key("shopDomain"),)), order=Order.DESCENDING, reads=JOB_ATTRIBUTES,
                  rate=Rate(20, item_bytes=512, items_per_request=20), limit=20),
    AccessPattern("Jobs by status", jobs_table, consumer="shop-import-jobs",
                  operation=Operation.QUERY, index="status-createdAt-index",
                  key=KeyCondition((Key("status"),), example={"status": "queued"}), reads=JOB_ATTRIBUTES,
                  rate=Rate(5, item_bytes=512, items_per_request=10), limit=10),
    AccessPattern("Track import/export jobs: create a job", jobs_table, consumer="shop-import-app",
                  operation=Operation.PUT_ITEM, key=KeyCondition((Key("jobId"),)), rate=Rate(2, item_bytes=512)),
    AccessPattern("Track import/export jobs: status and progress", jobs_table, consumer="shop-import-jobs",
                  operation=Operation.UPDATE_ITEM, key=KeyCondition((Key("jobId"),)), rate=Rate(8, item_bytes=512)),
    AccessPattern("Import history by shop and date range", import_history_table, consumer="shop-import-app",
                  operation=Operation.QUERY,
                  key=KeyCondition((Key("shopDomain"),), sort=SortCondition(Key("timestamp", "N"),
                                                                          SortOperator.BETWEEN)),
                  order=Order.DESCENDING, reads=("timestamp", "jobId", "productsImported", "status", "errorCount"),
                  rate=Rate(5, item_bytes=256, items_per_request=30)),
    AccessPattern("Historical record of imports", import_history_table, consumer="shop-import-jobs",
                  operation=Operation.PUT_ITEM,
                  key=KeyCondition((Key("shopDomain"),), sort=SortCondition(Key("timestamp", "N"), SortOperator.EQ)),
                  rate=Rate(2, item_bytes=256)),
)


FAMILY = FamilyDefinition(
    key="shop-import",
    title="Shop import",
    tables=(shops_table, jobs_table, import_history_table),
    component_type="ShopImport",
    patterns=PATTERNS,
)
