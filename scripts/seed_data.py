"""Development seed data for the creator platform, shop import, items and construction-expenses families.

The items team's five sample items, plus sample shops, jobs and import history, creators,
products, analytics events and daily summaries, and a few companies with their users, expenses,
invitations and Paddle billing records: enough for every declared access pattern to find an item
(`tables patterns verify`). Products are written in their pre-0001 shape, without creatorId,
so migration 0001 has real work to do locally. Keys are deterministic, so seeding twice
overwrites the same items instead of adding copies. Key attributes and retention periods come
from the table specs. Never for prod.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ulid import ULID

from components.families.construction_expenses import (
    companies_table,
    company_expenses_table,
    company_users_table,
    invitations_table,
    paddle_customers_table,
    paddle_payments_table,
    paddle_subscriptions_table,
    paddle_webhook_dlq_table,
    paddle_webhooks_table,
)
from components.families.creator_platform import (
    ANALYTICS_RETENTION_DAYS,
    analytics_events_table,
    analytics_summaries_table,
    creators_table,
    products_table,
)
from components.families.items_service import items_table
from components.families.shop_import import (
    IMPORT_HISTORY_RETENTION_DAYS,
    JOB_RETENTION_DAYS,
    import_history_table,
    jobs_table,
    shops_table,
)
from components.model.plan import TablePlan, find_plan
from components.model.spec import TableSpec
from components.model.stack_settings import is_production
from scripts.aws import DynamoDBClient, DynamoDBServiceResource, endpoint_of, find_table, table_not_found, translate
from scripts.creators import ensure_creator
from scripts.errors import ToolError

DAY = 86_400

# The items team's sample items: name, status, created and updated days ago.
ITEMS = [
    ("Laptop", "active", 7, 2), ("Monitor", "active", 5, 1), ("Keyboard", "active", 3, 0),
    ("Mouse", "inactive", 10, 5), ("USB Hub", "archived", 30, 15),
]
SHOPS = [("craft-corner.myshopify.com", "Craft Corner", "pro"), ("bean-there.myshopify.com", "Bean There", "basic"),
         ("trail-gear.myshopify.com", "Trail Gear", "pro")]
JOB_STATUSES = ["completed", "completed", "failed", "running", "queued"]
CREATORS = [("mia-makes", "Mia Makes"), ("home-with-sam", "Home with Sam")]
PRODUCTS = [("Linen Throw Pillow", 34.0), ("Ceramic Planter", 22.5), ("Woven Wall Hanging", 58.0),
            ("Brass Candle Holder", 19.0), ("Oak Serving Board", 41.0), ("Macrame Plant Hanger", 16.0)]


def stable_id(*parts: str) -> str:
    """A UUID-shaped id derived from its parts, so reseeding writes the same keys."""
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"


def job_ulid(created: float, name: str) -> str:
    # ULIDs sort by time; the random part comes from the name so the id is stable for a given time.
    timestamp_ms = int(created * 1000).to_bytes(6, "big")
    return str(ULID.from_bytes(timestamp_ms + hashlib.sha256(name.encode()).digest()[:10]))


@dataclass
class SeedTable:
    spec: TableSpec
    rows: Callable[[float], list[dict[str, Any]]]
    status_attribute: str | None = None

    @property
    def key_attributes(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.spec.primary_key)


def _items(now: float) -> list[dict[str, Any]]:
    return [{"id": f"550e8400-e29b-41d4-a716-44665544000{i}", "name": name, "description": f"Sample {name.lower()}",
             "status": status, "createdAt": int(now - created * DAY), "updatedAt": int(now - updated * DAY),
             "createdBy": "seed@example.com", "version": 1}
            for i, (name, status, created, updated) in enumerate(ITEMS)]


def _shops(now: float) -> list[dict[str, Any]]:
    return [{"domain": domain, "name": name, "plan": plan, "installedAt": int(now - 60 * DAY),
             "billingStatus": "active", "settings": {"autoPublish": plan == "pro", "currency": "USD"}}
            for domain, name, plan in SHOPS]


def _jobs(now: float) -> list[dict[str, Any]]:
    # Anchored to the start of the day: a job's ULID encodes its creation time, so reseeding on the
    # same day writes the same keys.
    day = int(now) // DAY * DAY
    jobs = []
    for s, (domain, _, _) in enumerate(SHOPS):
        for j, status in enumerate(JOB_STATUSES):
            created = float(day - (s * 10 + j) * 3600)
            jobs.append({"jobId": job_ulid(created, f"{domain}/{j}"), "shopDomain": domain, "status": status,
                         "type": "import", "mode": "full", "isDryRun": j == 4,
                         "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created)),
                         "totalProducts": 40, "processedProducts": 40 if status == "completed" else 12,
                         "expiresAt": int(created + JOB_RETENTION_DAYS * DAY)})
    return jobs


def _import_history(now: float) -> list[dict[str, Any]]:
    return [{"shopDomain": domain, "timestamp": int(now) - d * DAY, "jobId": job_ulid(now - d * DAY, domain),
             "productsImported": 40 - d, "status": "completed" if d % 3 else "partial", "errorCount": d % 3,
             "expiresAt": int(now) - d * DAY + IMPORT_HISTORY_RETENTION_DAYS * DAY}
            for domain, _, _ in SHOPS for d in range(1, 4)]


def _products(now: float) -> list[dict[str, Any]]:
    # The shape before migration 0001: no creatorId, featured or status.
    return [{"id": stable_id("product", title), "title": title, "price": price,
             "affiliateUrl": f"https://example.com/p/{stable_id('url', title)[:8]}",
             "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - (i + 1) * DAY)),
             "updatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - i * DAY))}
            for i, (title, price) in enumerate(PRODUCTS)]


def _analytics_events(now: float) -> list[dict[str, Any]]:
    return [{"creatorId": stable_id("creator", slug), "eventId": stable_id("event", slug, str(n)),
             "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - n * 3600)),
             "type": "click" if n % 2 else "page_view", "ttl": int(now - n * 3600 + ANALYTICS_RETENTION_DAYS * DAY)}
            for slug, _ in CREATORS for n in range(1, 6)]


def _analytics_summaries(now: float) -> list[dict[str, Any]]:
    return [{"creatorId": stable_id("creator", slug), "date": time.strftime("%Y-%m-%d", time.gmtime(now - d * DAY)),
             "pageViews": 40 + 7 * d, "clicks": 5 + d}
            for slug, _ in CREATORS for d in range(1, 4)]


# Construction expenses: two companies, each with an owner, a project's expenses and a Paddle subscription.
COMPANIES = [("acme-builders", "Acme Builders", "owner@acme-builders.example"),
             ("north-roofing", "North Roofing", "office@north-roofing.example")]


def _company(slug: str) -> str:
    return stable_id("company", slug)


def _companies(now: float) -> list[dict[str, Any]]:
    return [{"companyId": _company(slug), "name": name, "email": email, "plan": "pro", "createdAt": int(now) - 90 * DAY}
            for slug, name, email in COMPANIES]


def _company_users(now: float) -> list[dict[str, Any]]:
    return [{"companyId": _company(slug), "userId": stable_id("user", slug), "email": email, "role": "owner"}
            for slug, _, email in COMPANIES]


def _company_expenses(now: float) -> list[dict[str, Any]]:
    return [{"companyId": _company(slug), "expenseId": stable_id("expense", slug, str(n)),
             "projectId": stable_id("project", slug), "contractorId": stable_id("contractor", slug),
             "amount": 1200 + 150 * n, "createdAt": int(now) - n * DAY}
            for slug, _, _ in COMPANIES for n in range(1, 4)]


def _invitations(now: float) -> list[dict[str, Any]]:
    return [{"invitationId": stable_id("invitation", slug), "companyId": _company(slug),
             "email": f"foreman@{slug}.example", "role": "member", "status": "pending"}
            for slug, _, _ in COMPANIES]


def _paddle_subscriptions(now: float) -> list[dict[str, Any]]:
    return [{"subscriptionId": f"sub_{stable_id('subscription', slug)[:8]}", "companyId": _company(slug),
             "customerId": f"ctm_{stable_id('customer', slug)[:8]}", "status": "active", "planId": "pro-monthly"}
            for slug, _, _ in COMPANIES]


def _paddle_customers(now: float) -> list[dict[str, Any]]:
    return [{"customerId": f"ctm_{stable_id('customer', slug)[:8]}", "companyId": _company(slug), "email": email}
            for slug, _, email in COMPANIES]


def _paddle_payments(now: float) -> list[dict[str, Any]]:
    return [{"paymentId": f"txn_{stable_id('payment', slug, str(m))[:8]}",
             "subscriptionId": f"sub_{stable_id('subscription', slug)[:8]}", "amount": 4900, "currency": "USD",
             "createdAt": int(now) - m * 30 * DAY}
            for slug, _, _ in COMPANIES for m in range(1, 3)]


def _paddle_webhooks(now: float) -> list[dict[str, Any]]:
    kinds = ["subscription.created", "transaction.completed", "transaction.completed"]
    return [{"eventId": f"evt_{stable_id('webhook', str(n))[:8]}", "eventType": kind,
             "receivedAt": int(now) - (len(kinds) - n) * 3600, "processed": True}
            for n, kind in enumerate(kinds)]


def _paddle_webhook_dlq(now: float) -> list[dict[str, Any]]:
    return [{"eventId": f"evt_{stable_id('failed-webhook', str(n))[:8]}", "status": "failed",
             "failedAt": int(now) - n * 600, "error": "customer not found", "ttl": int(now) + 14 * DAY}
            for n in range(1, 3)]


SEED_TABLES = [
    SeedTable(items_table, _items, "status"),
    SeedTable(shops_table, _shops, "plan"),
    SeedTable(jobs_table, _jobs, "status"),
    SeedTable(import_history_table, _import_history, "status"),
    SeedTable(products_table, _products),
    SeedTable(analytics_events_table, _analytics_events, "type"),
    SeedTable(analytics_summaries_table, _analytics_summaries),
    SeedTable(companies_table, _companies),
    SeedTable(company_users_table, _company_users),
    SeedTable(company_expenses_table, _company_expenses),
    SeedTable(invitations_table, _invitations, "status"),
    SeedTable(paddle_subscriptions_table, _paddle_subscriptions, "status"),
    SeedTable(paddle_customers_table, _paddle_customers),
    SeedTable(paddle_payments_table, _paddle_payments),
    SeedTable(paddle_webhooks_table, _paddle_webhooks, "eventType"),
    SeedTable(paddle_webhook_dlq_table, _paddle_webhook_dlq, "status"),
]


@dataclass
class SeedReport:
    tables: dict[str, Counter[str]] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)


def _numbers(row: dict[str, Any]) -> dict[str, Any]:
    """The resource layer wants Decimal for non-integer numbers."""
    return {k: Decimal(str(v)) if isinstance(v, float) else (_numbers(v) if isinstance(v, dict) else v)
            for k, v in row.items()}


def clear_table(table: Any, key_attributes: Sequence[str]) -> int:
    """Delete every item of a table (seeded tables only), through batch_writer."""
    names = {f"#k{i}": k for i, k in enumerate(key_attributes)}
    deleted = 0
    with table.batch_writer() as batch:
        for page in table.meta.client.get_paginator("scan").paginate(
                TableName=table.name, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names):
            for item in page.get("Items", []):
                batch.delete_item(Key={k: item[k] for k in key_attributes})
                deleted += 1
    return deleted


def seed(client: DynamoDBClient, resource: DynamoDBServiceResource, plans: Sequence[TablePlan], environment: str,
         clear: bool = False,
         now: float | None = None) -> SeedReport:
    """Load the seed data into the stack's tables.

    `resource` (a boto3 DynamoDB resource) does the bulk writes with batch_writer; `client` (a plain
    client on the same session) writes creators, whose slug guard needs a transaction.
    """
    # `environment` is the validated token (components/model/stack_settings.py): no spelling of prod gets past.
    if is_production(environment):
        raise ToolError("Refused", f"seed data is for development stacks; this stack's environment is {environment}")
    targets = [(table, plan.name) for table in SEED_TABLES if (plan := find_plan(plans, table.spec)) is not None]
    creators_plan = find_plan(plans, creators_table)
    # Every table first, so a missing one stops the run before anything is written.
    for name in [*(name for _, name in targets), *([creators_plan.name] if creators_plan else [])]:
        if find_table(client, name) is None:
            raise table_not_found(name, client)
    report = SeedReport()
    try:
        _load(client, resource, targets, creators_plan, clear, time.time() if now is None else now, report)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: say what was seeded; the command's line follows
        total = len(targets) + (creators_plan is not None)
        print(f"seed stopped: {len(report.tables)} of {total} tables seeded"
              f"{' (' + ', '.join(report.tables) + ')' if report.tables else ''}; run tables seed again to "
              "finish (it writes the same items again, by key)", file=sys.stderr)
        raise
    except Exception as error:
        done = ", ".join(report.tables) or "nothing"
        reported = translate(error, endpoint_of(client)) or ToolError(type(error).__name__, str(error))
        raise ToolError(reported.kind, f"seeded {done}; then: {reported.message}", where=reported.where) from error
    return report


def _load(client: DynamoDBClient, resource: DynamoDBServiceResource, targets: list[tuple[SeedTable, str]],
          creators_plan: TablePlan | None, clear: bool, now: float, report: SeedReport) -> None:
    for table, name in targets:
        target = resource.Table(name)
        if clear:
            report.cleared[name] = clear_table(target, table.key_attributes)
        rows = table.rows(now)
        # batch_writer sends 25 puts per BatchWriteItem and resends UnprocessedItems itself.
        with target.batch_writer(overwrite_by_pkeys=list(table.key_attributes)) as batch:
            for row in rows:
                batch.put_item(Item=_numbers(row))
        attribute = table.status_attribute
        report.tables[name] = Counter(str(r[attribute]) for r in rows) if attribute else Counter({"items": len(rows)})
    if creators_plan is not None:
        creators = creators_plan.name
        if clear:
            creator_key = tuple(k.name for k in creators_table.primary_key)
            report.cleared[creators] = clear_table(resource.Table(creators), creator_key)
        for slug, display_name in CREATORS:
            creator_id = ensure_creator(client, creators, slug, display_name,
                                        creator_id=stable_id("creator", slug)).creator_id
            # The Cognito user that owns the profile (the creator platform links them after sign-up).
            client.update_item(TableName=creators, Key={"id": {"S": creator_id}},
                               UpdateExpression="SET userId = :user",
                               ExpressionAttributeValues={":user": {"S": f"cognito-{slug}"}})
        report.tables[creators] = Counter({"creators": len(CREATORS)})


def _static_values() -> dict[tuple[str, str], str]:
    """(table key, attribute) -> a value every seeding writes the same, whatever the day: for the generated
    docs' example queries (scripts/schema_docs.py). Generated ids and timestamps are not here."""
    slug, _, email = COMPANIES[0]
    return {
        ("creators", "slug"): CREATORS[0][0],
        ("creators", "userId"): f"cognito-{CREATORS[0][0]}",
        ("jobs", "shopDomain"): SHOPS[0][0],
        ("import-history", "shopDomain"): SHOPS[0][0],
        ("companies", "email"): email,
        ("company-users", "userId"): stable_id("user", slug),
        ("company-users", "email"): email,
        ("company-expenses", "companyId"): _company(slug),
        ("company-expenses", "projectId"): stable_id("project", slug),
        ("invitations", "email"): f"foreman@{slug}.example",
        ("paddle-subscriptions", "companyId"): _company(slug),
        ("paddle-subscriptions", "customerId"): f"ctm_{stable_id('customer', slug)[:8]}",
        ("paddle-customers", "companyId"): _company(slug),
        ("paddle-customers", "email"): email,
        ("paddle-payments", "subscriptionId"): f"sub_{stable_id('subscription', slug)[:8]}",
        ("paddle-webhooks", "eventType"): "transaction.completed",
        ("paddle-webhook-dlq", "status"): "failed",
    }


STATIC_SEED_VALUES = _static_values()
