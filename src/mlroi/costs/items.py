"""Cost items: what a machine-learning system costs to build and run, one line each.

In a case file each item is a mapping with a ``kind``; its numbers may be uncertain
(:mod:`mlroi.spec.quantity`)::

    costs:
      - {kind: gpu, name: training, gpu: a100-40gb, hours: {low: 150, likely: 200, high: 400}}
      - {kind: inference, name: serving, tier: gpu-realtime-p99-50ms, requests: 30_000_000}
      - {kind: storage, name: features, storage_class: object-standard, tb: 12}
      - {kind: people, name: ML engineers, fte: 2, loaded_salary: 210_000, share: 0.5}
      - {kind: fixed, name: vendor licence, category: licence, amount: 24_000, every: year}
      - {kind: build, name: first version, amount: {low: 80_000, likely: 120_000, high: 200_000}}

Recurring items are paid every month (``every: month``), every twelve months from their first
month (``every: year``: months 1, 13, 25, ...) or once (``every: once``, at ``month``, default 0
= t = 0). ``start_month`` / ``end_month`` (1-based, inclusive) limit an item to part of the horizon.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from mlroi import formatting as fmt
from mlroi.checked import Checked
from mlroi.costs.ratecard import RateCard, RateTable
from mlroi.spec.quantity import (
    Beta,
    FloatArray,
    LogNormal,
    Normal,
    Quantity,
    Range,
    StudentT,
    check_within,
    describe,
)

Every = Literal["month", "year", "once"]
Category = Literal["compute", "storage", "people", "maintenance", "licence", "build", "other"]
Values = Mapping[str, FloatArray]
"""An item's numeric inputs by field name, each as an array of draws of one common length."""

_QUANTITY_TYPES = (float, Range, Normal, Beta, LogNormal, StudentT)


class _Item(Checked):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Label shown in reports, e.g. `nightly training`.")

    _shares: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _non_negative(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, _QUANTITY_TYPES):
            field = info.field_name or "value"
            check_within(value, 0.0, 1.0 if field in cls._shares else math.inf, field)
        return value

    def parameters(self) -> dict[str, Quantity]:
        """The item's own numeric inputs by field name (rate-card prices are not included)."""
        out: dict[str, Quantity] = {}
        for field in type(self).model_fields:
            value = getattr(self, field)
            if isinstance(value, _QUANTITY_TYPES):
                out[field] = value
        return out

    @property
    def uses_rate_card(self) -> bool:
        """Whether the item takes a price from the rate card."""
        return False

    def months(self, horizon: int) -> range:
        """The periods (0 = t = 0, 1..``horizon`` = months) in which the item is paid."""
        raise NotImplementedError

    def first_month(self) -> int:
        """The first period in which the item is paid, whatever the horizon."""
        raise NotImplementedError

    def payment(self, values: Values, card: RateCard, where: str) -> FloatArray:
        """The amount paid in each period it is paid in, one per draw.

        Args:
            values: the item's numeric inputs (:meth:`parameters`) as arrays of draws.
            card: the rate card that prices rate-card names.
            where: the item's place in the case, e.g. ``costs[2]``, for errors.
        """
        raise NotImplementedError

    def describe(self, card: RateCard, currency: str) -> str:
        """One line for a report: quantity x price, and when it is paid."""
        raise NotImplementedError

    def _priced(
        self, values: Values, card: RateCard, where: str, key: str, table: RateTable, rate: str
    ) -> FloatArray | float:
        name = getattr(self, key)
        return values[rate] if name is None else card.lookup(table, name, f"{where}.{key}")

    def _price_text(
        self, card: RateCard, currency: str, key: str, table: RateTable, rate: str
    ) -> str:
        name = getattr(self, key)
        if name is None:
            return _money(getattr(self, rate), currency)
        price = card.lookup(table, name, f'cost item "{self.name}".{key}')
        return f"{_money(price, card.currency)} ({name}, rate card {card.date})"


