"""`tables cost`: each seed table priced against figures worked out by hand, the deltas a change makes,
the price files' validation, the table-class advice and the budget gate.

Every expected value is computed in the test from the price file's figures (prices/us-east-1.yaml) and
AWS's published rules (1 KB per write unit, 4 KB per read unit, eventual reads half, 100 bytes of
index overhead a item, 730 hours a month); the arithmetic is written beside it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from components.families import creator_platform, stack_from_config
from components.model.backup_settings import BackupCopy, BackupSettings
from components.model.cost import (
    Requests,
    StackCost,
    StoredData,
    class_advice,
    compare,
    declared_storage,
    estimate_table,
)
from components.model.plan import TablePlan
from components.model.prices import PRICE_KEYS, PriceError, PriceSheet, load_prices
from components.model.spec import Capacity, Sizing, TableClass
from components.model.stack_file import engine_encoding, load_stack_file
from components.model.stack_settings import parse_stack_config
from scripts.cli import main
from scripts.cost import CostReport
from tests.conftest import delete_all_tables
from tests.project import PROJECT_DIR

PRICES_DIR = PROJECT_DIR / "prices"
SECONDS = 2_628_000  # 730 hours x 3600 s
GB = 1024 ** 3

# The us-east-1 figures the hand arithmetic below uses (prices/us-east-1.yaml).
WRU, RRU = 0.625, 0.125                      # USD per million, Standard
WRU_IA, RRU_IA = 0.78, 0.155                 # Standard-IA
WCU_HOUR, RCU_HOUR = 0.00065, 0.00013        # provisioned, Standard
WCU_HOUR_IA, RCU_HOUR_IA = 0.00081, 0.00016  # provisioned, Standard-IA
STORAGE, STORAGE_IA = 0.25, 0.10             # per GB-month
PITR, BACKUP, TRANSFER = 0.20, 0.10, 0.02


@pytest.fixture(scope="module")
def prices() -> PriceSheet:
    return load_prices(PRICES_DIR, "us-east-1")


@pytest.fixture(scope="module")
def prod_tables() -> dict[str, TablePlan]:
    stack = stack_from_config(load_stack_file(PROJECT_DIR, "prod"), "prod")
    return {f"{plan.family}.{plan.spec.key}": plan for plan in stack.tables}


@pytest.fixture(scope="module")
def prod_backup() -> BackupSettings:
    stack = stack_from_config(load_stack_file(PROJECT_DIR, "prod"), "prod")
    assert stack.settings.backup is not None
    return stack.settings.backup


def sized(plan: TablePlan, items: int, item_bytes: int, **spec_changes: object) -> TablePlan:
    return replace(plan, spec=replace(plan.spec, sizing=Sizing(items, item_bytes), **spec_changes))


# The creator platform's product traffic: 10 writes/s of 1.5 KB products (2 write units each), 50
# eventually consistent reads/s (1.5 KB rounds to one 4 KB read unit, halved).
PRODUCT_TRAFFIC = (Requests("save a product", "write", 10, 1500),
                   Requests("product page", "read", 50, 1500))


def test_products_on_demand_standard_with_two_indexes_pitr_and_backups(prod_tables, prod_backup, prices) -> None:
    plan = sized(prod_tables["creator-platform.products"], 1_000_000, 1500)
    cost = estimate_table(plan, PRODUCT_TRAFFIC, declared_storage(plan), prod_backup, prices)
    # writes: 10/s x 2,628,000 s x 2 WRU x 3 (table + creatorId-index + status-index) = 157,680,000 WRU
    #         157.68 million x $0.625 = $98.55
    assert cost.line("write request units") == pytest.approx(157.68 * WRU) == pytest.approx(98.55)
    # reads: 50/s x 2,628,000 s x 0.5 RRU = 65,700,000 RRU; 65.7 x $0.125 = $8.2125
    assert cost.line("read request units") == pytest.approx(8.2125)
    # storage: 1,000,000 items x (1,500 + 100) B = 1.6e9 B in the table and in each of 2 indexes = 4.8e9 B
    #          4.8e9 / 2^30 = 4.4703 GB x $0.25 = $1.1176
    assert cost.line("storage") == pytest.approx(4.8e9 / GB * STORAGE) == pytest.approx(1.11759, abs=1e-5)
    # PITR: table only (no local indexes): 1.6e9 / 2^30 = 1.4901 GB x $0.20 = $0.2980
    assert cost.line("point-in-time recovery") == pytest.approx(0.29802, abs=1e-5)
    # prod's AWS Backup plan: daily (cron(0 5 ? * * *)), kept 35 days: 35 full copies x 1.4901 GB x $0.10 = $5.2154
    assert cost.line("AWS Backup storage") == pytest.approx(35 * 1.6e9 / GB * BACKUP)
    assert cost.line("AWS Backup storage") == pytest.approx(5.21541, abs=1e-5)
    assert cost.total == pytest.approx(98.55 + 8.2125 + 1.11759 + 0.29802 + 5.21541, abs=1e-4)


def test_products_in_standard_ia_pays_ia_request_and_storage_prices(prod_tables, prod_backup, prices) -> None:
    plan = sized(prod_tables["creator-platform.products"], 1_000_000, 1500,
                 table_class=TableClass.STANDARD_INFREQUENT_ACCESS)
    cost = estimate_table(plan, PRODUCT_TRAFFIC, declared_storage(plan), prod_backup, prices)
    # 157.68 million WRU x $0.78 = $122.9904; 65.7 million RRU x $0.155 = $10.1835
    assert cost.line("write request units") == pytest.approx(122.9904)
    assert cost.line("read request units") == pytest.approx(10.1835)
    # 4.4703 GB x $0.10 = $0.44703; PITR and backups do not depend on the class
    assert cost.line("storage") == pytest.approx(0.44703, abs=1e-5)
    assert cost.line("point-in-time recovery") == pytest.approx(0.29802, abs=1e-5)


def test_items_table_writes_that_land_in_no_index_are_written_once(prod_tables, prices) -> None:
    # The items team's status-index holds only items with a status; writes declared as not landing in it.
    plan = sized(prod_tables["items-service.items"], 200_000, 700)
    traffic = (Requests("update item fields", "write", 4, 700, indexes=()),
               Requests("get item", "read", 20, 700, strongly_consistent=True))
    cost = estimate_table(plan, traffic, declared_storage(plan), None, prices)
    # writes: 4/s x 2,628,000 s x 1 WRU (700 B rounds to 1 KB) x 1 = 10,512,000 WRU x $0.625/M = $6.57
    assert cost.line("write request units") == pytest.approx(6.57)
    # strongly consistent reads: 20/s x 2,628,000 s x 1 RRU = 52,560,000 RRU x $0.125/M = $6.57
    assert cost.line("read request units") == pytest.approx(6.57)
    # storage: 200,000 x 800 B = 1.6e8 B, table and status-index: 3.2e8 B / 2^30 x $0.25 = $0.074506
    assert cost.line("storage") == pytest.approx(0.0745058, abs=1e-6)
    # no backup plan given: no backup lines
    assert cost.line("AWS Backup storage") == 0 and "AWS Backup storage" not in [line.item for line in cost.lines]


def test_provisioned_table_pays_capacity_by_the_hour_with_its_index(prod_tables, prices) -> None:
    # A construction-expenses table moved to provisioned capacity: 10 read / 5 write units; its by-email
    # index has none of its own and inherits the table's (as aws-cdk does).
    base = prod_tables["construction-expenses.companies"]
    assert len(base.spec.global_indexes) == 1
    plan = replace(base, spec=replace(base.spec, billing_mode="PROVISIONED", capacity=Capacity(read=10, write=5)))
    cost = estimate_table(plan, PRODUCT_TRAFFIC, StoredData(source="none"), None, prices)
    # write: (5 + 5) units x 730 h x $0.00065 = $4.745; read: (10 + 10) x 730 x $0.00013 = $1.898
    assert cost.line("provisioned write capacity") == pytest.approx(4.745)
    assert cost.line("provisioned read capacity") == pytest.approx(1.898)
    # traffic does not change a provisioned bill: no request-unit lines
    assert cost.line("write request units") == 0
    ia = estimate_table(plan, (), StoredData(source="none"), None, prices, TableClass.STANDARD_INFREQUENT_ACCESS)
    # Standard-IA: 10 x 730 x $0.00081 = $5.913; 20 x 730 x $0.00016 = $2.336
    assert ia.line("provisioned write capacity") == pytest.approx(5.913)
    assert ia.line("provisioned read capacity") == pytest.approx(2.336)


def test_jobs_table_with_backup_copy_to_another_region(prod_tables, prices) -> None:
    # The shop-import jobs table (two indexes), backed up every 12 hours, kept 14 days, copied to
    # us-west-2 and kept there 7 days.
    plan = sized(prod_tables["shop-import.jobs"], 500_000, 2048 - 100)
    backup = BackupSettings(schedule="cron(0 0,12 ? * * *)", retention_days=14, copy_to=BackupCopy(
        vault_arn="arn:aws:backup:us-west-2:111122223333:backup-vault:dr", retention_days=7))
    cost = estimate_table(plan, (), declared_storage(plan), backup, prices)
    table_gb = 500_000 * 2048 / GB  # (1,948 + 100) B per item = 2 KiB: 0.95367 GB
    # 2 points/day x 14 days = 28 full copies x 0.95367 GB x $0.10 = $2.67029
    assert cost.line("AWS Backup storage") == pytest.approx(28 * table_gb * BACKUP) == pytest.approx(2.67029, abs=1e-5)
    # copies a month: 2/day x 30.4167 days (730 h / 24) = 60.833 x 0.95367 GB x $0.02/GB = $1.16030
    assert cost.line("backup copy transfer") == pytest.approx(2 * 730 / 24 * table_gb * TRANSFER)
    assert cost.line("backup copy transfer") == pytest.approx(1.16030, abs=1e-5)
    # in us-west-2: 2/day x 7 days = 14 copies x 0.95367 GB x $0.10 = $1.33514
    assert cost.line("backup copy storage") == pytest.approx(1.33514, abs=1e-5)
    # no traffic declared: requests are $0, said so in the basis
    assert cost.line("write request units") == 0
    assert "(no declared writes)" in next(line.basis for line in cost.lines if line.item == "write request units")


def test_table_without_declared_size_says_so(prod_tables, prices) -> None:
    plan = prod_tables["creator-platform.creators"]
    cost = estimate_table(plan, (), declared_storage(plan), None, prices)
    assert cost.storage == 0
    assert cost.notes == ("no declared size (TableSpec.sizing) and no live table measured: storage, PITR and "
                          "backups are $0 here; give --endpoint-url or declare a size",)


def test_streams_read_by_lambda_cost_nothing(prod_tables, prices) -> None:
    plan = prod_tables["creator-platform.analytics-events"]
    cost = estimate_table(plan, (), StoredData(source="none"), None, prices)
    stream = next(line for line in cost.lines if line.item == "streams")
    assert stream.usd == 0
    assert stream.basis == ("NEW_IMAGE stream read by analytics-aggregator: GetRecords calls by AWS Lambda "
                            "triggers are free")


# --- deltas ---------------------------------------------------------------------------------------------


def stack_of(*tables) -> StackCost:
    return StackCost(stack="prod", region="us-east-1", tables=tables)


def test_delta_of_a_new_gsi_on_products(prod_tables, prod_backup, prices) -> None:
    after = sized(prod_tables["creator-platform.products"], 1_000_000, 1500)
    before = replace(after, spec=replace(after.spec, global_indexes=after.spec.global_indexes[:1]))
    costs = [estimate_table(plan, PRODUCT_TRAFFIC, declared_storage(plan), prod_backup, prices)
             for plan in (before, after)]
    [delta] = compare(stack_of(costs[0]), stack_of(costs[1]))
    # every write is written once more: 10/s x 2,628,000 s x 2 WRU = 52.56 million WRU x $0.625 = $32.85
    # and the index stores every item again: 1.6e9 B / 2^30 x $0.25 = $0.372529
    assert delta.delta == pytest.approx(32.85 + 0.372529, abs=1e-5)
    assert [item for item, _, _ in delta.changed_lines()] == ["write request units", "storage"]


def test_delta_of_pitr_period_7_to_35_is_zero_and_of_pitr_on_is_its_price(prod_tables, prices) -> None:
    # AWS prices PITR on the size of the table and its local indexes; the period does not change it
    # (DynamoDB developer guide, Point-in-time-recovery, "Before you begin").
    thirty_five = sized(prod_tables["items-service.items"], 200_000, 700)
    seven = replace(thirty_five, settings=replace(thirty_five.settings, pitr_recovery_period_days=7))
    off = replace(thirty_five, settings=replace(thirty_five.settings, pitr_enabled=False))
    cost = {name: estimate_table(plan, (), declared_storage(plan), None, prices)
            for name, plan in (("7", seven), ("35", thirty_five), ("off", off))}
    assert compare(stack_of(cost["7"]), stack_of(cost["35"]))[0].delta == 0
    # turning it on: 200,000 x 800 B = 1.6e8 B / 2^30 x $0.20 = $0.0298023
    assert compare(stack_of(cost["off"]), stack_of(cost["35"]))[0].delta == pytest.approx(0.0298023, abs=1e-7)


def test_delta_of_a_backup_copy_added(prod_tables, prod_backup, prices) -> None:
    plan = sized(prod_tables["shop-import.shops"], 10_000, 924)
    with_copy = replace(prod_backup, copy_to=BackupCopy(
        vault_arn="arn:aws:backup:us-west-2:111122223333:backup-vault:dr", retention_days=35))
    before = estimate_table(plan, (), declared_storage(plan), prod_backup, prices)
    after = estimate_table(plan, (), declared_storage(plan), with_copy, prices)
    [delta] = compare(stack_of(before), stack_of(after))
    gb = 10_000 * 1024 / GB  # (924 + 100) B = 1 KiB per item
    # transfer: 1/day x 30.4167 days x 0.0095367 GB x $0.02 = $0.0058013; storage: 35 x 0.0095367 x $0.10 = $0.033379
    assert delta.delta == pytest.approx(730 / 24 * gb * TRANSFER + 35 * gb * BACKUP)
    assert delta.delta == pytest.approx(0.0058013 + 0.0333786, abs=1e-6)
    assert [item for item, _, _ in delta.changed_lines()] == ["backup copy transfer", "backup copy storage"]


def test_delta_of_a_table_class_switch(prod_tables, prices) -> None:
    standard = sized(prod_tables["creator-platform.analytics-events"], 50_000_000, 400)
    ia = replace(standard, spec=replace(standard.spec, table_class=TableClass.STANDARD_INFREQUENT_ACCESS))
    traffic = (Requests("page view", "write", 2, 400),)
    before = estimate_table(standard, traffic, declared_storage(standard), None, prices)
    after = estimate_table(ia, traffic, declared_storage(ia), None, prices)
    [delta] = compare(stack_of(before), stack_of(after))
    writes = 2 * SECONDS / 1e6  # 5.256 million WRU (400 B -> 1 WRU, no indexes)
    storage_gb = 50_000_000 * 500 / GB  # 23.283 GB
    # writes $3.285 -> $4.09968; storage $5.82077 -> $2.32831
    assert delta.delta == pytest.approx(writes * (WRU_IA - WRU) + storage_gb * (STORAGE_IA - STORAGE))
    assert delta.delta == pytest.approx(0.81468 - 3.49246, abs=1e-5)


# --- the table-class rule ----------------------------------------------------------------------------


def test_class_advice_follows_aws_rule(prod_tables, prices) -> None:
    # "When storage exceeds 50% of the throughput (reads and writes) cost of a table using the DynamoDB
    # Standard table class, the DynamoDB Standard-IA table class can help you reduce your total table cost."
    # (DynamoDB developer guide, WorkingWithTables.tableclasses)
    events = sized(prod_tables["creator-platform.analytics-events"], 50_000_000, 400)
    traffic = (Requests("page view", "write", 2, 400),)
    advice = class_advice(events, traffic, declared_storage(events), None, prices)
    # Standard: throughput $3.285, storage $5.82077: storage is 177% of throughput
    assert advice.storage_share == pytest.approx(5.82077 / 3.285, abs=1e-4)
    assert advice.costs_more and advice.cheaper is TableClass.STANDARD_INFREQUENT_ACCESS
    # Standard $9.10577 vs Standard-IA $4.09968 + $2.32831 = $6.42799: saves $2.67778
    assert advice.summary() == ("Standard-IA saves $2.68/month (storage is 177% of throughput at Standard prices; "
                                "AWS: Standard-IA pays off above 50%)")
    busy = class_advice(events, (Requests("page view", "write", 200, 400),), declared_storage(events), None, prices)
    assert not busy.costs_more
    assert busy.summary() == "keep Standard (storage is 2% of throughput at Standard prices)"


# --- price files ---------------------------------------------------------------------------------------


def write_prices(directory: Path, edit) -> Path:
    import yaml

    document = yaml.safe_load((PRICES_DIR / "us-east-1.yaml").read_text())
    edit(document)
    directory.mkdir(exist_ok=True)
    (directory / "us-east-1.yaml").write_text(yaml.safe_dump(document))
    return directory


def test_the_shipped_price_file_is_complete_dated_and_sourced(prices) -> None:
    assert prices.date == "2026-12-07" and prices.currency == "USD"
    assert set(prices.figures) == set(PRICE_KEYS)
    assert prices.figures["onDemand.standard.writeRequestUnitsPerMillion"] == WRU


def test_price_file_with_a_missing_field(tmp_path: Path) -> None:
    directory = write_prices(tmp_path / "p", lambda d: d["prices"]["storage"].pop("standardGbMonth"))
    with pytest.raises(PriceError) as error:
        load_prices(directory, "us-east-1")
    assert str(error.value) == (f"{directory}/us-east-1.yaml, key 'prices.storage.standardGbMonth': missing; allowed: "
                                "{usd: <number>, source: <text>} or {usd: null, missing: <why>}")


def test_price_file_with_a_negative_price(tmp_path: Path) -> None:
    directory = write_prices(tmp_path / "p", lambda d: d["prices"]["pointInTimeRecoveryGbMonth"].update(usd=-0.2))
    with pytest.raises(PriceError) as error:
        load_prices(directory, "us-east-1")
    assert str(error.value) == (f"{directory}/us-east-1.yaml, key 'prices.pointInTimeRecoveryGbMonth.usd': given -0.2; "
                                "allowed: a price of 0 or more")


def test_missing_region_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = write_prices(tmp_path / "p", lambda d: None)
    (directory / "us-east-1.yaml").rename(directory / "eu-west-1.yaml")
    assert main(["cost", "--stack", "prod", "--prices", str(directory), "--project-dir", str(PROJECT_DIR)]) == 2
    err = capsys.readouterr().err
    assert err == (f"ERROR [InvalidPrices]: {directory}/us-east-1.yaml: no price file for region 'us-east-1'; price "
                   "files here: eu-west-1 (copy one and change its figures)\n")


def test_negative_price_through_the_command_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = write_prices(tmp_path / "p",
                             lambda d: d["prices"]["onDemand"]["standard"]["readRequestUnitsPerMillion"].update(usd=-1))
    assert main(["cost", "--stack", "dev", "--prices", str(directory), "--project-dir", str(PROJECT_DIR)]) == 2
    assert capsys.readouterr().err == (
        f"ERROR [InvalidPrices]: {directory}/us-east-1.yaml, key 'prices.onDemand.standard.readRequestUnitsPerMillion"
        ".usd': given -1; allowed: a price of 0 or more\n")


def test_a_missing_price_an_estimate_needs_names_the_key(prod_tables, prod_backup, tmp_path: Path) -> None:
    directory = write_prices(tmp_path / "p", lambda d: d["prices"].update(
        crossRegionTransferGb={"usd": None, "missing": "negotiated, not yet known"}))
    sheet = load_prices(directory, "us-east-1")
    backup = replace(prod_backup, copy_to=BackupCopy("arn:aws:backup:us-west-2:111122223333:backup-vault:dr", 7))
    with pytest.raises(PriceError) as error:
        estimate_table(prod_tables["items-service.items"], (), StoredData(source="none"), backup, sheet)
    assert str(error.value) == (f"{directory}/us-east-1.yaml, key 'prices.crossRegionTransferGb': no price (the file "
                                "says it is missing); this estimate needs it: add it as {usd: <number>, source: "
                                "<where it is from>}")


# --- budget --------------------------------------------------------------------------------------------


def parse(**extra: object):
    config = load_stack_file(PROJECT_DIR, "dev")
    config.update(engine_encoding({f"dynamodb-tables:{key}": value for key, value in extra.items()}))
    return parse_stack_config(config, "dev", ["creator-platform", "shop-import", "items-service",
                                               "construction-expenses", "migration-history"])


def test_cost_budget_config() -> None:
    assert parse().cost_budget is None
    budget = parse(costBudget=250).cost_budget
    assert budget is not None and (budget.monthly_usd, budget.mandatory) == (250.0, False)
    budget = parse(costBudget={"monthlyUsd": 99.5, "enforcement": "mandatory"}).cost_budget
    assert budget is not None and (budget.monthly_usd, budget.mandatory) == (99.5, True)
    with pytest.raises(ValueError) as error:
        parse(costBudget={"monthlyUsd": 10, "enforcement": "strict"})
    assert str(error.value) == ("stack 'dev', config key 'dynamodb-tables:costBudget.enforcement': given \"strict\"; "
                                "allowed: advisory or mandatory")
    with pytest.raises(ValueError) as error:
        parse(costBudget=-5)
    assert str(error.value) == ("stack 'dev', config key 'dynamodb-tables:costBudget': given -5; allowed: a number of "
                                "US dollars a month above 0")


def test_over_budget_names_the_tables_and_mandatory_exits_3(prod_tables, prod_backup, prices) -> None:
    products = sized(prod_tables["creator-platform.products"], 1_000_000, 1500)
    items = prod_tables["items-service.items"]
    costs = stack_of(estimate_table(products, PRODUCT_TRAFFIC, declared_storage(products), prod_backup, prices),
                     estimate_table(items, (), StoredData(source="none"), None, prices))
    advisory = CostReport(after=costs, prices=prices, budget_usd=100.0)
    assert advisory.exit_code() == 0
    assert advisory.budget_line() == ("OVER BUDGET (advisory): $113.39 a month is above the stack's costBudget of "
                                      "$100.00; tables: ProductsTable $113.39")
    assert replace(advisory, budget_mandatory=True).exit_code() == 3
    assert replace(advisory, budget_usd=200.0).budget_line() == "budget: $113.39 of $200.00 a month"


# --- through the command ---------------------------------------------------------------------------------

PRODUCTS_SIZED = '''
import dataclasses as _dc
from components.model.spec import Sizing as _Sizing
products_table = _dc.replace(products_table, sizing=_Sizing(1_000_000, 1500))
FAMILY = _dc.replace(FAMILY, tables=(creators_table, products_table, analytics_events_table, analytics_summaries_table))
'''
FEATURED_INDEX = '''
products_table = _dc.replace(products_table, global_indexes=products_table.global_indexes + (
    GlobalIndex("featured-index", partition=(Key("featured"),), sort=(Key("createdAt"),)),))
FAMILY = _dc.replace(FAMILY, tables=(creators_table, products_table, analytics_events_table, analytics_summaries_table))
'''


def git(directory: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=directory, check=True,
                   capture_output=True)


def project_copy(tmp_path: Path) -> Path:
    """The repository's tracked files in a git repository of their own, products sized, committed."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_DIR, check=True, capture_output=True).stdout
    copy = tmp_path / "project"
    for name in filter(None, listed.decode().split("\0")):
        source = PROJECT_DIR / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    family = copy / "components" / "families" / "creator_platform.py"
    family.write_text(family.read_text() + PRODUCTS_SIZED)
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-qm", "before")
    return copy


