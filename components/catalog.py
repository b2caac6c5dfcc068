"""Every table family the program knows, by the key stack configs use to select it."""

from components import (
    construction_expenses,
    creator_platform,
    items_service,
    migration_history,
    shop_import,
)
from components.family import FamilyDefinition

FAMILIES: dict[str, FamilyDefinition] = {
    definition.key: definition
    for definition in (
        creator_platform.FAMILY,
        shop_import.FAMILY,
        items_service.FAMILY,
        construction_expenses.FAMILY,
        migration_history.FAMILY,
    )
}
