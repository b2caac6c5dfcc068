"""`onDemandMaximum`: a stack-wide bound on what each on-demand table and index may consume a second."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.model.config_reader import ConfigReader

ON_DEMAND_MAXIMUM_KEYS = ["maxReadRequestUnits", "maxWriteRequestUnits", "required"]


@dataclass(frozen=True)
class OnDemandMaximum:
    """The stack's on-demand maximum for every on-demand table and index that declares none of its own, and
    whether each must end up with one (`required`: a bound on a dev stack's bill)."""

    max_read_request_units: int | None = None
    max_write_request_units: int | None = None
    required: bool = False


def parse_on_demand_maximum(read: ConfigReader, value: Any) -> OnDemandMaximum:
    body = read.mapping("onDemandMaximum", value, ON_DEMAND_MAXIMUM_KEYS)
    units = {key: read.whole(f"onDemandMaximum.{key}", body[key], 1, "request units a second")
             for key in ("maxReadRequestUnits", "maxWriteRequestUnits") if key in body}
    return OnDemandMaximum(max_read_request_units=units.get("maxReadRequestUnits"),
                           max_write_request_units=units.get("maxWriteRequestUnits"),
                           required=read.boolean("onDemandMaximum.required", body.get("required", False)))
