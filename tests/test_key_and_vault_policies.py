"""The KMS key allow-list (AWS Config's dynamodb-table-encrypted-kms with kmsKeyArns) and Security Hub
DynamoDB.4's backupVaultLockCheck, called directly and over the pack's gRPC interface on the real program."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from policies.dynamodb.keys import dynamodb_table_kms_key_allowed as key_allowed
from policies.pack import load_environment_config
from scripts.mock_stack import DeclaredResource, run_program
from scripts.policy_client import PolicyPackClient, running_pack
from tests.project import PROJECT_DIR
from tests.test_policies import mutated, violations

PROD_KEY = "arn:aws:kms:us-east-1:111122223333:key/0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c"
SHOPS_KEY = "arn:aws:kms:us-east-1:111122223333:key/7c1e2f3a-0b4d-4e5f-8a9b-0c1d2e3f4a5b"
OTHER_KEY = "arn:aws:kms:us-east-1:999988887777:key/11111111-2222-3333-4444-555555555555"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


def test_prod_allows_exactly_its_two_customer_managed_keys() -> None:
    assert load_environment_config("prod")["dynamodb-table-kms-key-allowed"]["kmsKeyArns"] == [PROD_KEY, SHOPS_KEY]
    for environment in ("dev", "staging", "local"):
        assert load_environment_config(environment)["dynamodb-table-kms-key-allowed"]["kmsKeyArns"] == []


@pytest.mark.parametrize("key", [PROD_KEY, SHOPS_KEY])
def test_a_table_on_an_allowed_key_passes(key: str) -> None:
    table = mutated("serverSideEncryption", {"enabled": True, "kmsKeyArn": key})
    assert violations(key_allowed, table, kmsKeyArns=[PROD_KEY, SHOPS_KEY]) == []


def test_a_table_on_a_key_outside_the_list_fails() -> None:
    table = mutated("serverSideEncryption", {"enabled": True, "kmsKeyArn": OTHER_KEY})
    assert violations(key_allowed, table, kmsKeyArns=[PROD_KEY, SHOPS_KEY]) == [
        f"table 'items-dev' is encrypted with KMS key {OTHER_KEY}, which is not in this environment's kmsKeyArns: "
        f"{PROD_KEY}, {SHOPS_KEY}; use an allowed key or add this one to dynamodb-table-kms-key-allowed.kmsKeyArns."]


def test_an_empty_list_allows_no_customer_managed_key() -> None:
    table = mutated("serverSideEncryption", {"enabled": True, "kmsKeyArn": PROD_KEY})
    assert violations(key_allowed, table) == [
        f"table 'items-dev' is encrypted with KMS key {PROD_KEY}, which is not in this environment's kmsKeyArns: "
        "none (policies/config lists no key for this environment); use an allowed key or add this one to "
        "dynamodb-table-kms-key-allowed.kmsKeyArns."]


@pytest.mark.parametrize("sse", [{"enabled": True}, {"enabled": True, "kmsKeyArn": "alias/aws/dynamodb"}],
                         ids=["AWS-owned key", "AWS-managed key"])
def test_a_table_without_a_customer_managed_key_is_not_this_policys_business(sse: dict[str, object]) -> None:
    assert violations(key_allowed, mutated("serverSideEncryption", sse)) == []


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackClient]:
    with running_pack(PROJECT_DIR / "policies", python=sys.executable) as client:
        yield client


def vault_findings(pack: PolicyPackClient, config: dict[str, object],
                   resources: list[DeclaredResource]) -> list[tuple[str, str, str]]:
    pack.configure(config)
    return [(v.level, v.resource_name, v.message) for v in pack.analyze_stack(resources)
            if v.policy == "dynamodb-table-backup-vault-locked"]


def test_prods_backup_plan_targets_its_locked_vault(pack: PolicyPackClient) -> None:
    declared = run_program(PROJECT_DIR, "prod")
    assert [r.name for r in declared.of_type(VAULT_LOCK)] == ["backup-vault-lock"]
    assert vault_findings(pack, load_environment_config("prod"), declared.resources) == []


def test_without_the_vault_lock_every_prod_table_fails(pack: PolicyPackClient) -> None:
    declared = run_program(PROJECT_DIR, "prod")
    unlocked = [r for r in declared.resources if r.type != VAULT_LOCK]
    found = vault_findings(pack, load_environment_config("prod"), unlocked)
    assert len(found) == len(declared.tables)
    assert ("mandatory", "items-service-items",
            "table 'items-prod' is backed up to vault dynamodb-tables-prod, which has no AWS Backup Vault Lock; set "
            "dynamodb-tables:backup vaultLock (Security Hub DynamoDB.4 with backupVaultLockCheck).") in found


def test_staging_has_no_vault_lock_and_the_check_is_off_there(pack: PolicyPackClient) -> None:
    declared = run_program(PROJECT_DIR, "staging")
    config = load_environment_config("staging")
    assert vault_findings(pack, config, declared.resources) == []
    config["dynamodb-table-backup-vault-locked"] = {**config["dynamodb-table-backup-vault-locked"],
                                                    "backupVaultLockCheck": True}
    found = vault_findings(pack, config, declared.resources)
    assert len(found) == len(declared.tables)
    assert {message.split(" is backed up to ")[1] for _, _, message in found} == {
        "vault dynamodb-tables-staging, which has no AWS Backup Vault Lock; set dynamodb-tables:backup vaultLock "
        "(Security Hub DynamoDB.4 with backupVaultLockCheck)."}
