"""The conditional writes the backfill engine sends: their premise is the contract with DynamoDB."""

from __future__ import annotations

import pytest

from scripts.migrate.writes import ItemWriter, StatementWriter, Target, Update, Write, writer_for

TARGET = Target("dev-products", key=("id",), guarded=("creatorId", "featured", "status", "updatedAt"))
# A product as the scan projected it: no creatorId, featured or status yet.
READ = {"id": "product-1", "updatedAt": "2025-01-01T00:00:00Z"}
UPDATE = Update(set={"creatorId": "c-1", "featured": False, "status": "approved"}, remove=("legacyOwner",))


def test_a_statement_sets_removes_and_holds_only_while_every_attribute_read_is_unchanged() -> None:
    statement = StatementWriter(client=None).statement(TARGET, Write(READ, UPDATE))
    assert statement == {
        "Statement": 'UPDATE "dev-products" SET "creatorId"=? SET "featured"=? SET "status"=? REMOVE "legacyOwner" '
                     'WHERE "id"=? AND "creatorId" IS MISSING AND "featured" IS MISSING AND "status" IS MISSING '
                     'AND "updatedAt"=?',
        "Parameters": [{"S": "c-1"}, {"BOOL": False}, {"S": "approved"}, {"S": "product-1"},
                       {"S": "2025-01-01T00:00:00Z"}],
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_an_update_item_request_has_the_same_premise_and_requires_the_item_to_exist() -> None:
    request = ItemWriter(client=None).request(TARGET, Write(READ, UPDATE))
    assert request["UpdateExpression"] == "SET #a0 = :v0, #a1 = :v1, #a2 = :v2 REMOVE #a3"
    assert request["ConditionExpression"] == ("attribute_exists(#a4) AND attribute_not_exists(#a5) AND "
                                              "attribute_not_exists(#a6) AND attribute_not_exists(#a7) AND #a8 = :v3")
    assert request["ExpressionAttributeNames"] == {
        "#a0": "creatorId", "#a1": "featured", "#a2": "status", "#a3": "legacyOwner", "#a4": "id",
        "#a5": "creatorId", "#a6": "featured", "#a7": "status", "#a8": "updatedAt"}
    assert request["ExpressionAttributeValues"] == {
        ":v0": {"S": "c-1"}, ":v1": {"BOOL": False}, ":v2": {"S": "approved"}, ":v3": {"S": "2025-01-01T00:00:00Z"}}
    assert request["Key"] == {"id": {"S": "product-1"}}


def test_an_update_may_not_touch_the_key() -> None:
    with pytest.raises(ValueError, match=r"^an update may not change key attributes of dev-products: id$"):
        TARGET.check(Update(set={"id": "other"}))


def test_describe_names_what_an_update_changes() -> None:
    assert UPDATE.describe() == "SET creatorId='c-1', featured=False, status='approved'; REMOVE legacyOwner"


def test_an_unknown_write_api_is_refused() -> None:
    known = "batch-statement, update-item, transact"
    with pytest.raises(ValueError, match=rf"^unknown write API 'put-item'; known: {known}$"):
        writer_for("put-item", client=None)
