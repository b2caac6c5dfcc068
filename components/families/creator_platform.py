"""Creator platform : creators, products and creator analytics.

ProductsTable predates the rest: the platform added creators and moderation to it later
(migration 0001 backfills `creatorId`, `featured` and `status`).
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
from components.model.spec import GlobalIndex, Key, Stream, StreamViewType, TableSpec

ANALYTICS_RETENTION_DAYS = 90

creators_table = TableSpec(
    key="creators",
    base_name="CreatorsTable",
    env_var="CREATORS_TABLE_NAME",
    description="Creator profiles: slug, display name, theme, profile, owning Cognito user.",
    partition=Key("id"),
    global_indexes=(
        GlobalIndex("slug-index", partition=(Key("slug"),)),
        GlobalIndex("userId-index", partition=(Key("userId"),)),
    ),
)

products_table = TableSpec(
    key="products",
    base_name="ProductsTable",
    env_var="PRODUCTS_TABLE_NAME",
    description="Affiliate products, each owned by a creator and moderated.",
    partition=Key("id"),
    global_indexes=(
        GlobalIndex("creatorId-index", partition=(Key("creatorId"),), sort=(Key("createdAt"),)),
        # Moderation status: pending, approved or rejected.
        GlobalIndex("status-index", partition=(Key("status", cardinality=3),), sort=(Key("createdAt"),)),
    ),
)

analytics_events_table = TableSpec(
    key="analytics-events",
    base_name="AnalyticsEventsTable",
    env_var="ANALYTICS_EVENTS_TABLE_NAME",
    description=f"Raw page views and clicks per creator, expired by TTL after {ANALYTICS_RETENTION_DAYS} days.",
    partition=Key("creatorId"),
    sort=Key("timestamp"),
    ttl_attribute="ttl",
    # The daily aggregation reads new events from the stream instead of scanning the table.
    stream=Stream(StreamViewType.NEW_IMAGE, consumers=("analytics-aggregator",)),
)

analytics_summaries_table = TableSpec(
    key="analytics-summaries",
    base_name="AnalyticsSummariesTable",
    env_var="ANALYTICS_SUMMARIES_TABLE_NAME",
    description="Daily aggregated analytics per creator; `date` is YYYY-MM-DD.",
    partition=Key("creatorId"),
    sort=Key("date"),
)


CREATOR_ATTRIBUTES = ("id", "slug", "displayName", "theme", "profile")
PRODUCT_ATTRIBUTES = ("id", "title", "price", "affiliateUrl", "creatorId", "featured", "status", "createdAt")

# The creator platform's index purposes and tables, in its words. Rates are planning figures.
PATTERNS = (
    AccessPattern("Looking up creators by their URL slug", creators_table, consumer="creator-api",
                  operation=Operation.QUERY, index="slug-index", key=KeyCondition((Key("slug"),)),
                  reads=CREATOR_ATTRIBUTES, rate=Rate(200, item_bytes=2048)),
    AccessPattern("Linking creators to Cognito users", creators_table, consumer="creator-api",
                  operation=Operation.QUERY, index="userId-index", key=KeyCondition((Key("userId"),)),
                  reads=(*CREATOR_ATTRIBUTES, "userId"), rate=Rate(20, item_bytes=2048)),
    AccessPattern("Creator registration (slug uniqueness)", creators_table, consumer="creator-api",
                  operation=Operation.PUT_ITEM, key=KeyCondition((Key("id"),)), rate=Rate(1, item_bytes=2048)),
    AccessPattern("All products for a specific creator, sorted by creation date", products_table,
                  consumer="creator-api", operation=Operation.QUERY, index="creatorId-index",
                  key=KeyCondition((Key("creatorId"),)), order=Order.DESCENDING, reads=PRODUCT_ATTRIBUTES,
                  rate=Rate(200, item_bytes=1024, items_per_request=20), limit=20),
    AccessPattern("Products by moderation status (pending/approved/rejected)", products_table,
                  consumer="creator-api", operation=Operation.QUERY, index="status-index",
                  key=KeyCondition((Key("status"),), example={"status": "approved"}), reads=PRODUCT_ATTRIBUTES,
                  rate=Rate(2, item_bytes=1024, items_per_request=50), limit=50),
    AccessPattern("Moderation status handling", products_table, consumer="creator-api",
                  operation=Operation.UPDATE_ITEM, key=KeyCondition((Key("id"),)), rate=Rate(1, item_bytes=1024)),
    AccessPattern("Store raw analytics events (page views, clicks)", analytics_events_table, consumer="creator-api",
                  operation=Operation.PUT_ITEM,
                  key=KeyCondition((Key("creatorId"),), sort=SortCondition(Key("timestamp"), SortOperator.EQ)),
                  rate=Rate(100, item_bytes=256)),
    AccessPattern("Store aggregated daily analytics metrics", analytics_summaries_table,
                  consumer="analytics-aggregator", operation=Operation.PUT_ITEM,
                  key=KeyCondition((Key("creatorId"),), sort=SortCondition(Key("date"), SortOperator.EQ)),
                  rate=Rate(5, item_bytes=512)),
    AccessPattern("Analytics query endpoints: a creator's daily summaries for a date range",
                  analytics_summaries_table, consumer="creator-api", operation=Operation.QUERY,
                  key=KeyCondition((Key("creatorId"),), sort=SortCondition(Key("date"), SortOperator.BETWEEN)),
                  reads=("creatorId", "date", "pageViews", "clicks"),
                  rate=Rate(10, item_bytes=512, items_per_request=30)),
)


FAMILY = FamilyDefinition(
    key="creator-platform",
    title="Creator platform",
    tables=(creators_table, products_table, analytics_events_table, analytics_summaries_table),
    component_type="CreatorPlatform",
    patterns=PATTERNS,
)
