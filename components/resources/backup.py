"""The stack's AWS Backup plan as Pulumi resources: a vault, a plan, the role AWS Backup uses, and one
selection that names the ARN of every table the stack declares (adopted `existing` tables included).

Security Hub's DynamoDB.4 control ("DynamoDB tables should be present in a backup plan") checks for
exactly this selection; the policy pack's `dynamodb-table-in-backup-plan` checks it before deploying.

Cold storage, copies to another region and encryption with the vault's key apply to DynamoDB only
with AWS Backup's advanced DynamoDB features turned on for the account and region (a setting shared
by every stack there, so this program does not manage it; docs/disaster-recovery.md says how).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.model.backup_settings import BackupSettings, backup_name
from components.model.plan import MANAGED_BY
from components.resources.access import current_account

BACKUP_TOKEN = "dynamodbTables:backup:StackBackup"
BACKUP_SERVICE = "backup.amazonaws.com"
# AWS's managed policies for AWS Backup's service role: one to take backups, one to restore them.
MANAGED_POLICIES = {
    "backup-policy": "service-role/AWSBackupServiceRolePolicyForBackup",
    "restore-policy": "service-role/AWSBackupServiceRolePolicyForRestores",
}
RULE_NAME = "scheduled"


def assume_role_policy() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": BACKUP_SERVICE}, "Action": "sts:AssumeRole"}],
    }, indent=2)


def _lifecycle(retention_days: int, cold_storage_after_days: int | None) -> aws.backup.PlanRuleLifecycleArgs:
    return aws.backup.PlanRuleLifecycleArgs(delete_after=retention_days, cold_storage_after=cold_storage_after_days)


class StackBackup(pulumi.ComponentResource):
    """AWS Backup for every table of the stack. `tables` maps each table's logical name to its resource."""

    vault: aws.backup.Vault
    plan: aws.backup.Plan
    role: aws.iam.Role
    selection: aws.backup.Selection

    def __init__(self, settings: BackupSettings, environment: str, tables: Mapping[str, aws.dynamodb.Table],
                 kms_key_arn: str | None, protect: bool, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(BACKUP_TOKEN, "backup", None, opts)
        name = backup_name(environment)
        tags = {"environment": environment, "managed-by": MANAGED_BY}
        # The vault holds the recovery points: in prod it is as protected as the tables themselves.
        kept = pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect)
        self.vault = aws.backup.Vault("backup-vault", name=name, kms_key_arn=kms_key_arn, tags=tags, opts=kept)
        if settings.vault_lock is not None:
            lock = settings.vault_lock
            self.vault_lock = aws.backup.VaultLockConfiguration(
                "backup-vault-lock", backup_vault_name=self.vault.name,
                min_retention_days=lock.min_retention_days, max_retention_days=lock.max_retention_days,
                changeable_for_days=lock.changeable_for_days, opts=kept)

        copy_actions = None
        if settings.copy_to is not None:
            copy_actions = [aws.backup.PlanRuleCopyActionArgs(
                destination_vault_arn=settings.copy_to.vault_arn,
                lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=settings.copy_to.retention_days))]
        self.plan = aws.backup.Plan(
            "backup-plan", name=name, tags=tags,
            rules=[aws.backup.PlanRuleArgs(
                rule_name=RULE_NAME, target_vault_name=self.vault.name, schedule=settings.schedule,
                lifecycle=_lifecycle(settings.retention_days, settings.cold_storage_after_days),
                copy_actions=copy_actions)],
            opts=pulumi.ResourceOptions(parent=self))

        partition = current_account().partition
        self.role = aws.iam.Role("backup-role", name=f"{name}-backup", assume_role_policy=assume_role_policy(),
                                 description="AWS Backup backs up and restores the dynamodb-tables stack's tables",
                                 tags=tags, opts=pulumi.ResourceOptions(parent=self))
        self.attachments = [
            aws.iam.RolePolicyAttachment(f"backup-role-{key}", role=self.role.name,
                                         policy_arn=f"arn:{partition}:iam::aws:policy/{policy}",
                                         opts=pulumi.ResourceOptions(parent=self))
            for key, policy in MANAGED_POLICIES.items()
        ]
        # By ARN, from the tables' own outputs: the selection depends on every table, so the policy pack
        # can tell which tables it covers during a preview, when new tables' ARNs are not known yet.
        self.selection = aws.backup.Selection(
            "backup-selection", name=name, plan_id=self.plan.id, iam_role_arn=self.role.arn,
            resources=[table.arn for table in tables.values()],
            # AWS Backup assumes the role when it starts a job: give it its policies first. AWS Backup
            # cannot update a selection, so a changed table list replaces it: delete the old one first,
            # so that the plan never holds two selections of the same name.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.attachments), delete_before_replace=True))
        self.register_outputs({"vaultName": self.vault.name, "vaultArn": self.vault.arn, "planId": self.plan.id,
                               "planArn": self.plan.arn, "roleArn": self.role.arn,
                               "selectionId": self.selection.id})
