"""Table validation: one known-good table, one mutation per test, the exact message for each."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.model.spec import (
    Capacity,
    GlobalIndex,
    Key,
    LocalIndex,
    ModelError,
    Projection,
    Stream,
    StreamViewType,
    TableSpec,
    attribute_definitions,
    validate_spec,
)

GOOD = TableSpec(
    key="orders",
    base_name="orders",
    env_var="ORDERS_TABLE_NAME",
    description="Orders per customer.",
    partition=Key("customerId"),
    sort=Key("orderId"),
    global_indexes=(GlobalIndex("status-index", partition=(Key("status"),), sort=(Key("placedAt", "N"),)),),
    local_indexes=(LocalIndex("by-total", sort=Key("total", "N")),),
    ttl_attribute="expiresAt",
)
PREFIX = "family 'shop', table 'orders', field "


def error_of(spec: TableSpec) -> str:
    with pytest.raises(ModelError) as caught:
        validate_spec("shop", spec)
    return str(caught.value)


def test_the_known_good_table_is_valid() -> None:
    validate_spec("shop", GOOD)


def test_attribute_definitions_are_derived_from_table_and_index_keys_once_each() -> None:
    spec = replace(GOOD, global_indexes=(
        *GOOD.global_indexes,
        GlobalIndex("by-customer", partition=(Key("customerId"),), sort=(Key("placedAt", "N"),)),
    ))
    assert attribute_definitions(spec) == [Key("customerId"), Key("orderId"), Key("status"),
                                           Key("placedAt", "N"), Key("total", "N")]


def test_multi_attribute_gsi_keys_are_accepted_up_to_four_per_role() -> None:
    multi = GlobalIndex("by-region-and-time", partition=tuple(Key(f"p{i}") for i in range(4)),
                        sort=tuple(Key(f"s{i}", "N") for i in range(4)))
    validate_spec("shop", replace(GOOD, global_indexes=(multi,)))


def test_more_than_four_partition_attributes_is_rejected() -> None:
    multi = GlobalIndex("by-region", partition=tuple(Key(f"p{i}") for i in range(5)))
    assert error_of(replace(GOOD, global_indexes=(multi,))) == (
        PREFIX + "'globalIndexes.by-region.partition': given '5 attributes'; allowed: 1 to 4 attributes")


def test_more_than_20_gsis_is_rejected() -> None:
    indexes = tuple(GlobalIndex(f"index-{i}", partition=(Key("status"),)) for i in range(21))
    assert error_of(replace(GOOD, global_indexes=indexes)) == (
        PREFIX + "'globalIndexes': given '21 indexes'; allowed: at most 20")


def test_more_than_5_lsis_is_rejected() -> None:
    indexes = tuple(LocalIndex(f"local-{i}", sort=Key("total", "N")) for i in range(6))
    assert error_of(replace(GOOD, local_indexes=indexes)) == (
        PREFIX + "'localIndexes': given '6 indexes'; allowed: at most 5")


def test_lsi_on_a_table_without_sort_key_is_rejected() -> None:
    assert error_of(replace(GOOD, sort=None)) == (
        PREFIX + "'localIndexes.by-total': given 'a local index on a table without a sort key'; "
        "allowed: local indexes only on tables that have a sort key")


def test_duplicate_index_names_are_rejected_across_gsis_and_lsis() -> None:
    clash = LocalIndex("status-index", sort=Key("total", "N"))
    assert error_of(replace(GOOD, local_indexes=(clash,))) == (
        PREFIX + "'localIndexes.name': given 'status-index'; allowed: index names unique within the table")


def test_index_name_outside_the_naming_rule_is_rejected() -> None:
    bad = GlobalIndex("ix", partition=(Key("status"),))
    assert error_of(replace(GOOD, global_indexes=(bad,))) == (
        PREFIX + "'globalIndexes.name': given 'ix'; allowed: 3 to 255 characters of [A-Za-z0-9_.-]")


def test_include_projection_without_non_key_attributes_is_rejected() -> None:
    bad = GlobalIndex("status-index", partition=(Key("status"),), projection=Projection.INCLUDE)
    assert error_of(replace(GOOD, global_indexes=(bad,))) == (
        PREFIX + "'globalIndexes.status-index.nonKeyAttributes': given []; "
        "allowed: at least one attribute with projection INCLUDE")


def test_non_key_attributes_without_include_projection_are_rejected() -> None:
    bad = LocalIndex("by-total", sort=Key("total", "N"), projection=Projection.KEYS_ONLY, non_key_attributes=("a",))
    assert error_of(replace(GOOD, local_indexes=(bad,))) == (
        PREFIX + "'localIndexes.by-total.nonKeyAttributes': given ['a']; "
        "allowed: none with projection KEYS_ONLY; use INCLUDE to project them")


def test_more_than_100_projected_non_key_attributes_across_indexes_is_rejected() -> None:
    gsi = GlobalIndex("status-index", partition=(Key("status"),), projection=Projection.INCLUDE,
                      non_key_attributes=tuple(f"a{i}" for i in range(60)))
    lsi = LocalIndex("by-total", sort=Key("total", "N"), projection=Projection.INCLUDE,
                     non_key_attributes=tuple(f"b{i}" for i in range(41)))
    assert error_of(replace(GOOD, global_indexes=(gsi,), local_indexes=(lsi,))) == (
        PREFIX + "'nonKeyAttributes': given '101 projected non-key attributes across all indexes'; "
        "allowed: at most 100")


def test_ttl_on_a_key_attribute_is_rejected() -> None:
    assert error_of(replace(GOOD, ttl_attribute="orderId")) == (
        PREFIX + "'ttlAttribute': given 'orderId'; allowed: an attribute that is not part of the primary key")


def test_ttl_on_a_string_index_key_is_rejected_because_it_would_never_expire() -> None:
    assert error_of(replace(GOOD, ttl_attribute="status")) == (
        PREFIX + "'ttlAttribute': given 'status:S'; allowed: a Number attribute (epoch seconds)")


def test_conflicting_key_types_are_rejected_naming_both_places() -> None:
    bad = GlobalIndex("by-order", partition=(Key("orderId", "N"),))
    assert error_of(replace(GOOD, global_indexes=(bad,))) == (
        PREFIX + "'globalIndexes.by-order.partition': given 'orderId:N'; "
        "allowed: the type S already declared for 'orderId' at sort")


def test_unknown_key_type_is_rejected() -> None:
    assert error_of(replace(GOOD, partition=Key("customerId", "X"))) == (  # type: ignore[arg-type]
        PREFIX + "'partition.type': given 'X'; allowed: S, N or B")


def test_capacity_with_on_demand_billing_is_rejected() -> None:
    assert error_of(replace(GOOD, capacity=Capacity(5, 5))) == (
        PREFIX + "'capacity': given '5 RCU / 5 WCU'; allowed: no capacity settings with PAY_PER_REQUEST billing")


def test_gsi_capacity_with_on_demand_billing_is_rejected() -> None:
    bad = GlobalIndex("status-index", partition=(Key("status"),), capacity=Capacity(1, 1))
    assert error_of(replace(GOOD, global_indexes=(bad,))) == (
        PREFIX + "'globalIndexes.status-index.capacity': given '1 RCU / 1 WCU'; "
        "allowed: no capacity settings with PAY_PER_REQUEST billing")


def test_provisioned_billing_without_capacity_is_rejected() -> None:
    assert error_of(replace(GOOD, billing_mode="PROVISIONED")) == (
        PREFIX + "'capacity': given None; allowed: read and write capacity with PROVISIONED billing")


def test_stream_without_consumers_is_rejected() -> None:
    assert error_of(replace(GOOD, stream=Stream(StreamViewType.NEW_IMAGE, ()))) == (
        PREFIX + "'stream.consumers': given []; allowed: at least one consumer; a stream nobody reads is a cost")


# --- what DynamoDB itself rejects (checked against DynamoDB Local) --------------------------------

def test_a_sort_key_equal_to_the_partition_key_is_rejected() -> None:
    assert error_of(replace(GOOD, sort=Key("customerId"), local_indexes=())) == (
        PREFIX + "'sort': given 'customerId'; allowed: a sort key other than the partition key")


def test_a_gsi_naming_the_same_attribute_twice_is_rejected() -> None:
    twice = GlobalIndex("by-status", partition=(Key("status"),), sort=(Key("status"),))
    assert error_of(replace(GOOD, global_indexes=(twice,))) == (
        PREFIX + "'globalIndexes.by-status': given 'status used twice in the index key'; "
        "allowed: each attribute once in an index's partition and sort keys")


def test_a_key_attribute_name_over_255_bytes_is_rejected() -> None:
    long_name = "a" * 256
    assert error_of(replace(GOOD, partition=Key(long_name))) == (
        PREFIX + f"'partition.name': given '{'a' * 20}... (256 bytes)'; "
        "allowed: a key attribute name of 1 to 255 bytes")


@pytest.mark.parametrize(("capacity", "where"), [
    (Capacity(0, 5), "'capacity': given '0 RCU / 5 WCU'"),
    (Capacity(5, -1), "'capacity': given '5 RCU / -1 WCU'"),
])
def test_zero_or_negative_capacity_is_rejected(capacity: Capacity, where: str) -> None:
    provisioned = replace(GOOD, billing_mode="PROVISIONED", capacity=capacity)
    assert error_of(provisioned) == PREFIX + where + "; allowed: at least 1 read and 1 write capacity unit"


def test_a_gsi_without_capacity_on_a_provisioned_table_inherits_the_tables() -> None:
    from components.model.spec import index_capacity

    provisioned = replace(GOOD, billing_mode="PROVISIONED", capacity=Capacity(7, 3))
    validate_spec("shop", provisioned)
    assert index_capacity(provisioned, provisioned.global_indexes[0]) == Capacity(7, 3)
    own = replace(provisioned.global_indexes[0], capacity=Capacity(2, 1))
    assert index_capacity(provisioned, own) == Capacity(2, 1)
    assert index_capacity(GOOD, GOOD.global_indexes[0]) is None  # on demand: no capacity at all
