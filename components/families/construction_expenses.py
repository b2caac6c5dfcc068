"""Construction expenses: 13 company and Paddle billing tables, already live in production.

The construction-expenses team's exported table summary gives each table's GSI count (13 in all)
and its TTLs, and names two indexes: `by-email` on companies and `by-company-and-date` on
company-expenses. It gives no other keys, so the rest are chosen for what a multi-company expense
app with Paddle billing needs; the access pattern declared on each index says which query it serves. (The
summary's "GSI distribution" prose miscounts its own table list; the per-table counts, which sum
to 13, are what is built here.) `tables scaffold` rebuilds such a module from the live tables.
"""

from components.model.family import FamilyDefinition
from components.model.patterns import AccessPattern, KeyCondition, Operation, Order, Rate, SortCondition, SortOperator
from components.model.spec import GlobalIndex, Key, Projection, TableSpec, key_attributes

PENDING_PAYMENT_EXPIRY_HOURS = 24


def _table(key: str, env_var: str, description: str, partition: Key, sort: Key | None = None,
           indexes: tuple[GlobalIndex, ...] = (), ttl: str | None = None,
           classification: str = "internal") -> TableSpec:
    return TableSpec(key=key, base_name=key, env_var=env_var, description=description, partition=partition,
                     sort=sort, global_indexes=indexes, ttl_attribute=ttl, data_classification=classification)


companies_table = _table(
    "companies", "COMPANIES_TABLE_NAME", "Customer companies and their plan.", Key("companyId"),
    indexes=(GlobalIndex("by-email", partition=(Key("email"),)),),
    classification="sensitive",
)
company_users_table = _table(
    "company-users", "COMPANY_USERS_TABLE_NAME", "Members of a company and their roles.",
    Key("companyId"), Key("userId"),
    indexes=(
        GlobalIndex("by-user", partition=(Key("userId"),), projection=Projection.KEYS_ONLY),
        GlobalIndex("by-email", partition=(Key("email"),)),
    ),
    classification="sensitive",
)
company_expenses_table = _table(
    "company-expenses", "COMPANY_EXPENSES_TABLE_NAME", "Expenses, each booked to a project and contractor.",
    Key("companyId"), Key("expenseId"),
    indexes=(
        GlobalIndex("by-company-and-date", partition=(Key("companyId"),), sort=(Key("createdAt", "N"),)),
        GlobalIndex("by-project", partition=(Key("projectId"),), sort=(Key("createdAt", "N"),)),
    ),
)
company_projects_table = _table(
    "company-projects", "COMPANY_PROJECTS_TABLE_NAME", "Construction projects of a company.",
    Key("companyId"), Key("projectId"),
)
company_contractors_table = _table(
    "company-contractors", "COMPANY_CONTRACTORS_TABLE_NAME", "Contractors a company pays.",
    Key("companyId"), Key("contractorId"),
)
company_works_table = _table(
    "company-works", "COMPANY_WORKS_TABLE_NAME", "Work items (scopes of work) of a company.",
    Key("companyId"), Key("workId"),
)
invitations_table = _table(
    "invitations", "INVITATIONS_TABLE_NAME", "Pending invitations to join a company.", Key("invitationId"),
    indexes=(GlobalIndex("by-email", partition=(Key("email"),)),),
    classification="sensitive",
)
paddle_subscriptions_table = _table(
    "paddle-subscriptions", "PADDLE_SUBSCRIPTIONS_TABLE_NAME", "Paddle subscriptions, one per company plan.",
    Key("subscriptionId"),
    indexes=(
        GlobalIndex("by-company", partition=(Key("companyId"),)),
        GlobalIndex("by-customer", partition=(Key("customerId"),)),
    ),
)
paddle_customers_table = _table(
    "paddle-customers", "PADDLE_CUSTOMERS_TABLE_NAME", "Paddle customers linked to companies.",
    Key("customerId"),
    indexes=(
        GlobalIndex("by-company", partition=(Key("companyId"),)),
        GlobalIndex("by-email", partition=(Key("email"),)),
    ),
    classification="sensitive",
)
paddle_payments_table = _table(
    "paddle-payments", "PADDLE_PAYMENTS_TABLE_NAME", "Completed Paddle transactions.", Key("paymentId"),
    indexes=(GlobalIndex("by-subscription", partition=(Key("subscriptionId"),), sort=(Key("createdAt", "N"),)),),
)
paddle_webhooks_table = _table(
    "paddle-webhooks", "PADDLE_WEBHOOKS_TABLE_NAME", "Every received Paddle webhook, for idempotent processing.",
    Key("eventId"),
    indexes=(GlobalIndex("by-event-type", partition=(Key("eventType"),), sort=(Key("receivedAt", "N"),)),),
)
paddle_webhook_dlq_table = _table(
    "paddle-webhook-dlq", "PADDLE_WEBHOOK_DLQ_TABLE_NAME", "Webhooks whose processing failed; cleaned up by TTL.",
    Key("eventId"),
    indexes=(GlobalIndex("by-status", partition=(Key("status"),), sort=(Key("failedAt", "N"),)),),
    ttl="ttl",
)
pending_payments_table = _table(
    "pending-payments", "PENDING_PAYMENTS_TABLE_NAME",
    f"Checkouts awaiting Paddle confirmation; expire after {PENDING_PAYMENT_EXPIRY_HOURS} hours.",
    Key("pendingPaymentId"), ttl="expiresAt",
)


