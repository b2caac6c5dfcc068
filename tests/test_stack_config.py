"""Bad stack config stops the real program at start with one `pulumi.RunError` naming stack and key."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pulumi
import pytest
import yaml

from components.model.spec import ModelError
from components.model.stack_file import load_stack_file
from scripts.mock_stack import run_program
from tests.project import DATA_DIR, PROJECT_DIR

# Vendored from pulumi/pulumi (see tests/data/README.md): the tests need nothing outside the repository.
PULUMI_PROJECT_SCHEMA = DATA_DIR / "pulumi-project.schema.json"
Mutation = Callable[[dict[str, str]], None]


def edit_family(family: str, **changes: object) -> Mutation:
    def mutate(config: dict[str, str]) -> None:
        families = json.loads(config["dynamodb-tables:families"])
        families[family] = {**(families[family] or {}), **changes}
        config["dynamodb-tables:families"] = json.dumps(families)
    return mutate


def rename_family(old: str, new: str) -> Mutation:
    def mutate(config: dict[str, str]) -> None:
        families = json.loads(config["dynamodb-tables:families"])
        families[new] = families.pop(old)
        config["dynamodb-tables:families"] = json.dumps(families)
    return mutate


def set_key(key: str, value: str) -> Mutation:
    return lambda config: config.__setitem__(f"dynamodb-tables:{key}", value)


def drop_key(key: str) -> Mutation:
    return lambda config: config.__delitem__(f"dynamodb-tables:{key}")


def run_with(stack: str, mutate: Mutation) -> str:
    config = load_stack_file(PROJECT_DIR, stack)
    mutate(config)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(PROJECT_DIR, stack, config)
    return str(caught.value)


FAMILY_LIST = "creator-platform, shop-import, items-service, construction-expenses, migration-history"
DEV = "stack 'dev', config key 'dynamodb-tables:"


@pytest.mark.parametrize(("mutate", "message"), [
    pytest.param(rename_family("shop-import", "shop-imports"),
                 DEV + "families.shop-imports': given {\"suffix\": \"-dev\", \"tags\": {\"owner\": "
                 "\"shop-import-team\"}}; allowed: one of " + FAMILY_LIST + " (did you mean 'shop-import'?)",
                 id="unknown family"),
    pytest.param(edit_family("items-service", suffix="/dev"),
                 DEV + "families.items-service.suffix': given \"/dev\"; "
                 "allowed: up to 64 characters of [A-Za-z0-9_.-]", id="bad suffix"),
    pytest.param(edit_family("construction-expenses", prefix="construction expenses "),
                 DEV + "families.construction-expenses.prefix': given \"construction expenses \"; "
                 "allowed: up to 64 characters of [A-Za-z0-9_.-]", id="bad prefix"),
    pytest.param(set_key("deletionProtection", '"yes"'),
                 DEV + "deletionProtection': given \"yes\"; allowed: true or false", id="wrong type"),
    pytest.param(set_key("pitrRecoveryPeriodDays", "36"),
                 DEV + "pitrRecoveryPeriodDays': given 36; allowed: a whole number of days from 1 to 35",
                 id="pitr period above 35"),
    pytest.param(edit_family("items-service", pitrRecoveryPeriodDays=0),
                 DEV + "families.items-service.pitrRecoveryPeriodDays': given 0; "
                 "allowed: a whole number of days from 1 to 35", id="family pitr period below 1"),
    pytest.param(drop_key("environment"),
                 DEV + "environment': given nothing; allowed: a value; this key is required", id="missing key"),
    pytest.param(set_key("deletionProtecton", "true"),
                 DEV + "deletionProtecton': given \"true\"; allowed: one of the keys environment, families, "
                 "deletionProtection, protect, pointInTimeRecovery, pitrRecoveryPeriodDays, kmsKeyArn, tags, "
                 "consumers, backup, alarms, migrations, costBudget, onDemandMaximum "
                 "(did you mean 'deletionProtection'?)", id="unknown key"),
    pytest.param(set_key("migrations", '{"maxWritesPerSecond": 0}'),
                 DEV + "migrations.maxWritesPerSecond': given 0; allowed: a whole number of writes per second "
                 "(or 'unlimited') from 1 to 1000000", id="write cap below 1"),
    pytest.param(set_key("migrations", '{"maxWritesPerSecond": 500.5}'),
                 DEV + "migrations.maxWritesPerSecond': given 500.5; allowed: a whole number of writes per second "
                 "(or 'unlimited') from 1 to 1000000", id="fractional write cap"),
    pytest.param(set_key("migrations", '{"maxWrites": 10}'),
                 DEV + "migrations.maxWrites': given 10; allowed: one of the keys maxWritesPerSecond "
                 "(did you mean 'maxWritesPerSecond'?)", id="unknown migrations key"),
    pytest.param(edit_family("items-service", sufix="-dev"),
                 DEV + "families.items-service.sufix': given \"-dev\"; allowed: one of the keys prefix, suffix, "
                 "existing, importIgnoreChanges, tags, kmsKeyArn, deletionProtection, pointInTimeRecovery, "
                 "pitrRecoveryPeriodDays (did you mean 'suffix'?)",
                 id="unknown family key"),
    pytest.param(edit_family("creator-platform", existing=["prodcts"]),
                 DEV + "families.creator-platform.existing': given [\"prodcts\"]; "
                 "allowed: table keys of creator-platform: analytics-events, analytics-summaries, creators, "
                 "products", id="unknown existing table"),
    pytest.param(edit_family("creator-platform", importIgnoreChanges={"products": ["globalSecondaryIndexes"]}),
                 DEV + "families.creator-platform.importIgnoreChanges.products': given [\"globalSecondaryIndexes\"]; "
                 "allowed: entries only for tables listed in existing: the option adopts a live table, it never hides "
                 "a difference for good", id="ignore changes without existing"),
    pytest.param(edit_family("creator-platform", existing=["products"],
                             importIgnoreChanges={"products": ["globalSecondaryIndex"]}),
                 DEV + "families.creator-platform.importIgnoreChanges.products': given \"globalSecondaryIndex\"; "
                 "allowed: one of attributes, billingMode, deletionProtectionEnabled, globalSecondaryIndexes, "
                 "pointInTimeRecovery, readCapacity, serverSideEncryption, streamEnabled, streamViewType, tableClass, "
                 "tags, ttl, writeCapacity (did you mean 'globalSecondaryIndexes'?)", id="unknown ignored property"),
    pytest.param(edit_family("creator-platform", existing=["products"], importIgnoreChanges={"products": []}),
                 DEV + "families.creator-platform.importIgnoreChanges.products': given []; allowed: a list of one or "
                 "more of attributes, billingMode, deletionProtectionEnabled, globalSecondaryIndexes, "
                 "pointInTimeRecovery, readCapacity, serverSideEncryption, streamEnabled, streamViewType, tableClass, "
                 "tags, ttl, writeCapacity", id="empty ignore list"),
    pytest.param(edit_family("creator-platform", existing=True, importIgnoreChanges={"prodcts": ["tags"]}),
                 DEV + "families.creator-platform.importIgnoreChanges': given [\"prodcts\"]; "
                 "allowed: table keys of creator-platform: analytics-events, analytics-summaries, creators, "
                 "products", id="ignore changes for an unknown table"),
    pytest.param(set_key("kmsKeyArn", "alias/aws/dynamodb"),
                 DEV + "kmsKeyArn': given \"alias/aws/dynamodb\"; allowed: a customer-managed KMS key ARN "
                 "(arn:aws:kms:<region>:<account>:key/<id>)", id="kms alias instead of key"),
    pytest.param(set_key("families", "{}"),
                 DEV + "families': given {}; allowed: a map with one or more of " + FAMILY_LIST, id="no families"),
    pytest.param(set_key("environment", "Dev"),
                 DEV + "environment': given \"Dev\"; "
                 "allowed: lower-case letters, digits and hyphens, starting with a letter", id="bad environment"),
    pytest.param(set_key("tags", '{"owner": 5}'),
                 DEV + "tags.owner': given 5; allowed: a string of up to 256 letters, digits, spaces and _.:/=+-@",
                 id="non-string tag"),
])
def test_bad_dev_config_fails_at_start_with_one_message(mutate: Mutation, message: str) -> None:
    assert run_with("dev", mutate) == message


@pytest.mark.parametrize(("mutate", "message"), [
    (set_key("protect", "false"),
     "stack 'prod', config key 'dynamodb-tables:protect': given false; allowed: true in the prod environment"),
    (set_key("deletionProtection", "false"),
     "stack 'prod', config key 'dynamodb-tables:deletionProtection': given false; "
     "allowed: true in the prod environment"),
    (edit_family("items-service", deletionProtection=False),
     "stack 'prod', config key 'dynamodb-tables:families.items-service.deletionProtection': given false; "
     "allowed: true in the prod environment"),
])
def test_prod_cannot_turn_off_data_protection(mutate: Mutation, message: str) -> None:
    assert run_with("prod", mutate) == message


def test_two_families_sharing_a_physical_name_are_rejected() -> None:
    def collide(config: dict[str, str]) -> None:
        edit_family("items-service", suffix="-migrations")(config)  # items-migrations
        edit_family("migration-history", prefix="items-")(config)  # items-migrations
    assert run_with("dev", collide) == (
        "family 'migration-history', table 'migrations', field 'name': given 'items-migrations'; "
        "allowed: a value not already used by family 'items-service', table 'items'")


def test_missing_stack_file_names_the_file_and_the_stacks_that_exist(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(ModelError) as caught:
        load_stack_file(tmp_path, "qa")
    assert str(caught.value) == f"stack 'qa': no file Pulumi.qa.yaml in {tmp_path}; stacks here: dev"


def test_malformed_stack_file_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  a: b: c\n")
    with pytest.raises(ModelError) as caught:
        load_stack_file(tmp_path, "dev")
    assert str(caught.value) == "Pulumi.dev.yaml line 2: not valid YAML (mapping values are not allowed here)"


def test_pulumi_yaml_validates_against_pulumis_project_schema() -> None:
    schema = json.loads(PULUMI_PROJECT_SCHEMA.read_text())
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    jsonschema.Draft202012Validator(schema).validate(project)
    assert project["runtime"]["options"] == {"toolchain": "pip", "virtualenv": "venv"}


def test_project_schema_check_would_catch_an_untyped_config_declaration() -> None:
    schema = json.loads(PULUMI_PROJECT_SCHEMA.read_text())
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    project["config"]["families"] = {"type": "object"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(project)
