"""Prices as data: one dated file per region (`prices/<region>.yaml`), loaded and checked in one place.

A price file names its region, currency, date and source, and gives every figure `tables cost` may use
as `{usd: <number>, source: <text>}`. A figure nobody could confirm is `{usd: null, missing: <why>}`:
it is loaded, and an estimate that needs it stops with one line naming the file and the key. Users
drop in their own negotiated prices by pointing at another directory of the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.model.spec import ModelError, TableClass

# Every figure a price file must give, by its dotted key.
PRICE_KEYS: tuple[str, ...] = (
    "onDemand.standard.writeRequestUnitsPerMillion",
    "onDemand.standard.readRequestUnitsPerMillion",
    "onDemand.standardInfrequentAccess.writeRequestUnitsPerMillion",
    "onDemand.standardInfrequentAccess.readRequestUnitsPerMillion",
    "provisioned.standard.writeCapacityUnitHour",
    "provisioned.standard.readCapacityUnitHour",
    "provisioned.standardInfrequentAccess.writeCapacityUnitHour",
    "provisioned.standardInfrequentAccess.readCapacityUnitHour",
    "storage.standardGbMonth",
    "storage.standardInfrequentAccessGbMonth",
    "pointInTimeRecoveryGbMonth",
    "backupStorageGbMonth",
    "backupColdStorageGbMonth",
    "crossRegionTransferGb",
    "restoreGb",
    "replicatedWriteRequestUnitsPerMillion",
    "streamsReadRequestUnitsPer100k",
)
HEADER_KEYS = ("region", "currency", "date", "source")
CLASS_KEYS = {TableClass.STANDARD: "standard", TableClass.STANDARD_INFREQUENT_ACCESS: "standardInfrequentAccess"}


class PriceError(ModelError):
    """A price file that cannot be used: one line naming the file and the key."""


@dataclass(frozen=True)
class PriceSheet:
    """One region's prices. `figures` maps each dotted key to USD, or None where the file says it is missing."""

    path: Path
    region: str
    currency: str
    date: str
    source: str
    figures: dict[str, float | None]

    def price(self, key: str) -> float:
        """The figure for `key`; a missing one is one error naming the file and the key."""
        value = self.figures[key]
        if value is None:
            raise PriceError(f"{self.path}, key 'prices.{key}': no price (the file says it is missing); this "
                             "estimate needs it: add it as {usd: <number>, source: <where it is from>}")
        return value

    def request_price(self, billing: str, table_class: TableClass, unit: str) -> float:
        mode = "onDemand" if billing == "onDemand" else "provisioned"
        return self.price(f"{mode}.{CLASS_KEYS[table_class]}.{unit}")

    def storage_price(self, table_class: TableClass) -> float:
        return self.price(f"storage.{CLASS_KEYS[table_class]}GbMonth")


def price_file(prices_dir: Path, region: str) -> Path:
    return prices_dir / f"{region}.yaml"


def load_prices(prices_dir: Path, region: str) -> PriceSheet:
    """The price sheet for `region` from `prices_dir`. Raises ModelError (one line naming file and key)."""
    path = price_file(prices_dir, region)
    if not path.is_file():
        known = sorted(p.stem for p in prices_dir.glob("*.yaml")) if prices_dir.is_dir() else []
        raise PriceError(f"{path}: no price file for region '{region}'; price files here: "
                         f"{', '.join(known) or 'none'} (copy one and change its figures)")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise PriceError(f"{path}{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(document, dict):
        raise PriceError(f"{path}: expected a mapping with the keys {', '.join(HEADER_KEYS)}, prices")
    for key in HEADER_KEYS:
        if not isinstance(document.get(key), str) or not document[key]:
            raise PriceError(f"{path}, key '{key}': given {document.get(key)!r}; allowed: a non-empty string")
    if document["region"] != region:
        raise PriceError(f"{path}, key 'region': given {document['region']!r}; allowed: '{region}', the region "
                         "the file is named for")
    figures: dict[str, float | None] = {}
    for key in PRICE_KEYS:
        figures[key] = _figure(path, document.get("prices"), key)
    return PriceSheet(path=path, region=region, currency=document["currency"], date=document["date"],
                      source=document["source"], figures=figures)


def _figure(path: Path, prices: Any, key: str) -> float | None:
    node = prices
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    where = f"{path}, key 'prices.{key}'"
    if not isinstance(node, dict) or "usd" not in node:
        raise PriceError(f"{where}: missing; allowed: {{usd: <number>, source: <text>}} or "
                         "{usd: null, missing: <why>}")
    usd = node["usd"]
    if usd is None:
        if not isinstance(node.get("missing"), str) or not node["missing"]:
            raise PriceError(f"{where}: usd is null without a 'missing' reason; say why the price is unknown")
        return None
    if isinstance(usd, bool) or not isinstance(usd, (int, float)) or usd != usd:
        raise PriceError(f"{path}, key 'prices.{key}.usd': given {usd!r}; allowed: a number of US dollars")
    if usd < 0:
        raise PriceError(f"{path}, key 'prices.{key}.usd': given {usd!r}; allowed: a price of 0 or more")
    if not isinstance(node.get("source"), str) or not node["source"]:
        raise PriceError(f"{where}: no 'source'; say where the price is from (a page and its date, or a contract)")
    return float(usd)
