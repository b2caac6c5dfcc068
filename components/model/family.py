"""What the catalog knows of a table family: its config key, tables, access patterns and Pulumi type name."""

from __future__ import annotations

from dataclasses import dataclass

from components.model.patterns import AccessPattern
from components.model.spec import TableSpec

# Part of every family component's Pulumi type token (`dynamodbTables:families:<component_type>`).
# Changing either changes every URN, and `pulumi up` would replace the tables: never rename them.
TOKEN_PREFIX = "dynamodbTables:families"


@dataclass(frozen=True)
class FamilyDefinition:
    key: str  # what stack configs name it by (`dynamodb-tables:families: <key>: ...`)
    title: str
    tables: tuple[TableSpec, ...]
    component_type: str  # the last part of the component's type token
    # Every call the family's consumer services make to its tables (components/model/patterns.py).
    patterns: tuple[AccessPattern, ...] = ()

    @property
    def type_token(self) -> str:
        return f"{TOKEN_PREFIX}:{self.component_type}"

    def table(self, key: str) -> TableSpec:
        for spec in self.tables:
            if spec.key == key:
                return spec
        raise KeyError(f"family '{self.key}' has no table '{key}'")