class _Periodic(_Item):
    start_month: int | None = Field(
        None, ge=1, description="First month the item is paid (1-based); default month 1."
    )
    end_month: int | None = Field(
        None, ge=1, description="Last month the item is paid (inclusive); default the horizon."
    )

    @model_validator(mode="after")
    def _window(self) -> _Periodic:
        if self.start_month and self.end_month and self.end_month < self.start_month:
            raise ValueError(
                f"end_month ({self.end_month}) is before start_month ({self.start_month})"
            )
        return self

    def _every(self) -> Every:
        return "month"

    def first_month(self) -> int:
        return self.start_month or 1

    def months(self, horizon: int) -> range:
        if self._every() == "once":
            first = self.first_month()
            return range(first, first + 1) if first <= horizon else range(0)
        end = min(self.end_month or horizon, horizon)
        return range(self.first_month(), end + 1, 12 if self._every() == "year" else 1)

    def _timing(self) -> str:
        every = self._every()
        if every == "once":
            return f"once at month {self.first_month()}"
        window = ""
        if self.start_month and self.end_month:
            window = f", months {self.start_month}-{self.end_month}"
        elif self.start_month:
            window = f", from month {self.start_month}"
        elif self.end_month:
            window = f", until month {self.end_month}"
        return f"per {every}{window}"


class _Recurring(_Periodic):
    every: Every = Field(
        "month",
        description="How often the amount is paid: `month`, `year` (months 1, 13, 25, ... from"
        " start_month) or `once` (at `month`).",
    )
    month: int | None = Field(
        None,
        ge=0,
        description="With `every: once`: the month it is paid; 0 (the default) is t = 0, before"
        " the first month.",
    )

    @model_validator(mode="after")
    def _timing_fields(self) -> _Recurring:
        if self.every == "once" and (self.start_month or self.end_month):
            raise ValueError("a one-time item (every: once) is paid at `month`, not start/end")
        if self.every != "once" and self.month is not None:
            raise ValueError(
                f"`month` applies to every: once; for every: {self.every} use start_month"
            )
        return self

    def _every(self) -> Every:
        return self.every

    def first_month(self) -> int:
        if self.every == "once":
            return self.month or 0
        return super().first_month()


def _one_of(item: BaseModel, key: str, rate: str, what: str) -> None:
    given = (getattr(item, key) is not None, getattr(item, rate) is not None)
    if all(given):
        raise ValueError(f"give either `{key}` ({what} on the rate card) or `{rate}`, not both")
    if not any(given):
        raise ValueError(f"give `{key}` ({what} on the rate card) or `{rate}` (your own price)")


class GpuCost(_Recurring):
    """GPU time, e.g. training or fine-tuning: GPU-hours x price per GPU-hour."""

    kind: Literal["gpu"] = "gpu"
    category: ClassVar[Category] = "compute"
    hours: Quantity = Field(
        description="GPU-hours per payment (GPUs x wall-clock hours), e.g. 200 a month."
    )
    gpu: str | None = Field(
        None, description="GPU type on the rate card, e.g. a100-40gb; or give rate_per_hour."
    )
    rate_per_hour: Quantity | None = Field(
        None, description="Your own price of one GPU-hour, instead of a rate-card GPU type."
    )

    @model_validator(mode="after")
    def _priced_once(self) -> GpuCost:
        _one_of(self, "gpu", "rate_per_hour", "a GPU type")
        return self

    @property
    def uses_rate_card(self) -> bool:
        return self.gpu is not None

    def payment(self, values: Values, card: RateCard, where: str) -> FloatArray:
        rate = self._priced(values, card, where, "gpu", "gpu_hour", "rate_per_hour")
        return values["hours"] * rate

    def describe(self, card: RateCard, currency: str) -> str:
        price = self._price_text(card, currency, "gpu", "gpu_hour", "rate_per_hour")
        return f"{_quantity(self.hours)} GPU-h x {_per(price, '/h')} {self._timing()}"