def tables_in(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    return subprocess.run([sys.executable, "-m", "scripts.cli", *args], cwd=copy, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(copy)})


def test_base_ref_prices_a_new_gsi_on_products(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    family = copy / "components" / "families" / "creator_platform.py"
    family.write_text(family.read_text() + FEATURED_INDEX)
    git(copy, "commit", "-qam", "products: featured-index")
    done = tables_in(copy, "cost", "--stack", "prod", "--base-ref", "HEAD~1", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    changed = [d for d in report["deltas"] if d["deltaUsd"] != 0]
    assert [d["name"] for d in changed] == ["ProductsTable"]
    storage = next(line for line in changed[0]["changed"] if line["item"] == "storage")
    # a third index holding every product: 1,000,000 x (1,500 + 100) B = 1.6e9 B / 2^30 = 1.4901 GB x $0.25
    assert storage["afterUsd"] - storage["beforeUsd"] == pytest.approx(0.372529, abs=1e-4)
    # and every declared write on products is written once more: the creator platform's product writes
    # (rate x write units of their item size) x 2,628,000 s x $0.625 / million
    writes = sum(p.rate.per_second * -(-p.rate.item_bytes // 1024) for p in creator_platform.PATTERNS
                 if p.table.key == "products" and p.writes)
    assert writes > 0
    written = next(line for line in changed[0]["changed"] if line["item"] == "write request units")
    assert written["afterUsd"] - written["beforeUsd"] == pytest.approx(writes * SECONDS / 1e6 * WRU)
    markdown = tables_in(copy, "cost", "--stack", "prod", "--base-ref", "HEAD~1", "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "| `ProductsTable` |" in markdown.stdout
    assert "| 21 other tables | | | +$0.00 | unchanged |" in markdown.stdout


def test_base_ref_that_git_does_not_know_is_one_line(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    done = tables_in(copy, "cost", "--stack", "prod", "--base-ref", "no-such-branch")
    assert done.returncode == 2
    assert done.stderr == ("ERROR [BadRef]: --base-ref no-such-branch: git could not export it (fatal: not a valid "
                           "object name: no-such-branch); give a branch, tag or commit of this repository\n")


def test_against_live_prices_an_index_the_live_table_lacks(moto, moto_client, aws_env,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    try:
        against_live(moto, moto_client, capsys)
    finally:
        delete_all_tables(moto_client)  # the moto server is shared by the whole session


def against_live(moto, moto_client, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create", "--stack", "dev", "--endpoint-url", moto.url]) == 0
    # The live jobs table lost its status index (someone deleted it by hand); the model declares it.
    moto_client.update_table(TableName="Jobs-dev", GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "status-createdAt-index"}}])
    for number in range(20):
        moto_client.put_item(TableName="Jobs-dev", Item={
            "jobId": {"S": f"job-{number}"}, "shopDomain": {"S": "a.myshopify.com"},
            "status": {"S": "done"}, "createdAt": {"S": "2026-12-07"}, "payload": {"S": "x" * 900}})
    capsys.readouterr()
    assert main(["cost", "--stack", "dev", "--against", "live", "--endpoint-url", moto.url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    live = moto_client.describe_table(TableName="Jobs-dev")["Table"]
    jobs = next(d for d in report["deltas"] if d["name"] == "Jobs-dev")
    storage = next(line for line in jobs["changed"] if line["item"] == "storage")
    # the declared index is priced as holding every live item: (TableSizeBytes + 100 B x ItemCount) / 2^30 x $0.25
    expected = (live["TableSizeBytes"] + 100 * live["ItemCount"]) / GB * STORAGE
    assert live["ItemCount"] == 20
    assert storage["afterUsd"] - storage["beforeUsd"] == pytest.approx(expected, abs=1e-4)
    assert [d["name"] for d in report["deltas"] if d["deltaUsd"] != 0] == ["Jobs-dev"]


def test_the_preview_workflow_posts_the_cost_beside_the_plan() -> None:
    import yaml

    steps = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "pull-request.yml").read_text())[
        "jobs"]["preview"]["steps"]
    names = [step.get("name") or step.get("uses", "").split("@")[0] for step in steps]
    credentials = names.index("aws-actions/configure-aws-credentials")
    cost, comment = names.index("tables cost"), names.index("marocchino/sticky-pull-request-comment")
    assert credentials < cost < comment
    assert "--base-ref FETCH_HEAD" in steps[cost]["run"] and "--format markdown > cost.md" in steps[cost]["run"]
    assert "${{" not in steps[cost]["run"]  # inputs reach the script through env only
    assert steps[comment]["with"] == {"header": "cost-${{ matrix.stack }}", "path": "cost.md"}
    assert steps[names.index("cost budget")]["if"] == "steps.cost.outputs.status == '3'"


def test_the_readme_shows_what_tables_cost_prints_for_prod(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--stack", "prod", "--format", "markdown", "--project-dir", str(PROJECT_DIR)]) == 0
    printed = capsys.readouterr().out
    readme = (PROJECT_DIR / "README.md").read_text()
    marker = "<!-- tables cost --stack prod --format markdown -->\n```markdown\n"
    block = readme.split(marker, 1)[1].split("\n```", 1)[0]
    assert block + "\n" == printed


def test_the_creator_platforms_declared_patterns_price_the_creators_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--stack", "prod", "--json", "--project-dir", str(PROJECT_DIR)]) == 0
    report = json.loads(capsys.readouterr().out)
    creators = next(table for table in report["tables"] if table["name"] == "CreatorsTable")
    lines = {line["item"]: line["usd"] for line in creators["lines"]}
    # The creator platform's patterns on CreatorsTable (components/families/creator_platform.py), at their
    # declared peak rates held all month:
    # slug lookups: Query 200/s of one 2 KB creator: ceil(2048 / 4096) = 1 RRU, eventual: 0.5
    #   200 x 2,628,000 x 0.5 = 262,800,000 RRU; Cognito user lookups: 20/s, the same: 26,280,000 RRU
    #   289,080,000 RRU x $0.125 / million = $36.135
    assert lines["read request units"] == pytest.approx(289.08 * RRU) == pytest.approx(36.135)
    # registration: PutItem 1/s of 2 KB = 2 WRU, written to the table, slug-index and userId-index (x 3):
    #   1 x 2,628,000 x 2 x 3 = 15,768,000 WRU x $0.625 / million = $9.855
    assert lines["write request units"] == pytest.approx(9.855)


# --- --pulumi-preview: the change a preview digest shows -----------------------------------------------------
# Steps in the digest format of tests/pulumi_previews.py (pulumi/pulumi pkg/display/json.go `PreviewStep`),
# here with `oldState` (an apitype.ResourceV3: its `inputs` are the pulumi-aws Table inputs before the step).


def _step(op: str, urn: str, old_inputs: dict[str, object] | None = None) -> str:
    step: dict[str, object] = {"op": op, "urn": urn, "provider": PREVIEW_PROVIDER}
    if old_inputs is not None:
        step["oldState"] = {"urn": urn, "custom": True, "type": "aws:dynamodb/table:Table", "inputs": old_inputs}
    step["detailedDiff"] = None
    return "\n".join("        " + line for line in json.dumps(step, indent=4).splitlines())


def test_pulumi_preview_prices_created_replaced_and_deleted_tables(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from tests.pulumi_previews import LEGACY_URN, PRODUCTS_URN, SHOPS_URN, STACK_STEP, UPDATE_PRODUCTS, digest

    jobs_urn = SHOPS_URN.replace("shop-import-shops", "shop-import-jobs")
    gone_urn = LEGACY_URN.replace("legacy-products", "old-drafts")
    preview = tmp_path / "preview.json"
    preview.write_text(digest(
        STACK_STEP,
        _step("create", SHOPS_URN),
        # products was a provisioned table of 5 read and 5 write units, Standard, no index, no PITR
        _step("replace", PRODUCTS_URN, {"name": "dev-ProductsTable", "billingMode": "PROVISIONED",
                                        "readCapacity": 5, "writeCapacity": 5, "hashKey": "id"}),
        # a table the stack no longer declares: provisioned 10/10 in Standard-IA, PITR on
        _step("delete", LEGACY_URN, {"name": "dev-LegacyProducts", "billingMode": "PROVISIONED",
                                     "readCapacity": 10, "writeCapacity": 10,
                                     "tableClass": "STANDARD_INFREQUENT_ACCESS",
                                     "pointInTimeRecovery": {"enabled": True}}),
        _step("delete", gone_urn),
        UPDATE_PRODUCTS.replace(PRODUCTS_URN, jobs_urn),
        summary='        "create": 1,\n        "delete": 2,\n        "replace": 1,\n        "update": 1'))
    assert main(["cost", "--stack", "dev", "--json", "--project-dir", str(PROJECT_DIR)]) == 0
    plain = {t["name"]: t["totalUsd"] for t in json.loads(capsys.readouterr().out)["tables"]}
    assert main(["cost", "--stack", "dev", "--pulumi-preview", str(preview), "--json",
                 "--project-dir", str(PROJECT_DIR)]) == 0
    report = json.loads(capsys.readouterr().out)
    deltas = {d["name"]: d for d in report["deltas"]}
    # created: nothing before
    assert deltas["Shops-dev"]["beforeUsd"] == 0 and deltas["Shops-dev"]["afterUsd"] == plain["Shops-dev"] > 0
    # replaced: before, 5 WCU x 730 h x $0.00065 + 5 RCU x 730 h x $0.00013 = 2.3725 + 0.4745
    products = deltas["dev-ProductsTable"]
    assert products["beforeUsd"] == pytest.approx(2.847)
    assert products["afterUsd"] == plain["dev-ProductsTable"]
    # deleted: before, Standard-IA capacity: 10 x 730 x (0.00081 + 0.00016) = $7.081;
    # no size known, so its storage and PITR are $0
    assert deltas["dev-LegacyProducts"]["beforeUsd"] == pytest.approx(7.081)
    assert deltas["dev-LegacyProducts"]["afterUsd"] == 0
    # updated in place and untouched tables: the same on both sides
    others = [d for name, d in deltas.items() if name not in ("Shops-dev", "dev-ProductsTable", "dev-LegacyProducts")]
    assert others and all(d["deltaUsd"] == 0 for d in others)
    assert report["notPriced"] == ["creator-platform-old-drafts (the preview deletes it; its step has no oldState)"]
    assert report["deltaUsd"] == pytest.approx(plain["Shops-dev"] + plain["dev-ProductsTable"] - 2.847
                                               - 10 * 730 * (WCU_HOUR_IA + RCU_HOUR_IA))
    # a preview of another stack is one line, exit 2
    assert main(["cost", "--stack", "prod", "--pulumi-preview", str(preview), "--project-dir", str(PROJECT_DIR)]) == 2
    assert capsys.readouterr().err == (f"ERROR [InvalidPreview]: {preview}: a preview of stack 'dev' (its URNs say "
                                       "so), not of 'prod'; preview stack 'prod', or plan --stack dev\n")


PREVIEW_PROVIDER = ("urn:pulumi:dev::dynamodb-tables::pulumi:providers:aws::default_7_0_0::"
                    "04da6b54-80e4-46f7-96ec-b56ff0331ba9")
