"""Access patterns: declared per family, checked before anything is declared, guarded by grants."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from components.families import FAMILIES, check_patterns, stack_from_config
from components.families.items_service import items_table
from components.families.shop_import import PATTERNS as SHOP_PATTERNS
from components.families.shop_import import jobs_table
from components.model.patterns import (
    AccessPattern,
    Consistency,
    KeyCondition,
    Operation,
    Order,
    Rate,
    SortCondition,
    SortOperator,
    hot_keys,
    validate_pattern,
)
from components.model.spec import GlobalIndex, Key, ModelError, Projection, TableSpec
from components.model.stack_file import load_stack_file
from tests.project import PROJECT_DIR

# The known-good pattern every validation case changes one thing of.
JOBS_BY_STATUS = AccessPattern(
    "Jobs by status", jobs_table, consumer="shop-import-jobs", operation=Operation.QUERY,
    index="status-createdAt-index",
    key=KeyCondition((Key("status"),), sort=SortCondition(Key("createdAt"), SortOperator.GE)),
    reads=("jobId", "status"), rate=Rate(5, item_bytes=512))
WHERE = "family 'shop-import', table 'jobs', access pattern 'Jobs by status'"


def refused(pattern: AccessPattern) -> str:
    with pytest.raises(ModelError) as raised:
        validate_pattern("shop-import", pattern)
    return str(raised.value)


def test_the_known_good_pattern_is_valid() -> None:
    validate_pattern("shop-import", JOBS_BY_STATUS)


def test_every_family_declares_valid_patterns_and_every_index_has_one() -> None:
    from components.model.patterns import validate_patterns

    for key, definition in FAMILIES.items():
        validate_patterns(key, definition.patterns, definition.tables)
        for spec in definition.tables:
            for index in spec.global_indexes:
                assert any(p.index == index.name and p.table == spec for p in definition.patterns), (
                    f"{key}.{spec.key} index {index.name} serves no declared pattern")


def test_every_pattern_the_teams_wrote_down_is_declared_in_their_words() -> None:
    names = {p.name for definition in FAMILIES.values() for p in definition.patterns}
    # The shop-import team's "Query Patterns", the items team's seven headings, the creator platform's purposes.
    assert {"Shop lookups by domain (primary key)", "Jobs by shop domain (shop-based job lists)", "Jobs by status",
            "Import history by shop and date range"} <= names
    assert {"Get Item by ID", "List All Items (with pagination)", "Query Items by Status",
            "Query Items by Status and Creation Date", "Create Item", "Update Item", "Delete Item"} <= names
    assert {"Looking up creators by their URL slug", "Linking creators to Cognito users",
            "All products for a specific creator, sorted by creation date",
            "Products by moderation status (pending/approved/rejected)"} <= names
    assert not [name for name in names if "seed" in name.lower()]


def test_a_pattern_on_a_missing_index_is_refused() -> None:
    assert refused(dataclasses.replace(JOBS_BY_STATUS, index="status-index")) == (
        f"{WHERE}: index 'status-index' does not exist; the table's indexes: shopDomain-createdAt-index, "
        "status-createdAt-index")


def test_a_key_condition_on_a_non_key_attribute_is_refused() -> None:
    pattern = dataclasses.replace(JOBS_BY_STATUS, key=KeyCondition((Key("shopDomain"),)))
    assert refused(pattern) == (
        f"{WHERE}: key condition on 'shopDomain', which is not a key attribute of index 'status-createdAt-index'; "
        "its keys: status (partition), createdAt (sort)")


def test_a_sort_condition_on_a_non_key_attribute_is_refused() -> None:
    pattern = dataclasses.replace(JOBS_BY_STATUS, key=KeyCondition(
        (Key("status"),), sort=SortCondition(Key("updatedAt"), SortOperator.GT)))
    assert refused(pattern) == (
        f"{WHERE}: key condition on 'updatedAt', which is not a key attribute of index 'status-createdAt-index'; "
        "its keys: status (partition), createdAt (sort)")


def test_a_key_condition_with_the_wrong_type_is_refused() -> None:
    pattern = dataclasses.replace(JOBS_BY_STATUS, key=KeyCondition(
        (Key("status"),), sort=SortCondition(Key("createdAt", "N"), SortOperator.GT)))
    assert refused(pattern) == (
        f"{WHERE}: key condition on 'createdAt' as type N; index 'status-createdAt-index' declares it S")


def test_begins_with_on_a_number_sort_key_is_refused() -> None:
    # DynamoDB: begins_with applies to String and Binary sort keys only (Query, KeyConditionExpression).
    pattern = AccessPattern("Query Items by Status", items_table, consumer="items-service",
                            operation=Operation.QUERY, index="status-index",
                            key=KeyCondition((Key("status"),), sort=SortCondition(Key("createdAt", "N"),
                                                                                  SortOperator.BEGINS_WITH)),
                            rate=Rate(1, item_bytes=100))
    with pytest.raises(ModelError) as raised:
        validate_pattern("items-service", pattern)
    assert str(raised.value) == (
        "family 'items-service', table 'items', access pattern 'Query Items by Status': begins_with on 'createdAt', "
        "a Number; begins_with applies to strings and binary values only")


def test_an_example_of_the_wrong_type_is_refused() -> None:
    pattern = dataclasses.replace(JOBS_BY_STATUS, key=KeyCondition((Key("status"),), example={"status": 3}))
    assert refused(pattern) == f"{WHERE}: example 3 for 'status', of type S"


def test_a_projected_attribute_miss_is_refused() -> None:
    keys_only = dataclasses.replace(jobs_table, global_indexes=(
        jobs_table.global_indexes[0],
        dataclasses.replace(jobs_table.global_indexes[1], projection=Projection.KEYS_ONLY)))
    pattern = dataclasses.replace(JOBS_BY_STATUS, table=keys_only, reads=("jobId", "status", "processedProducts"))
    assert refused(pattern) == (
        f"{WHERE}: reads processedProducts, which index 'status-createdAt-index' does not project "
        "(KEYS_ONLY: createdAt, jobId, status); project them (INCLUDE or ALL) or read them from the table")


def test_an_included_attribute_is_projected() -> None:
    include = dataclasses.replace(jobs_table, global_indexes=(
        jobs_table.global_indexes[0],
        dataclasses.replace(jobs_table.global_indexes[1], projection=Projection.INCLUDE,
                            non_key_attributes=("processedProducts",))))
    validate_pattern("shop-import", dataclasses.replace(JOBS_BY_STATUS, table=include,
                                                        reads=("jobId", "processedProducts")))


def test_consistent_read_on_a_gsi_is_refused() -> None:
    # DynamoDB: "Queries on global secondary indexes support eventual consistency only" (ConsistentRead).
    assert refused(dataclasses.replace(JOBS_BY_STATUS, consistency=Consistency.STRONG)) == (
        f"{WHERE}: ConsistentRead on global index 'status-createdAt-index'; DynamoDB reads a GSI eventually "
        "consistent only: read the table, or use eventual consistency")


def test_consistent_read_of_the_table_is_allowed() -> None:
    validate_pattern("shop-import", AccessPattern(
        "Job by id", jobs_table, consumer="shop-import-jobs", operation=Operation.GET_ITEM,
        key=KeyCondition((Key("jobId"),)), consistency=Consistency.STRONG, rate=Rate(1, item_bytes=512)))


def test_a_scan_without_an_allow_scan_reason_is_refused() -> None:
    scan = AccessPattern("Every job", jobs_table, consumer="shop-import-jobs", operation=Operation.SCAN,
                         rate=Rate(1, item_bytes=512))
    with pytest.raises(ModelError) as raised:
        validate_pattern("shop-import", scan)
    assert str(raised.value) == (
        "family 'shop-import', table 'jobs', access pattern 'Every job': a Scan reads the whole table; give "
        "allow_scan the reason it is acceptable, or Query an index")
    validate_pattern("shop-import", dataclasses.replace(scan, allow_scan="a nightly export"))


def test_get_item_needs_the_whole_primary_key() -> None:
    history = FAMILIES["shop-import"].table("import-history")
    pattern = AccessPattern("One import", history, consumer="shop-import-app", operation=Operation.GET_ITEM,
                            key=KeyCondition((Key("shopDomain"),)), rate=Rate(1, item_bytes=256))
    with pytest.raises(ModelError) as raised:
        validate_pattern("shop-import", pattern)
    assert str(raised.value) == ("family 'shop-import', table 'import-history', access pattern 'One import': "
                                 "GetItem needs the whole primary key: equality on 'timestamp' too")


def test_a_partition_condition_must_name_every_partition_attribute() -> None:
    pattern = dataclasses.replace(JOBS_BY_STATUS, index=None, key=KeyCondition(()))
    assert refused(pattern) == f"{WHERE}: partition key condition on nothing; the table needs equality on jobId"


def test_the_program_refuses_an_invalid_pattern_before_declaring_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = dataclasses.replace(FAMILIES["shop-import"], patterns=(
        dataclasses.replace(JOBS_BY_STATUS, consistency=Consistency.STRONG),))
    monkeypatch.setitem(FAMILIES, "shop-import", broken)
    with pytest.raises(ModelError) as raised:
        stack_from_config(load_stack_file(PROJECT_DIR, "dev"), "dev")
    assert str(raised.value).startswith(f"{WHERE}: ConsistentRead on global index 'status-createdAt-index'")


# --- grants follow patterns -----------------------------------------------------------------------

def dev_config() -> dict[str, str]:
    return dict(load_stack_file(PROJECT_DIR, "dev"))


def with_consumers(config: dict[str, str], change: dict[str, object]) -> dict[str, str]:
    consumers = json.loads(config["dynamodb-tables:consumers"])
    consumers.update(change)
    return {**config, "dynamodb-tables:consumers": json.dumps(consumers)}


def test_every_stack_grants_what_its_patterns_need() -> None:
    for stack in ("dev", "staging", "prod", "local"):
        stack_from_config(load_stack_file(PROJECT_DIR, stack), stack)


def test_a_consumer_that_reads_by_pattern_but_is_granted_only_writes_is_refused() -> None:
    config = with_consumers(dev_config(), {"shop-import-jobs": {"role": "shop-import-job-lambda-dev", "access": {
        "shop-import.shops": "read", "shop-import.jobs": "write", "shop-import.import-history": "write"}}})
    with pytest.raises(ModelError) as raised:
        stack_from_config(config, "dev")
    assert str(raised.value) == (
        "stack 'dev', family 'shop-import', table 'jobs', access pattern 'Jobs by status': Query needs read access, "
        "but consumer 'shop-import-jobs' is granted write on Jobs-dev; grant read or read-write in "
        "dynamodb-tables:consumers.shop-import-jobs.access")


def test_a_consumer_that_writes_by_pattern_but_is_granted_only_reads_is_refused() -> None:
    config = with_consumers(dev_config(), {"shop-import-jobs": {"role": "shop-import-job-lambda-dev", "access": {
        "shop-import.shops": "read", "shop-import.jobs": "read-write", "shop-import.import-history": "read"}}})
    with pytest.raises(ModelError) as raised:
        stack_from_config(config, "dev")
    assert str(raised.value) == (
        "stack 'dev', family 'shop-import', table 'import-history', access pattern 'Historical record of imports': "
        "PutItem needs write access, but consumer 'shop-import-jobs' is granted read on ImportHistory-dev; grant "
        "write or read-write in dynamodb-tables:consumers.shop-import-jobs.access")


def test_a_pattern_whose_consumer_is_not_configured_is_refused() -> None:
    config = dev_config()
    consumers = json.loads(config["dynamodb-tables:consumers"])
    del consumers["items-service"]
    config["dynamodb-tables:consumers"] = json.dumps(consumers)
    with pytest.raises(ModelError) as raised:
        stack_from_config(config, "dev")
    assert str(raised.value) == (
        "stack 'dev', family 'items-service', table 'items', access pattern 'Get Item by ID': consumer "
        "'items-service' runs it, but dynamodb-tables:consumers does not declare it; declare it with access to "
        "items-service.items")


def test_patterns_are_checked_for_the_families_a_stack_deploys(tmp_path: Path) -> None:
    planned = check_patterns(stack_from_config(dev_config(), "dev").tables)
    assert {p.family for p in planned} == {"creator-platform", "shop-import", "items-service",
                                          "construction-expenses"}
    assert len(planned) == sum(len(d.patterns) for d in FAMILIES.values())


# --- hot keys -------------------------------------------------------------------------------------

def with_job_writes(per_second: float) -> list[AccessPattern]:
    writes = [p for p in SHOP_PATTERNS if p.table == jobs_table and p.writes]
    share = per_second / len(writes)
    return [dataclasses.replace(p, rate=dataclasses.replace(p.rate, per_second=share)) if p in writes else p
            for p in SHOP_PATTERNS]


def test_the_shop_import_status_index_at_2000_writes_a_second_is_a_hot_key() -> None:
    # 2,000 writes/s of 512-byte jobs: 2,000 write units/s (1 KB each, rounded up), over one partition's
    # 1,000 (AWS: "a single partition ... up to 1,000 write capacity units"), on a key with 4 values.
    found = hot_keys(jobs_table, with_job_writes(2000))
    assert [(h.index, h.attribute, h.cardinality, h.write_units, h.shards) for h in found] == [
        ("status-createdAt-index", "status", 4, 2000.0, 2)]
    assert found[0].text() == (
        "hot key: jobs index status-createdAt-index: partition key 'status' has 4 distinct values (declared) and "
        "the table's declared peak of 2,000 write units/s can all land on one of them, over the 1,000 write units/s "
        "one partition takes; shard it: write 'status' as <value>#<0..1> (a random or calculated suffix, 2 shards "
        "per value) and query the 2 shards in parallel")


def test_the_shop_import_status_index_at_10_writes_a_second_is_not() -> None:
    assert hot_keys(jobs_table, with_job_writes(10)) == []


def test_a_measured_cardinality_counts_when_none_is_declared() -> None:
    table = TableSpec(key="t", base_name="t", partition=Key("id"), env_var="T", description="t",
                      global_indexes=(GlobalIndex("by-kind", partition=(Key("kind"),)),))
    writes = [AccessPattern("Write", table, consumer="svc", operation=Operation.PUT_ITEM,
                            key=KeyCondition((Key("id"),)), rate=Rate(3000, item_bytes=1024))]
    assert hot_keys(table, writes) == []  # nothing declared, nothing measured: nothing to judge
    [found] = hot_keys(table, writes, measured={"kind": 2})
    assert (found.measured, found.shards) == (True, 3)
    assert hot_keys(table, writes, measured={"kind": 5000}) == []  # many values spread the writes


def test_declared_rates_are_typed_for_the_cost_work() -> None:
    reads = next(p for p in SHOP_PATTERNS if p.name == "Jobs by status")
    assert (reads.reads_per_second, reads.writes_per_second, reads.rate.item_bytes, reads.consistency) == (
        5, 0, 512, Consistency.EVENTUAL)
    assert reads.order is Order.ASCENDING


def test_tables_access_patterns_lists_each_consumers_patterns(capsys: pytest.CaptureFixture[str]) -> None:
    from scripts.cli import main

    assert main(["access", "--stack", "dev", "--patterns"]) == 0
    out = capsys.readouterr().out
    assert "\n".join([
        "shop-import-jobs: 4 patterns",
        "  GetItem Shops-dev                            Shop lookups by domain, from the import jobs (10/s at peak)",
        "  Query Jobs-dev index status-createdAt-index  Jobs by status (5/s at peak)",
        "  UpdateItem Jobs-dev                          Track import/export jobs: status and progress (8/s at peak)",
        "  PutItem ImportHistory-dev                    Historical record of imports (2/s at peak)\n"]) in out
    # The dev stack grants the family-wide read-write; where a consumer's patterns only read, that is advice.
    assert ("  creator-api may write dev-AnalyticsSummariesTable, but its patterns there only read: grant read\n"
            in out)
    assert main(["access", "--stack", "dev", "--patterns", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["consumers"]["analytics-aggregator"] == [
        {"pattern": "Store aggregated daily analytics metrics", "call": "PutItem dev-AnalyticsSummariesTable",
         "family": "creator-platform", "perSecond": 5, "writes": True}]


def test_a_policy_that_leaves_out_an_index_a_pattern_queries_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from components.model import access, pattern_access

    def tables_only(consumer: access.ConsumerPlan, partition: str, region: str, account: str) -> dict[str, object]:
        document = access.policy_document(consumer, partition, region, account)
        for statement in document["Statement"]:
            statement["Resource"] = [r for r in statement["Resource"] if "/index/" not in r]
        return document

    monkeypatch.setattr(pattern_access, "policy_document", tables_only)
    with pytest.raises(ModelError) as raised:
        stack_from_config(dev_config(), "dev")
    assert str(raised.value) == (
        "stack 'dev', family 'construction-expenses', table 'companies', access pattern 'by-email: find a company by "
        "its owner's email at sign-in and sign-up': the policy of consumer 'construction-expenses-api' does not allow "
        "dynamodb:Query on index by-email of construction-expenses-dev-companies")


def test_the_hot_key_policy_warns_on_the_status_index_at_2000_writes_and_not_at_10(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from policies.dynamodb.hot_keys import dynamodb_table_gsi_partition_key_not_hot as policy
    from tests.test_policies import violations

    jobs = {"name": "Jobs-dev", "hashKey": "jobId", "tags": {"family": "shop-import", "environment": "dev"},
            "globalSecondaryIndexes": [
                {"name": "shopDomain-createdAt-index", "projectionType": "ALL",
                 "keySchemas": [{"attributeName": "shopDomain", "keyType": "HASH"}]},
                {"name": "status-createdAt-index", "projectionType": "ALL",
                 "keySchemas": [{"attributeName": "status", "keyType": "HASH"}]}]}
    shop = FAMILIES["shop-import"]
    monkeypatch.setitem(FAMILIES, "shop-import", dataclasses.replace(shop, patterns=tuple(with_job_writes(2000))))
    assert violations(policy, jobs) == [hot_keys(jobs_table, with_job_writes(2000))[0].text() + "."]
    assert violations(policy, jobs)[0].startswith("hot key: jobs index status-createdAt-index: partition key "
                                                  "'status' has 4 distinct values (declared)")
    monkeypatch.setitem(FAMILIES, "shop-import", dataclasses.replace(shop, patterns=tuple(with_job_writes(10))))
    assert violations(policy, jobs) == []


def test_docs_draw_each_family_consumers_to_tables_to_indexes_with_pattern_labels() -> None:
    from tests.project import PROJECT

    text = PROJECT.docs_file.read_text()
    assert text.count("```mermaid\nflowchart LR\n") == 4  # the four families with access patterns
    assert "\n".join([
        '  c_shop_import_jobs -->|"Shop lookups by domain, from the import jobs"| t_shops',
        '  c_shop_import_jobs -->|"Jobs by status<br/>Track import/export jobs: status and progress"| t_jobs',
        '  c_shop_import_jobs -->|"Historical record of imports"| t_import_history',
        '  t_jobs -->|"Jobs by shop domain (shop-based job lists) (shop-import-app)"| '
        'i_jobs_shopDomain_createdAt_index',
        '  t_jobs -->|"Jobs by status (shop-import-jobs)"| i_jobs_status_createdAt_index',
        "```"]) in text
