"""The 18 consumer policies (six consumers in dev, staging and prod), each compared with a document written
out here by hand, and each clean under parliament.

The action sets are aws-cdk's (`packages/aws-cdk-lib/aws-dynamodb/lib/perms.ts`): READ_DATA_ACTIONS
without the stream actions, plus DescribeTable; WRITE_DATA_ACTIONS plus DescribeTable; the stream
actions; and KEY_READ_ACTIONS / KEY_WRITE_ACTIONS for a customer-managed key. They are typed out below,
not imported from the code under test. Under the test mocks the account is 123456789012 and the region
us-east-1; resources are sorted, and a table's index pattern follows the table.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from parliament import analyze_policy_string

from scripts.mock_stack import run_program
from tests.project import PROJECT_DIR

READ = ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
        "dynamodb:Query", "dynamodb:Scan"]
WRITE = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:PutItem",
         "dynamodb:UpdateItem"]
STREAM = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
DECRYPT = ["kms:Decrypt", "kms:DescribeKey"]
ENCRYPT = ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
PROD_KEY = "arn:aws:kms:us-east-1:111122223333:key/0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"
SHOPS_KEY = "arn:aws:kms:us-east-1:111122223333:key/7c1e2f3a-0b4d-4e5f-8a9b-0c1d2e3f4a5b"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CONSUMER = "dynamodbTables:access:Consumer"


def arn(table: str) -> str:
    return f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"


def with_indexes(*tables: str) -> list[str]:
    return [resource for table in tables for resource in (arn(table), f"{arn(table)}/index/*")]


def statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


CONSTRUCTION = ["companies", "company-contractors", "company-expenses", "company-projects", "company-users",
                "company-works", "invitations", "paddle-customers", "paddle-payments", "paddle-subscriptions",
                "paddle-webhook-dlq", "paddle-webhooks", "pending-payments"]  # sorted as ARNs sort


def expected_documents(stack: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Consumer name -> (role, document), for stacks dev and staging (no customer-managed key there)."""
    creator = [f"{stack}-AnalyticsEventsTable", f"{stack}-AnalyticsSummariesTable", f"{stack}-CreatorsTable",
               f"{stack}-ProductsTable"]
    construction = [f"construction-expenses-{stack}-{name}" for name in CONSTRUCTION]
    shops, jobs, history = f"Shops-{stack}", f"Jobs-{stack}", f"ImportHistory-{stack}"
    return {
        "creator-api": (f"creator-api-lambda-{stack}", document(
            statement("ReadTables", READ, with_indexes(*creator)),
            statement("WriteTables", WRITE, [arn(t) for t in creator]))),
        "analytics-aggregator": (f"analytics-aggregator-lambda-{stack}", document(
            statement("ReadTables", READ, with_indexes(f"{stack}-AnalyticsSummariesTable")),
            statement("WriteTables", WRITE, [arn(f"{stack}-AnalyticsSummariesTable")]),
            statement("ReadStreams", STREAM, [f"{arn(f'{stack}-AnalyticsEventsTable')}/stream/*"]))),
        # ImportHistory (read) sorts before Jobs and Shops (read-write).
        "shop-import-app": (f"shop-import-apprunner-instance-{stack}", document(
            statement("ReadTables", READ, with_indexes(history, jobs, shops)),
            statement("WriteTables", WRITE, [arn(jobs), arn(shops)]))),
        "shop-import-jobs": (f"shop-import-job-lambda-{stack}", document(
            statement("ReadTables", READ, with_indexes(jobs, shops)),
            statement("WriteTables", WRITE, [arn(history), arn(jobs)]))),
        "items-service": (f"items-service-lambda-{stack}", document(
            statement("ReadTables", READ, with_indexes(f"items-{stack}")),
            statement("WriteTables", WRITE, [arn(f"items-{stack}")]))),
        "construction-expenses-api": (f"construction-expenses-lambda-{stack}", document(
            statement("ReadTables", READ, with_indexes(*construction)),
            statement("WriteTables", WRITE, [arn(t) for t in construction]))),
    }


