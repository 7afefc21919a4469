"""Costs of a machine-learning system: items, a dated rate card, and the schedule per period."""

from mlroi.costs.items import (
    BuildCost,
    Category,
    CostItem,
    CpuCost,
    Every,
    FixedCost,
    GpuCost,
    InferenceCost,
    PeopleCost,
    StorageCost,
    describe_item,
)
from mlroi.costs.ratecard import (
    RateCard,
    RateCardError,
    RateCardOverride,
    RateTable,
    load_rate_card,
    packaged_rate_card,
)
from mlroi.costs.schedule import CostSchedule, cost_parameters, cost_schedule

__all__ = [
    "BuildCost",
    "Category",
    "CostItem",
    "CostSchedule",
    "CpuCost",
    "Every",
    "FixedCost",
    "GpuCost",
    "InferenceCost",
    "PeopleCost",
    "RateCard",
    "RateCardError",
    "RateCardOverride",
    "RateTable",
    "StorageCost",
    "cost_parameters",
    "cost_schedule",
    "describe_item",
    "load_rate_card",
    "packaged_rate_card",
]
