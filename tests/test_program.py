"""The real `__main__.py`, run under Pulumi mocks with each shipped `Pulumi.<stack>.yaml`.

The expected tables below are the seed documents' requirements written down as a specification;
the names are built from each stack file's own prefixes and suffixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from scripts.mock_stack import TABLE_TYPE, DeclaredStack, run_program
from tests.project import PROJECT_DIR, shipped_stacks


@dataclass(frozen=True)
class Expected:
    base_name: str
    env_var: str
    keys: tuple[tuple[str, str], ...]  # (name, type) for partition then sort
    gsis: dict[str, tuple[tuple[str, str, str], ...]]  # index -> ((attribute, HASH|RANGE, type), ...)
    ttl: str | None = None
    stream: str | None = None


EXPECTED: dict[str, dict[str, Expected]] = {
    "creator-platform": {  # the creator platform's storage stack
        "creators": Expected("CreatorsTable", "CREATORS_TABLE_NAME", (("id", "S"),), {
            "slug-index": (("slug", "HASH", "S"),),
            "userId-index": (("userId", "HASH", "S"),),
        }),
        "products": Expected("ProductsTable", "PRODUCTS_TABLE_NAME", (("id", "S"),), {
            "creatorId-index": (("creatorId", "HASH", "S"), ("createdAt", "RANGE", "S")),
            "status-index": (("status", "HASH", "S"), ("createdAt", "RANGE", "S")),
        }),
        "analytics-events": Expected("AnalyticsEventsTable", "ANALYTICS_EVENTS_TABLE_NAME",
                                     (("creatorId", "S"), ("timestamp", "S")), {}, ttl="ttl", stream="NEW_IMAGE"),
        "analytics-summaries": Expected("AnalyticsSummariesTable", "ANALYTICS_SUMMARIES_TABLE_NAME",
                                        (("creatorId", "S"), ("date", "S")), {}),
    },
    "shop-import": {  # the shop-import team's implementation plan
        "shops": Expected("Shops", "SHOPS_TABLE_NAME", (("domain", "S"),), {}),
        "jobs": Expected("Jobs", "JOBS_TABLE_NAME", (("jobId", "S"),), {
            "shopDomain-createdAt-index": (("shopDomain", "HASH", "S"), ("createdAt", "RANGE", "S")),
            "status-createdAt-index": (("status", "HASH", "S"), ("createdAt", "RANGE", "S")),
        }, ttl="expiresAt"),
        "import-history": Expected("ImportHistory", "IMPORT_HISTORY_TABLE_NAME",
                                   (("shopDomain", "S"), ("timestamp", "N")), {}, ttl="expiresAt"),
    },
    "items-service": {  # the items team's data-layer README
        "items": Expected("items", "ITEMS_TABLE_NAME", (("id", "S"),), {
            "status-index": (("status", "HASH", "S"), ("createdAt", "RANGE", "N")),
        }, ttl="ttl"),
    },
    "migration-history": {
        "migrations": Expected("migrations", "MIGRATIONS_TABLE_NAME", (("pk", "S"), ("sk", "S")), {}),
    },
}

# The construction-expenses team's export gives a GSI count and TTL per table and names two indexes.
CONSTRUCTION_GSI_COUNTS = {
    "companies": 1, "company-users": 2, "company-expenses": 2, "company-projects": 0,
    "company-contractors": 0, "company-works": 0, "invitations": 1, "paddle-subscriptions": 2,
    "paddle-customers": 2, "paddle-payments": 1, "paddle-webhooks": 1, "paddle-webhook-dlq": 1,
    "pending-payments": 0,
}
CONSTRUCTION_TTLS = {"pending-payments": "expiresAt", "paddle-webhook-dlq": "ttl"}


def stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]


def physical_name(stack: str, family: str, base_name: str) -> str:
    settings = stack_config(stack)["dynamodb-tables:families"][family] or {}
    return f"{settings.get('prefix', '')}{base_name}{settings.get('suffix', '')}"


def gsi_keys(table: dict[str, Any]) -> dict[str, tuple[tuple[str, str, str], ...]]:
    types = {a["name"]: a["type"] for a in table["attributes"]}
    return {
        gsi["name"]: tuple((k["attributeName"], k["keyType"], types[k["attributeName"]]) for k in gsi["keySchemas"])
        for gsi in table.get("globalSecondaryIndexes") or []
    }


STACKS = shipped_stacks()


@pytest.fixture(scope="module", params=STACKS)
def declared(request: pytest.FixtureRequest) -> DeclaredStack:
    return run_program(PROJECT_DIR, request.param)


def test_declares_exactly_the_configured_tables(declared: DeclaredStack) -> None:
    families = stack_config(declared.stack)["dynamodb-tables:families"]
    expected_names = {physical_name(declared.stack, family, spec.base_name)
                      for family in families if family in EXPECTED for spec in EXPECTED[family].values()}
    if "construction-expenses" in families:
        expected_names |= {physical_name(declared.stack, "construction-expenses", key)
                           for key in CONSTRUCTION_GSI_COUNTS}
    assert set(declared.tables) == expected_names


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_table_keys_indexes_ttl_and_streams_match_the_seeds(declared: DeclaredStack, family: str) -> None:
    for expected in EXPECTED[family].values():
        name = physical_name(declared.stack, family, expected.base_name)
        table = declared.tables[name].inputs
        assert declared.outputs[expected.env_var] == name
        attributes = {a["name"]: a["type"] for a in table["attributes"]}
        assert (table["hashKey"], attributes[table["hashKey"]]) == expected.keys[0], name
        sort = (table["rangeKey"], attributes[table["rangeKey"]]) if table.get("rangeKey") else None
        assert sort == (expected.keys[1] if len(expected.keys) > 1 else None), name
        assert gsi_keys(table) == expected.gsis, name
        assert table.get("ttl") == ({"attributeName": expected.ttl, "enabled": True} if expected.ttl
                                    else {"enabled": False}), name
        assert table["streamEnabled"] is (expected.stream is not None), name
        assert table.get("streamViewType") == expected.stream, name
        # Attribute definitions are exactly the key attributes, derived, never listed by hand.
        used = {k for k, _ in expected.keys} | {a for gsi in expected.gsis.values() for a, _, _ in gsi}
        assert set(attributes) == used, name


def test_construction_expenses_has_the_seed_gsi_counts_and_ttls(declared: DeclaredStack) -> None:
    for key, count in CONSTRUCTION_GSI_COUNTS.items():
        table = declared.tables[physical_name(declared.stack, "construction-expenses", key)].inputs
        assert len(table.get("globalSecondaryIndexes") or []) == count, key
        ttl = CONSTRUCTION_TTLS.get(key)
        assert table.get("ttl") == ({"attributeName": ttl, "enabled": True} if ttl else {"enabled": False}), key
    companies = declared.tables[physical_name(declared.stack, "construction-expenses", "companies")].inputs
    assert gsi_keys(companies) == {"by-email": (("email", "HASH", "S"),)}
    expenses = declared.tables[physical_name(declared.stack, "construction-expenses", "company-expenses")].inputs
    assert gsi_keys(expenses)["by-company-and-date"] == (("companyId", "HASH", "S"), ("createdAt", "RANGE", "N"))


def test_every_table_has_the_safe_defaults(declared: DeclaredStack) -> None:
    config = stack_config(declared.stack)
    environment = config["dynamodb-tables:environment"]
    period = config.get("dynamodb-tables:pitrRecoveryPeriodDays", 35)
    for name, table in declared.tables.items():
        inputs = table.inputs
        assert inputs["billingMode"] == "PAY_PER_REQUEST", name
        assert "readCapacity" not in inputs and "writeCapacity" not in inputs, name
        assert inputs["pointInTimeRecovery"] == {"enabled": True, "recoveryPeriodInDays": period}, name
        assert inputs["serverSideEncryption"]["enabled"] is True, name
        assert inputs["deletionProtectionEnabled"] is config["dynamodb-tables:deletionProtection"], name
        assert inputs["tags"]["environment"] == environment, name
        assert inputs["tags"]["managed-by"] == "pulumi", name
        assert inputs["tags"]["owner"], name
        assert inputs["tags"]["family"] in EXPECTED or inputs["tags"]["family"] == "construction-expenses", name


def test_prod_tables_are_protected_and_retained_and_others_are_not(declared: DeclaredStack) -> None:
    is_prod = stack_config(declared.stack)["dynamodb-tables:environment"] == "prod"
    for name, table in declared.tables.items():
        assert (table.protect, table.retain_on_delete) == (is_prod, is_prod), name
        if is_prod:
            assert table.inputs["deletionProtectionEnabled"] is True, name


def test_tables_are_children_of_their_family_component(declared: DeclaredStack) -> None:
    components = {r.urn: r for r in declared.resources
                  if not r.custom and r.type.startswith("dynamodbTables:families:")}
    assert {r.type for r in components.values()} == {
        f"dynamodbTables:families:{t}"
        for t, family in [("CreatorPlatform", "creator-platform"), ("ShopImport", "shop-import"),
                          ("ItemsService", "items-service"), ("ConstructionExpenses", "construction-expenses"),
                          ("MigrationHistory", "migration-history")]
        if family in stack_config(declared.stack)["dynamodb-tables:families"]
    }
    for name, table in declared.tables.items():
        parent = components[table.parent]
        assert parent.name == table.inputs["tags"]["family"], name
        assert table.name.startswith(f"{parent.name}-"), name


def test_exports_table_names_arns_and_service_environment_variables(declared: DeclaredStack) -> None:
    outputs = declared.outputs
    assert outputs["environment"] == stack_config(declared.stack)["dynamodb-tables:environment"]
    for family, tables in outputs["tables"].items():
        for key, entry in tables.items():
            assert entry["arn"] == f"arn:aws:dynamodb:us-east-1:123456789012:table/{entry['name']}"
            assert entry["name"] in declared.tables, (family, key)
    creators = outputs["tables"]["creator-platform"]["creators"]["name"]
    assert outputs["CREATORS_TABLE_NAME"] == creators
    events = outputs["tables"]["creator-platform"]["analytics-events"]
    assert events["streamArn"].startswith(events["arn"] + "/stream/")
    assert "streamArn" not in outputs["tables"]["creator-platform"]["creators"]
    env_vars = [k for k in outputs if k.endswith("_TABLE_NAME")]
    assert sorted(outputs[k] for k in env_vars) == sorted(declared.tables)


@pytest.mark.parametrize(("stack", "names"), [
    ("dev", ["items-dev", "construction-expenses-dev-companies", "Shops-dev", "Jobs-dev", "ImportHistory-dev"]),
    ("staging", ["items-staging", "construction-expenses-staging-companies"]),
    ("prod", ["items-prod", "construction-expenses-companies", "ProductsTable", "CreatorsTable"]),
])
def test_seed_naming_conventions_are_reproduced(stack: str, names: list[str]) -> None:
    assert set(names) <= set(run_program(PROJECT_DIR, stack).tables)


def test_prod_adopts_the_existing_products_and_construction_tables() -> None:
    prod = run_program(PROJECT_DIR, "prod")
    adopted = {name for name, table in prod.tables.items() if table.import_id}
    assert all(prod.tables[name].import_id == name for name in adopted)
    assert adopted == {"ProductsTable"} | {f"construction-expenses-{key}" for key in CONSTRUCTION_GSI_COUNTS}
    # The live products table lacks the declared indexes: the adoption leaves them for the next `up`.
    assert {name: table.ignore_changes for name, table in prod.tables.items() if table.ignore_changes} == {
        "ProductsTable": ["attributes", "globalSecondaryIndexes"]}


def test_prod_uses_customer_managed_keys_with_the_family_key_overriding_the_stack_key() -> None:
    config = stack_config("prod")
    stack_key = config["dynamodb-tables:kmsKeyArn"]
    shop_key = config["dynamodb-tables:families"]["shop-import"]["kmsKeyArn"]
    prod = run_program(PROJECT_DIR, "prod")
    shops = prod.tables["Shops-prod"].inputs
    assert shops["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": shop_key}
    assert shops["tags"]["data-classification"] == "sensitive"
    assert prod.tables["items-prod"].inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": stack_key}
    assert "kmsKeyArn" not in run_program(PROJECT_DIR, "dev").tables["items-dev"].inputs["serverSideEncryption"]


def test_declared_resources_are_tables_family_components_and_consumer_access() -> None:
    dev = run_program(PROJECT_DIR, "dev")
    assert {r.type for r in dev.resources if r.custom} == {TABLE_TYPE, "aws:iam/rolePolicy:RolePolicy"}


def test_turning_ttl_off_declares_it_disabled_so_a_new_ttl_attribute_takes_two_deploys(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The provider suppresses a *missing* ttl block (terraform-provider-aws table.go, ttl's DiffSuppressFunc
    # SuppressMissingOptionalConfigurationBlock) and AWS refuses a new TTL attribute while TTL is on; so the
    # remedy `tables plan` prints is two deploys: first TTL declared off, then the new attribute on.
    from dataclasses import replace

    from components.families import FAMILIES, items_service

    baseline = run_program(PROJECT_DIR, "dev").tables["items-dev"]
    assert baseline.inputs["ttl"] == {"attributeName": "ttl", "enabled": True}

    def deploy(ttl_attribute: str | None) -> Any:
        table = replace(items_service.items_table, ttl_attribute=ttl_attribute)
        monkeypatch.setitem(FAMILIES, "items-service", replace(items_service.FAMILY, tables=(table,)))
        return run_program(PROJECT_DIR, "dev").tables["items-dev"]

    first = deploy(None)
    assert first.inputs["ttl"] == {"enabled": False}  # declared off, so updateTimeToLive disables it
    assert first.urn == baseline.urn
    second = deploy("purgeAt")
    assert second.inputs["ttl"] == {"attributeName": "purgeAt", "enabled": True}
    assert second.urn == baseline.urn