def expected_prod_documents() -> dict[str, tuple[str, dict[str, Any]]]:
    """Prod: adopted names without an environment, and the tables' customer-managed keys."""
    creator = ["AnalyticsEventsTable", "AnalyticsSummariesTable", "CreatorsTable", "ProductsTable"]
    construction = [f"construction-expenses-{name}" for name in CONSTRUCTION]
    return {
        "creator-api": ("creator-api-lambda-prod", document(
            statement("ReadTables", READ, with_indexes(*creator)),
            statement("WriteTables", WRITE, [arn(t) for t in creator]),
            statement("DecryptWithTableKeys", DECRYPT, [PROD_KEY]),
            statement("EncryptWithTableKeys", ENCRYPT, [PROD_KEY]))),
        "analytics-aggregator": ("analytics-aggregator-lambda-prod", document(
            statement("ReadTables", READ, with_indexes("AnalyticsSummariesTable")),
            statement("WriteTables", WRITE, [arn("AnalyticsSummariesTable")]),
            statement("ReadStreams", STREAM, [f"{arn('AnalyticsEventsTable')}/stream/*"]),
            statement("DecryptWithTableKeys", DECRYPT, [PROD_KEY]),
            statement("EncryptWithTableKeys", ENCRYPT, [PROD_KEY]))),
        "shop-import-app": ("shop-import-apprunner-instance-prod", document(
            statement("ReadTables", READ, with_indexes("ImportHistory-prod", "Jobs-prod", "Shops-prod")),
            statement("WriteTables", WRITE, [arn("Jobs-prod"), arn("Shops-prod")]),
            statement("DecryptWithTableKeys", DECRYPT, [SHOPS_KEY]),
            statement("EncryptWithTableKeys", ENCRYPT, [SHOPS_KEY]))),
        "shop-import-jobs": ("shop-import-job-lambda-prod", document(
            statement("ReadTables", READ, with_indexes("Jobs-prod", "Shops-prod")),
            statement("WriteTables", WRITE, [arn("ImportHistory-prod"), arn("Jobs-prod")]),
            statement("DecryptWithTableKeys", DECRYPT, [SHOPS_KEY]),
            statement("EncryptWithTableKeys", ENCRYPT, [SHOPS_KEY]))),
        "items-service": ("items-service-lambda-prod", document(
            statement("ReadTables", READ, with_indexes("items-prod")),
            statement("WriteTables", WRITE, [arn("items-prod")]),
            statement("DecryptWithTableKeys", DECRYPT, [PROD_KEY]),
            statement("EncryptWithTableKeys", ENCRYPT, [PROD_KEY]))),
        "construction-expenses-api": ("construction-expenses-lambda-prod", document(
            statement("ReadTables", READ, with_indexes(*construction)),
            statement("WriteTables", WRITE, [arn(t) for t in construction]),
            statement("DecryptWithTableKeys", DECRYPT, [PROD_KEY]),
            statement("EncryptWithTableKeys", ENCRYPT, [PROD_KEY]))),
    }


EXPECTED = {"dev": expected_documents("dev"), "staging": expected_documents("staging"),
            "prod": expected_prod_documents()}
CASES = [(stack, consumer) for stack, documents in EXPECTED.items() for consumer in documents]


def generated(stack: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Consumer name -> (role, policy name, document) as the program declares them under mocks."""
    declared = run_program(PROJECT_DIR, stack)
    components = {r.urn: r.name for r in declared.resources if r.type == CONSUMER}
    return {components[p.parent]: (p.inputs["role"], p.inputs["name"], json.loads(p.inputs["policy"]))
            for p in declared.of_type(ROLE_POLICY) if p.parent in components}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, tuple[str, str, dict[str, Any]]]]:
    return {stack: generated(stack) for stack in EXPECTED}


def test_there_are_eighteen_documents_and_no_others(documents: dict[str, Any]) -> None:
    assert len(CASES) == 18
    assert {stack: set(found) for stack, found in documents.items()} == {
        stack: set(expected) for stack, expected in EXPECTED.items()}


@pytest.mark.parametrize(("stack", "consumer"), CASES, ids=[f"{s}-{c}" for s, c in CASES])
def test_each_generated_document_is_exactly_the_hand_written_one(documents: dict[str, Any], stack: str,
                                                                 consumer: str) -> None:
    role, policy_name, found = documents[stack][consumer]
    expected_role, expected = EXPECTED[stack][consumer]
    assert (role, policy_name) == (expected_role, f"dynamodb-tables-{consumer}")
    assert found == expected, f"{stack}/{consumer}"


@pytest.mark.parametrize(("stack", "consumer"), CASES, ids=[f"{s}-{c}" for s, c in CASES])
def test_each_generated_document_is_clean_under_parliament(documents: dict[str, Any], stack: str,
                                                           consumer: str) -> None:
    findings = analyze_policy_string(json.dumps(documents[stack][consumer][2])).findings
    assert [(f.issue, f.detail) for f in findings] == [], f"{stack}/{consumer}"
