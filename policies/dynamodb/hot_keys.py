"""Hot GSI partition keys: an index keyed on a handful of values, on a table the model expects to write fast.

One partition, of a table or of a GSI, takes at most 1,000 write units and 3,000 read units a second
(Amazon DynamoDB Developer Guide, warm-throughput-scenarios.html and
throttling-key-range-limit-exceeded-mitigation.html); a GSI keyed on a status concentrates writes on
a few of them, and its write throttling slows writes to the base table. AWS's fix is write sharding
with a random or calculated suffix (bp-partition-key-sharding.html).
The table resource does not say how fast it is written: the policy finds the table's spec and its
declared access patterns in the catalog by the `family` tag, and reports what
`components/model/patterns.py:hot_keys` finds from the declared rates and key cardinalities. Advisory:
the fix is a change to the data (write sharding), not to the table.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from components.families import FAMILIES
from components.model.patterns import hot_keys
from components.model.spec import TableSpec
from policies.dynamodb.tables import UNKNOWN, UNSET, read, table_validator


def spec_of(family: str, table_name: str) -> TableSpec | None:
    """The family's table a physical name belongs to: the longest base name it contains."""
    definition = FAMILIES.get(family)
    if definition is None:
        return None
    found = [spec for spec in definition.tables if spec.base_name in table_name]
    return max(found, key=lambda spec: len(spec.base_name), default=None)


@table_validator
def _gsi_partition_key_not_hot(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    family, name = read(args.props, "tags", "family"), read(args.props, "name")
    if UNKNOWN in (family, name) or UNSET in (family, name):
        return
    spec = spec_of(str(family), str(name))
    if spec is None:
        return
    indexes = read(args.props, "globalSecondaryIndexes")
    # The engine's proxy wraps the list: iterate it unless it is unset or not yet known.
    declared: set[Any] = set() if indexes is UNSET or indexes is UNKNOWN else {read(i, "name") for i in indexes}
    for hot in hot_keys(spec, FAMILIES[str(family)].patterns):
        if hot.index in declared:
            report_violation(f"{hot.text()}.", None)


dynamodb_table_gsi_partition_key_not_hot = ResourceValidationPolicy(
    name="dynamodb-table-gsi-partition-key-not-hot",
    description="Checks whether a DynamoDB table's global secondary index partition keys have enough distinct "
                "values for the table's declared write rate (1,000 write units per second per partition).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_gsi_partition_key_not_hot,
)

HOT_KEY_POLICIES = [dynamodb_table_gsi_partition_key_not_hot]