class CpuCost(_Recurring):
    """CPU time, e.g. feature pipelines or batch scoring: vCPU-hours x price per vCPU-hour."""

    kind: Literal["cpu"] = "cpu"
    category: ClassVar[Category] = "compute"
    vcpu_hours: Quantity = Field(description="vCPU-hours per payment, e.g. 5000 a month.")
    cpu: str | None = Field(
        None, description="CPU type on the rate card, e.g. vcpu; or give rate_per_hour."
    )
    rate_per_hour: Quantity | None = Field(
        None, description="Your own price of one vCPU-hour, instead of a rate-card CPU type."
    )

    @model_validator(mode="after")
    def _priced_once(self) -> CpuCost:
        _one_of(self, "cpu", "rate_per_hour", "a CPU type")
        return self

    @property
    def uses_rate_card(self) -> bool:
        return self.cpu is not None

    def payment(self, values: Values, card: RateCard, where: str) -> FloatArray:
        rate = self._priced(values, card, where, "cpu", "cpu_hour", "rate_per_hour")
        return values["vcpu_hours"] * rate

    def describe(self, card: RateCard, currency: str) -> str:
        price = self._price_text(card, currency, "cpu", "cpu_hour", "rate_per_hour")
        return f"{_quantity(self.vcpu_hours)} vCPU-h x {_per(price, '/h')} {self._timing()}"


class InferenceCost(_Recurring):
    """Serving predictions: requests / 1,000 x price per 1,000 requests at a serving tier."""

    kind: Literal["inference"] = "inference"
    category: ClassVar[Category] = "compute"
    requests: Quantity = Field(description="Inference requests per payment, e.g. 30000000 a month.")
    tier: str | None = Field(
        None,
        description="Serving tier on the rate card, e.g. gpu-realtime-p99-50ms (a tighter"
        " latency target costs more); or give cost_per_1k.",
    )
    cost_per_1k: Quantity | None = Field(
        None, description="Your own price of 1,000 requests, instead of a rate-card tier."
    )

    @model_validator(mode="after")
    def _priced_once(self) -> InferenceCost:
        _one_of(self, "tier", "cost_per_1k", "a serving tier")
        return self

    @property
    def uses_rate_card(self) -> bool:
        return self.tier is not None

    def payment(self, values: Values, card: RateCard, where: str) -> FloatArray:
        rate = self._priced(values, card, where, "tier", "inference_per_1k", "cost_per_1k")
        return values["requests"] / 1000.0 * rate

    def describe(self, card: RateCard, currency: str) -> str:
        price = self._price_text(card, currency, "tier", "inference_per_1k", "cost_per_1k")
        return f"{_quantity(self.requests)} requests x {_per(price, '/1k')} {self._timing()}"


class StorageCost(_Periodic):
    """Data kept for the system (features, training sets, logs): TB x price per TB-month."""

    kind: Literal["storage"] = "storage"
    category: ClassVar[Category] = "storage"
    every: Literal["month"] = Field("month", description="Storage is billed monthly.")
    tb: Quantity = Field(description="Terabytes stored (1 TB = 1,000 GB) in each month.")
    storage_class: str | None = Field(
        None,
        description="Storage class on the rate card, e.g. object-standard; or give"
        " rate_per_tb_month.",
    )
    rate_per_tb_month: Quantity | None = Field(
        None, description="Your own price of one TB for a month, instead of a storage class."
    )

    @model_validator(mode="after")
    def _priced_once(self) -> StorageCost:
        _one_of(self, "storage_class", "rate_per_tb_month", "a storage class")
        return self

    @property
    def uses_rate_card(self) -> bool:
        return self.storage_class is not None

    def payment(self, values: Values, card: RateCard, where: str) -> FloatArray:
        rate = self._priced(
            values, card, where, "storage_class", "storage_tb_month", "rate_per_tb_month"
        )
        return values["tb"] * rate

    def describe(self, card: RateCard, currency: str) -> str:
        price = self._price_text(
            card, currency, "storage_class", "storage_tb_month", "rate_per_tb_month"
        )
        return f"{_quantity(self.tb)} TB x {_per(price, '/TB-month')} {self._timing()}"


