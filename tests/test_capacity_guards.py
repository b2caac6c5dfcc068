"""Capacity guards in the model and the program: on-demand maximums (OnDemandThroughput) per table and
GSI, the stack's onDemandMaximum (and its `required`), and warm throughput, through the real program
under mocks. URNs do not change: the guards are inputs of the same resources."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components import families
from components.model.spec import (
    Capacity,
    ModelError,
    OnDemandLimits,
    WarmThroughput,
    validate_spec,
)
from components.model.stack_file import engine_encoding, load_stack_file
from scripts.mock_stack import TABLE_TYPE, run_program
from tests.project import PROJECT_DIR

FAMILY_KEYS = list(families.FAMILIES)


def dev_config(**extra: Any) -> dict[str, str]:
    config = load_stack_file(PROJECT_DIR, "dev")
    config.update(engine_encoding({f"dynamodb-tables:{key}": value for key, value in extra.items()}))
    return config


def test_the_stack_maximum_reaches_every_table_and_index_and_urns_stay() -> None:
    plain = run_program(PROJECT_DIR, "dev")
    bounded = run_program(PROJECT_DIR, "dev", dev_config(
        onDemandMaximum={"maxReadRequestUnits": 200, "maxWriteRequestUnits": 50}))
    assert sorted(r.urn for r in bounded.resources) == sorted(r.urn for r in plain.resources)
    tables = bounded.of_type(TABLE_TYPE)
    assert len(tables) == 22
    for table in tables:
        assert table.inputs["onDemandThroughput"] == {"maxReadRequestUnits": 200, "maxWriteRequestUnits": 50}, table.urn
        for index in table.inputs.get("globalSecondaryIndexes", []):
            assert index["onDemandThroughput"] == {"maxReadRequestUnits": 200, "maxWriteRequestUnits": 50}, table.urn
    assert all("onDemandThroughput" not in table.inputs for table in plain.of_type(TABLE_TYPE))


@pytest.fixture
def guarded_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """The items table with its own maximum and a warm-throughput floor for a backfill, and its
    status-index with its own."""
    family = families.FAMILIES["items-service"]
    [items] = family.tables
    status = replace(items.global_indexes[0], on_demand_limits=OnDemandLimits(2000, 400),
                     warm_throughput=WarmThroughput(read_units_per_second=12_000, write_units_per_second=8_000))
    items = replace(items, global_indexes=(status,), on_demand_limits=OnDemandLimits(1000, 500),
                    warm_throughput=WarmThroughput(write_units_per_second=10_000))
    monkeypatch.setitem(families.FAMILIES, "items-service", replace(family, tables=(items,)))


def test_a_tables_own_maximum_and_warm_throughput_through_the_program(guarded_items: None) -> None:
    declared = run_program(PROJECT_DIR, "dev", dev_config(
        onDemandMaximum={"maxReadRequestUnits": 200, "maxWriteRequestUnits": 50}))
    items = declared.tables["items-dev"]
    # its own maximum wins over the stack's
    assert items.inputs["onDemandThroughput"] == {"maxReadRequestUnits": 1000, "maxWriteRequestUnits": 500}
    assert items.inputs["warmThroughput"] == {"writeUnitsPerSecond": 10_000}
    [status] = items.inputs["globalSecondaryIndexes"]
    assert status["onDemandThroughput"] == {"maxReadRequestUnits": 2000, "maxWriteRequestUnits": 400}
    assert status["warmThroughput"] == {"readUnitsPerSecond": 12_000, "writeUnitsPerSecond": 8_000}
    # other tables keep the stack's
    assert declared.tables["Shops-dev"].inputs["onDemandThroughput"] == {"maxReadRequestUnits": 200,
                                                                          "maxWriteRequestUnits": 50}
    assert "warmThroughput" not in declared.tables["Shops-dev"].inputs


def test_required_maximum_refuses_a_table_without_one() -> None:
    with pytest.raises(Exception) as error:
        run_program(PROJECT_DIR, "dev", dev_config(onDemandMaximum={"required": True}))
    from components.families import plan_from_stack_file

    first = plan_from_stack_file(PROJECT_DIR, "dev")[0]  # the first table the stack plans is the first refused
    assert (f"family '{first.family}', table '{first.spec.key}', field 'onDemandLimits': given None; allowed: an "
            "on-demand maximum: the stack's onDemandMaximum.required asks every on-demand table and index for one "
            "(declare it on the spec, or set onDemandMaximum.maxReadRequestUnits/maxWriteRequestUnits)"
            ) in str(error.value)
    # with the stack's own maximum, the requirement is met
    run_program(PROJECT_DIR, "dev", dev_config(onDemandMaximum={"required": True, "maxWriteRequestUnits": 100}))


def test_on_demand_config_errors_are_one_line() -> None:
    with pytest.raises(Exception) as error:
        run_program(PROJECT_DIR, "dev", dev_config(onDemandMaximum={"maxWriteRequestUnits": 0}))
    assert ("stack 'dev', config key 'dynamodb-tables:onDemandMaximum.maxWriteRequestUnits': given 0; allowed: a "
            "whole number of request units a second of at least 1") in str(error.value)


ITEMS = families.FAMILIES["items-service"].tables[0]


@pytest.mark.parametrize(("spec", "message"), [
    (replace(ITEMS, billing_mode="PROVISIONED", capacity=Capacity(5, 5), on_demand_limits=OnDemandLimits(10, 10)),
     "family 'items-service', table 'items', field 'onDemandLimits': given '10 read / 10 write request units'; "
     "allowed: no on-demand maximum with PROVISIONED billing (capacity bounds it)"),
    (replace(ITEMS, on_demand_limits=OnDemandLimits()),
     "family 'items-service', table 'items', field 'onDemandLimits': given 'None read / None write request units'; "
     "allowed: a maximum of at least 1 read or write request unit a second (None: no maximum)"),
    (replace(ITEMS, warm_throughput=WarmThroughput(write_units_per_second=1000)),
     "family 'items-service', table 'items', field 'warmThroughput.writeUnitsPerSecond': given 1000; allowed: at "
     "least 4,000 (what every new table starts with; None: the default)"),
    (replace(ITEMS, global_indexes=(replace(ITEMS.global_indexes[0],
                                            warm_throughput=WarmThroughput(read_units_per_second=100)),)),
     "family 'items-service', table 'items', field 'globalIndexes.status-index.warmThroughput.readUnitsPerSecond': "
     "given 100; allowed: at least 12,000 (what every new table starts with; None: the default)"),
])
def test_guard_validation(spec: Any, message: str) -> None:
    with pytest.raises(ModelError) as error:
        validate_spec("items-service", spec)
    assert str(error.value) == message


# --- drift and plan: warm throughput is a floor ------------------------------------------------------------
# What each local endpoint does with the two settings (probed with CreateTable, DescribeTable, UpdateTable):
# moto stores and reports WarmThroughput (table and GSIs) and accepts OnDemandThroughput without reporting
# it; DynamoDB Local stores and reports OnDemandThroughput and accepts WarmThroughput on CreateTable without
# reporting it (an UpdateTable with only WarmThroughput is "Nothing to update"). So the floor rule runs on
# moto and the on-demand maximum on DynamoDB Local.


@pytest.mark.parametrize(("field", "declared", "live", "expected"), [
    ("warmThroughput", (None, 10000), (None, 10000), True),
    ("warmThroughput", (None, 10000), (20000, 12000), True),    # AWS raised it: in sync
    ("warmThroughput", (None, 10000), (None, 8000), False),     # below the floor
    ("warmThroughput", None, (20000, 12000), True),             # nothing declared: no drift
    ("warmThroughput", (13000, None), None, False),             # live at the 12,000 start (not reported): below
    ("warmThroughput", (12000, 4000), None, True),
    ("globalIndexes.status-index.warmThroughput", (12000, None), (14000, 5000), True),
    ("onDemandMaximum", (None, 500), (None, 600), False),       # a maximum is compared exactly
])
def test_the_floor_rule(field: str, declared: Any, live: Any, expected: bool) -> None:
    from scripts.drift import in_sync

    assert in_sync(field, declared, live) is expected


def drift_of(capsys: pytest.CaptureFixture[str], url: str) -> dict[str, Any]:
    import json

    from scripts.cli import main

    capsys.readouterr()
    code = main(["drift", "--stack", "dev", "--endpoint-url", url, "--json"])
    result = json.loads(capsys.readouterr().out)
    rows = result if isinstance(result, list) else result.get("tables", result)
    return {"code": code, "items": next(r for r in rows if r["table"] == "items-dev")}


def test_warm_throughput_on_moto_live_at_or_above_the_floor_is_in_sync(
        guarded_items: None, moto: Any, moto_client: Any, aws_env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    from scripts.cli import main
    from tests.conftest import delete_all_tables

    try:
        assert main(["create", "--stack", "dev", "--endpoint-url", moto.url]) == 0
        live = moto_client.describe_table(TableName="items-dev")["Table"]
        assert live["WarmThroughput"]["WriteUnitsPerSecond"] == 10_000
        assert drift_of(capsys, moto.url)["items"]["state"] == "in-sync"
        # AWS raised the table's warm throughput with traffic: still in sync, and plan has nothing to do
        moto_client.update_table(TableName="items-dev", WarmThroughput={"ReadUnitsPerSecond": 20_000,
                                                                         "WriteUnitsPerSecond": 15_000})
        assert drift_of(capsys, moto.url)["items"]["state"] == "in-sync"
        capsys.readouterr()
        assert main(["plan", "--stack", "dev", "--endpoint-url", moto.url]) == 0
        # below the declared floor: drift
        moto_client.update_table(TableName="items-dev", WarmThroughput={"ReadUnitsPerSecond": 20_000,
                                                                         "WriteUnitsPerSecond": 6_000})
        items = drift_of(capsys, moto.url)["items"]
        assert items["differences"] == [{"field": "warmThroughput", "declared": "10000 write",
                                         "live": "20000 read, 6000 write"}]
    finally:
        delete_all_tables(moto_client)


@pytest.mark.dynamodb_local
def test_the_on_demand_maximum_on_dynamodb_local(guarded_items: None, dynamodb_local: Any, aws_env: dict[str, str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from scripts.cli import main
    from tests.conftest import client_for, delete_all_tables

    client = client_for(dynamodb_local)
    delete_all_tables(client)
    try:
        assert main(["create", "--stack", "dev", "--endpoint-url", dynamodb_local.url]) == 0
        assert client.describe_table(TableName="items-dev")["Table"]["OnDemandThroughput"] == {
            "MaxReadRequestUnits": 1000, "MaxWriteRequestUnits": 500}
        assert drift_of(capsys, dynamodb_local.url)["items"]["state"] == "in-sync"
        client.update_table(TableName="items-dev", OnDemandThroughput={"MaxReadRequestUnits": 1000,
                                                                       "MaxWriteRequestUnits": 800})
        items = drift_of(capsys, dynamodb_local.url)["items"]
        assert items["differences"] == [{"field": "onDemandMaximum", "declared": "1000 read, 500 write",
                                         "live": "1000 read, 800 write"}]
    finally:
        delete_all_tables(client)


def test_prewarm_raises_warm_throughput_once_on_moto(moto: Any, moto_client: Any, aws_env: dict[str, str],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from scripts.cli import main
    from tests.conftest import delete_all_tables

    try:
        assert main(["create", "--stack", "dev", "--endpoint-url", moto.url]) == 0
        capsys.readouterr()
        args = ["prewarm", "--stack", "dev", "--table", "products", "--writes-per-second", "10000",
                "--endpoint-url", moto.url]
        assert main(args) == 0
        assert capsys.readouterr().out == ("dev-ProductsTable: warm throughput raised from 4,000 to 10,000 writes "
                                           "a second, ACTIVE\n")
        warm = moto_client.describe_table(TableName="dev-ProductsTable")["Table"]["WarmThroughput"]
        assert (warm["ReadUnitsPerSecond"], warm["WriteUnitsPerSecond"]) == (12_000, 10_000)
        # never lowered, and nothing to do a second time
        assert main([*args[:-3], "5000", "--endpoint-url", moto.url]) == 0
        assert capsys.readouterr().out == ("dev-ProductsTable: already warm for 10,000 writes and 12,000 reads a "
                                           "second; nothing changed\n")
        assert main(["prewarm", "--stack", "dev", "--table", "orders", "--writes-per-second", "10",
                     "--endpoint-url", moto.url]) == 2
        assert capsys.readouterr().err.startswith("ERROR [UnknownTable]: stack 'dev' declares no table 'orders'; "
                                                  "table keys: ")
    finally:
        delete_all_tables(moto_client)


# --- migrate up: the planned write rate beside the table's warm throughput ---------------------------------
# moto reports WarmThroughput, and a table created without one at AWS's start for on-demand tables: 12,000
# reads and 4,000 writes a second (the AWS Developer Guide, "Understanding DynamoDB warm throughput").


def test_migrate_up_says_when_the_write_cap_is_above_the_warm_throughput_on_moto(
        moto: Any, moto_client: Any) -> None:
    from tests.test_migrations import PRODUCTS, cli, fresh_dev_tables, load_products

    warning = ("dev-ProductsTable: the planned {rate} writes a second ({basis}) are above its live warm "
               "throughput of {warm}, so the first minutes may throttle; warm it first: tables prewarm --stack dev "
               "--table products --writes-per-second {plain}\n")
    try:
        fresh_dev_tables(moto_client)
        load_products(moto, 20)
        assert moto_client.describe_table(TableName=PRODUCTS)["Table"]["WarmThroughput"]["WriteUnitsPerSecond"] == 4000
        # two fan-out workers of 2,000 each: 4,000 a second, at the warm throughput: nothing said
        code, out, err = cli(moto, "migrate", "up", "--worker", "0/2", "--max-writes-per-second", "2000",
                             "--write-api", "update-item")
        assert code == 0 and "warm throughput" not in out, (out, err)
        # the other worker, at 2,500: 5,000 a second against 4,000
        code, out, err = cli(moto, "migrate", "up", "--worker", "1/2", "--max-writes-per-second", "2500",
                             "--write-api", "update-item")
        assert code == 0, (out, err)
        assert warning.format(rate="5,000", basis="2 fan-out workers at the cap of 2,500 each", warm="4,000",
                              plain="5000") in out, (out, err)
        assert out.count("warm throughput") == 1
        # one process, the cap alone (its ramped workers share it), after the prewarm the line suggests
        fresh_dev_tables(moto_client)
        load_products(moto, 20)
        assert cli(moto, "migrate", "up", "--max-writes-per-second", "6000", "--write-api", "update-item",
                   "--dry-run")[1].count("warm throughput") == 0  # a dry run writes nothing
        code, out, err = cli(moto, "migrate", "up", "--max-writes-per-second", "6000", "--write-api", "update-item")
        assert warning.format(rate="6,000", basis="the write cap", warm="4,000", plain="6000") in out, (out, err)
        fresh_dev_tables(moto_client)
        load_products(moto, 20)
        assert cli(moto, "prewarm", "--table", "products", "--writes-per-second", "6000")[0] == 0
        code, out, err = cli(moto, "migrate", "up", "--max-writes-per-second", "6000", "--write-api", "update-item")
        assert code == 0, (out, err)
        assert "warm throughput" not in out
    finally:
        from tests.conftest import delete_all_tables
        delete_all_tables(moto_client)
