"""Security Hub's DynamoDB.4 with `backupVaultLockCheck`: a table's backup plan targets a locked vault.

DynamoDB.4 ("DynamoDB tables should be present in a backup plan",
https://docs.aws.amazon.com/securityhub/latest/userguide/dynamodb-controls.html) runs AWS Config's
`dynamodb-resources-protected-by-backup-plan`
(https://docs.aws.amazon.com/config/latest/developerguide/dynamodb-resources-protected-by-backup-plan.html),
whose `backupVaultLockCheck` parameter makes the control pass only if the table is backed up in a vault
with AWS Backup Vault Lock. Prod turns it on (policies/config/prod.json). The chain is followed through
the stack's own resources: the selections that cover the table (as `dynamodb-table-in-backup-plan` decides),
the plan each selection names, the vault each of the plan's rules targets, and a vault lock configuration
on that vault. During a preview names and IDs may be unknown; the links are then the inputs' dependencies,
which the engine passes to the pack.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.dynamodb.recovery import SELECTION_TYPE, _items, _table, covers
from policies.dynamodb.tables import TABLE_TYPE, read

PLAN_TYPE = "aws:backup/plan:Plan"
VAULT_TYPE = "aws:backup/vault:Vault"
VAULT_LOCK_TYPE = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


def _depends(resource: PolicyResource, key: str, target: PolicyResource) -> bool:
    return any(d.urn == target.urn for d in resource.property_dependencies.get(key, []))


def _plan_of(selection: PolicyResource, plans: list[PolicyResource]) -> list[PolicyResource]:
    plan_id = read(selection.props, "planId")
    return [p for p in plans if _depends(selection, "planId", p)
            or (isinstance(plan_id, str) and plan_id == read(p.props, "id"))]


def _vaults_of(plan: PolicyResource, vaults: list[PolicyResource]) -> list[PolicyResource]:
    targets = {read(rule, "targetVaultName") for rule in _items(read(plan.props, "rules")) if isinstance(rule, Mapping)}
    return [v for v in vaults if _depends(plan, "rules", v) or read(v.props, "name") in targets]


def _locked(vault: PolicyResource, locks: list[PolicyResource]) -> bool:
    name = read(vault.props, "name")
    return any(_depends(lock, "backupVaultName", vault)
               or (isinstance(name, str) and read(lock.props, "backupVaultName") == name) for lock in locks)


def _backup_vault_locked(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    if not args.get_config().get("backupVaultLockCheck", False):
        args.not_applicable("backupVaultLockCheck is off for this environment")
    of_type: dict[str, list[PolicyResource]] = {}
    for resource in args.resources:
        of_type.setdefault(resource.resource_type, []).append(resource)
    selections, plans = of_type.get(SELECTION_TYPE, []), of_type.get(PLAN_TYPE, [])
    vaults, locks = of_type.get(VAULT_TYPE, []), of_type.get(VAULT_LOCK_TYPE, [])
    for resource in of_type.get(TABLE_TYPE, []):
        table = _table(resource)
        covering = [s for s in selections if covers(s, table)]
        if not covering:
            continue  # dynamodb-table-in-backup-plan reports a table in no selection
        targeted = [v for s in covering for p in _plan_of(s, plans) for v in _vaults_of(p, vaults)]
        if any(_locked(vault, locks) for vault in targeted):
            continue
        label = f"table '{table.name}'" if isinstance(table.name, str) else "a table whose name is unknown"
        names = sorted({str(read(v.props, "name")) for v in targeted})
        where = f"vault {', '.join(names)}, which has" if names else "no vault of this stack, so it has"
        report_violation(f"{label} is backed up to {where} no AWS Backup Vault Lock; set dynamodb-tables:backup "
                         "vaultLock (Security Hub DynamoDB.4 with backupVaultLockCheck).", resource.urn)


dynamodb_table_backup_vault_locked = StackValidationPolicy(
    name="dynamodb-table-backup-vault-locked",
    description="Checks whether every backed-up DynamoDB table's backup plan targets a vault with AWS Backup Vault "
                "Lock, where the environment turns backupVaultLockCheck on (Security Hub DynamoDB.4).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_backup_vault_locked,
    config_schema=PolicyConfigSchema(properties={"backupVaultLockCheck": {"type": "boolean", "default": False}}),
)

VAULT_POLICIES = [dynamodb_table_backup_vault_locked]
