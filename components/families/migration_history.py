"""Migration history: the per-environment record of data migrations, their lock and checkpoints.

`tables migrate` writes here (see docs/migrations.md). It is declared with the other tables so the
history is managed infrastructure, encrypted and backed up like the data it describes.
"""

from components.model.family import FamilyDefinition
from components.model.spec import Key, TableSpec

migrations_table = TableSpec(
    key="migrations",
    base_name="migrations",
    env_var="MIGRATIONS_TABLE_NAME",
    description="One record per migration (pk=migration id, sk=RECORD), its segment checkpoints "
                "(sk=SEGMENT#n) and the runner lock (pk=LOCK).",
    partition=Key("pk"),
    sort=Key("sk"),
)


FAMILY = FamilyDefinition(
    key="migration-history",
    title="Migration history",
    tables=(migrations_table,),
    component_type="MigrationHistory",
)