class PeopleCost(_Periodic):
    """People's time: FTE x loaded annual salary x share of their time, paid monthly (1/12)."""

    kind: Literal["people"] = "people"
    category: ClassVar[Category] = "people"
    every: Literal["month"] = Field(
        "month", description="Salaries are paid monthly: 1/12 of the annual cost each month."
    )
    fte: Quantity = Field(description="Full-time equivalents, e.g. 2 engineers = 2.")
    loaded_salary: Quantity = Field(
        description="Cost of one FTE per YEAR: salary plus benefits, taxes and overhead."
    )
    share: Quantity = Field(
        1.0, description="Share of their time spent on this system, between 0 and 1."
    )

    _shares: ClassVar[frozenset[str]] = frozenset({"share"})

    def payment(self, values: Values, card: RateCard, where: str) -> FloatArray:
        return values["fte"] * values["loaded_salary"] * values["share"] / 12.0

    def describe(self, card: RateCard, currency: str) -> str:
        share = "" if self.share == 1.0 else f" x {_share(self.share)} of time"
        salary = _money(self.loaded_salary, currency)
        return (
            f"{_quantity(self.fte)} FTE x {salary}/year{share}, paid monthly"
            f"{self._timing().removeprefix('per month')}"
        )


class FixedCost(_Recurring):
    """A fixed amount: maintenance, a licence, a support contract."""

    kind: Literal["fixed"] = "fixed"
    category: Literal["maintenance", "licence", "other"] = Field(
        description="What the amount pays for: `maintenance`, `licence` or `other`."
    )
    amount: Quantity = Field(description="Amount paid each time it is paid.")

    def payment(self, values: Values, card: RateCard, where: str) -> FloatArray:
        return values["amount"]

    def describe(self, card: RateCard, currency: str) -> str:
        return f"{_money(self.amount, currency)} {self._timing()}"


class BuildCost(_Item):
    """A one-time cost of building the system: development, data labelling, integration."""

    kind: Literal["build"] = "build"
    category: ClassVar[Category] = "build"
    amount: Quantity = Field(description="Amount paid, once.")
    month: int = Field(
        0, ge=0, description="Month it is paid; 0 (the default) is t = 0, before the first month."
    )

    def first_month(self) -> int:
        return self.month

    def months(self, horizon: int) -> range:
        return range(self.month, self.month + 1) if self.month <= horizon else range(0)

    def payment(self, values: Values, card: RateCard, where: str) -> FloatArray:
        return values["amount"]

    def describe(self, card: RateCard, currency: str) -> str:
        return f"{_money(self.amount, currency)} once at month {self.month}"


CostItem = Annotated[
    GpuCost | CpuCost | InferenceCost | StorageCost | PeopleCost | FixedCost | BuildCost,
    Field(discriminator="kind"),
]


def describe_item(item: CostItem, rate_card: RateCard, currency: str | None = None) -> str:
    """One line for a report, e.g. ``200 GPU-h x $3.67/h (a100-40gb, rate card 2026-11-01)
    per month``.

    Args:
        item: the cost item.
        rate_card: the card its rate-card names are priced from.
        currency: currency of the item's own amounts; default the rate card's.
    """
    return item.describe(rate_card, currency or rate_card.currency)


def _quantity(q: Quantity) -> str:
    if isinstance(q, int | float):
        return fmt.number(float(q))
    if isinstance(q, Range):
        parts = [q.low, q.high] if q.likely is None else [q.low, q.likely, q.high]
        return " / ".join(fmt.number(p) for p in parts)
    return describe(q)


def _money(q: Quantity, currency: str) -> str:
    if isinstance(q, int | float):
        return fmt.money(float(q), currency, exact=float(q) >= 1000 or float(q) == int(q))
    return f"{fmt.money(1, currency).removesuffix('1.00')}({_quantity(q)})"


def _per(price: str, unit: str) -> str:
    """``$3.67 (a100-40gb, ...)`` -> ``$3.67/h (a100-40gb, ...)``."""
    head, sep, tail = price.partition(" (")
    return f"{head}{unit}{sep}{tail}"


def _share(q: Quantity) -> str:
    if isinstance(q, int | float):
        return fmt.share(q, 0)
    return f"share {_quantity(q)}"