API = "construction-expenses-api"


def _query(name: str, table: TableSpec, index: str, reads: tuple[str, ...], per_second: float,
           order: Order = Order.ASCENDING, between: bool = False) -> AccessPattern:
    """A Query of one of the team's indexes, by its partition key (and a sort-key range with `between`)."""
    gsi = next(i for i in table.global_indexes if i.name == index)
    sort = SortCondition(gsi.sort[0], SortOperator.BETWEEN) if between and gsi.sort else None
    return AccessPattern(name, table, consumer=API, operation=Operation.QUERY, index=index,
                         key=KeyCondition(gsi.partition, sort=sort), order=order, reads=reads,
                         rate=Rate(per_second, item_bytes=512, items_per_request=10))


def _keys(table: TableSpec) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k.name for _, k in key_attributes(table)))


# One pattern per index, run by the team's API Lambda. The team names `by-email` and `by-company-and-date`
# (its simple and composite GSI examples); the rest say what each index is for. Rates are planning figures.
PATTERNS = (
    _query("by-email: find a company by its owner's email at sign-in and sign-up", companies_table,
           "by-email", ("companyId", "email", "name", "plan"), 20),
    _query("Which companies a signed-in user belongs to", company_users_table, "by-user",
           ("companyId", "userId"), 20),
    _query("Match an accepted invitation's email to an existing user", company_users_table, "by-email",
           ("companyId", "userId", "email", "role"), 2),
    _query("by-company-and-date: a company's expenses in a date range (reports, dashboard)",
           company_expenses_table, "by-company-and-date", (*_keys(company_expenses_table), "amount"), 20,
           order=Order.DESCENDING, between=True),
    _query("A project's expenses by date (project cost report)", company_expenses_table, "by-project",
           (*_keys(company_expenses_table), "amount"), 5),
    _query("Show a newly signed-up user the invitations sent to their email", invitations_table, "by-email",
           ("invitationId", "companyId", "email", "role"), 2),
    _query("A company's current subscription, for feature gating", paddle_subscriptions_table, "by-company",
           ("subscriptionId", "companyId", "status", "planId"), 20),
    _query("Subscriptions of a Paddle customer, when a customer webhook arrives", paddle_subscriptions_table,
           "by-customer", ("subscriptionId", "customerId", "status"), 2),
    _query("The Paddle customer of a company, to open checkout", paddle_customers_table, "by-company",
           ("customerId", "companyId"), 2),
    _query("Link a Paddle customer created at checkout to the company by email", paddle_customers_table,
           "by-email", ("customerId", "companyId", "email"), 2),
    _query("Payment history of a subscription, newest first (billing page)", paddle_payments_table,
           "by-subscription", ("paymentId", "subscriptionId", "amount", "currency", "createdAt"), 5,
           order=Order.DESCENDING),
    _query("Audit and replay webhooks of one event type in arrival order", paddle_webhooks_table, "by-event-type",
           ("eventId", "eventType", "receivedAt"), 1),
    _query("The retry worker takes failed webhooks, oldest first", paddle_webhook_dlq_table, "by-status",
           ("eventId", "status", "failedAt", "error"), 1),
    AccessPattern("Record an expense", company_expenses_table, consumer=API, operation=Operation.PUT_ITEM,
                  key=KeyCondition((Key("companyId"),), sort=SortCondition(Key("expenseId"), SortOperator.EQ)),
                  rate=Rate(5, item_bytes=1024)),
    AccessPattern("Record every received Paddle webhook, for idempotent processing", paddle_webhooks_table,
                  consumer=API, operation=Operation.PUT_ITEM, key=KeyCondition((Key("eventId"),)),
                  rate=Rate(5, item_bytes=2048)),
)


FAMILY = FamilyDefinition(
    key="construction-expenses",
    title="Construction expenses",
    tables=(
        companies_table, company_users_table, company_expenses_table, company_projects_table,
        company_contractors_table, company_works_table, invitations_table, paddle_subscriptions_table,
        paddle_customers_table, paddle_payments_table, paddle_webhooks_table, paddle_webhook_dlq_table,
        pending_payments_table,
    ),
    component_type="ConstructionExpenses",
    patterns=PATTERNS,
)
