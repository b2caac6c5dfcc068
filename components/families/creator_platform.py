"""Creator platform : creators, products and creator analytics.

ProductsTable predates the rest: the platform added creators and moderation to it later
(migration 0001 backfills `creatorId`, `featured` and `status`).
"""

from components.model.family import FamilyDefinition
from components.model.spec import GlobalIndex, Key, Stream, StreamViewType, TableSpec

ANALYTICS_RETENTION_DAYS = 90

creators_table = TableSpec(
    key="creators",
    base_name="CreatorsTable",
    env_var="CREATORS_TABLE_NAME",
    description="Creator profiles: slug, display name, theme, profile, owning Cognito user.",
    partition=Key("id"),
    global_indexes=(
        GlobalIndex("slug-index", partition=(Key("slug"),),
                    access_pattern="Resolve a creator's landing page from its URL slug; checks slug uniqueness."),
        GlobalIndex("userId-index", partition=(Key("userId"),),
                    access_pattern="Find the creator profile that a signed-in Cognito user owns."),
    ),
)

products_table = TableSpec(
    key="products",
    base_name="ProductsTable",
    env_var="PRODUCTS_TABLE_NAME",
    description="Affiliate products, each owned by a creator and moderated.",
    partition=Key("id"),
    global_indexes=(
        GlobalIndex("creatorId-index", partition=(Key("creatorId"),), sort=(Key("createdAt"),),
                    access_pattern="List one creator's products, newest first."),
        GlobalIndex("status-index", partition=(Key("status"),), sort=(Key("createdAt"),),
                    access_pattern="Moderation queue: products by status (pending/approved/rejected) by date."),
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


FAMILY = FamilyDefinition(
    key="creator-platform",
    title="Creator platform",
    tables=(creators_table, products_table, analytics_events_table, analytics_summaries_table),
    component_type="CreatorPlatform",
)
