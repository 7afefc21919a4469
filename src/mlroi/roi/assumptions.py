"""The inputs an ROI rests on, each with its unit and source: the data, the case, the rate card
or mlroi's default for a field the case left out."""

from __future__ import annotations

from collections.abc import Sequence

from mlroi.assumption import Assumption, AssumptionSource, shown
from mlroi.costs.items import CostItem, CpuCost, GpuCost, InferenceCost, StorageCost
from mlroi.costs.ratecard import RateCard, RateTable
from mlroi.roi.result import LiftInput
from mlroi.spec.case import Case
from mlroi.spec.quantity import Quantity, describe
from mlroi.value.model import DAYS_PER_MONTH, DecisionLift, ManualLift, RetentionDecay

_CARD: dict[type, tuple[str, RateTable, str]] = {
    GpuCost: ("gpu", "gpu_hour", "GPU-hour"),
    CpuCost: ("cpu", "cpu_hour", "vCPU-hour"),
    InferenceCost: ("tier", "inference_per_1k", "1,000 requests"),
    StorageCost: ("storage_class", "storage_tb_month", "TB-month"),
}
"""Cost items priced from the rate card: the field naming the entry, the card's table, and
what one price buys."""


def roi_assumptions(
    case: Case,
    lifts: Sequence[LiftInput],
    rate_card: RateCard,
    fitted: Sequence[Assumption] = (),
) -> tuple[Assumption, ...]:
    """Every driver's lift and conversion to money, the effect's shape, the finance settings
    and the rate-card prices, in that order; ``fitted``: the fitted decay's inputs, when the
    effect follows it (they stand for ``value.decay``)."""
    c = case.finance.currency
    out: list[Assumption] = []
    for i, (d, lift) in enumerate(zip(case.value.drivers, lifts, strict=True)):
        base = f"value.drivers[{i}]"
        given = d.model_fields_set
        manual = isinstance(d.lift, ManualLift)
        out.append(
            Assumption(
                f"{base}.lift",
                lift.estimate,
                f"{c} per eligible row"
                if isinstance(d.lift, DecisionLift)
                else f"{lift.metric or 'lift'} per unit",
                "case" if manual else "data",
                f"{d.name}: {lift.source}",
            )
        )
        out.append(_period(case, i))
        out.append(_basis(case, i))
        fields = [("value_per_unit", d.value_per_unit, f"{c} per unit of lift", "money per unit")]
        if d.counts_as == "value":
            fields.append(("margin", d.margin, "share", "share of the value kept as profit"))
        fields.append(("units_per_month", d.units_per_month, "units a month", "units reached"))
        for name, q, unit, what in fields:
            src: AssumptionSource = "case" if name in given else "mlroi default"
            note = what if name in given else f"{what}; not given, so {describe(q)}"
            out.append(Assumption(f"{base}.{name}", shown(q), unit, src, note))
    value_given = case.value.model_fields_set
    shaped: list[tuple[str, Quantity, str, str]] = []
    if case.value.fitted_decay is None:
        decay = case.value.decay
        assert not isinstance(decay, RetentionDecay)
        shaped.append(("decay", decay, "share a year", "share of the effect lost each year"))
    else:
        out += fitted
    shaped.append(
        ("growth", case.value.growth, "share a year", "growth of the population each year")
    )
    for name, q, unit, what in shaped:
        given_here = name in value_given
        out.append(
            Assumption(
                f"value.{name}",
                shown(q),
                unit,
                "case" if given_here else "mlroi default",
                what if given_here else f"{what}; not given, so {describe(q)}",
            )
        )
    fin = case.finance
    out.append(
        Assumption(
            "finance.discount_rate",
            fin.discount_rate,
            "share a year",
            "case" if "discount_rate" in fin.model_fields_set else "mlroi default",
            "annual rate that discounts the NPV",
        )
    )
    out.append(Assumption("finance.horizon_months", fin.horizon_months, "months", "case"))
    out += _rate_card_prices(case.costs, rate_card)
    return tuple(out)


def _basis(case: Case, i: int) -> Assumption:
    """What driver ``i``'s value is, and whether the case said so."""
    d = case.value.drivers[i]
    basis = case.value.bases(case.basis_defaults())[i]
    unit = "count" if d.unit == "count" else case.finance.currency
    name = f"value.drivers[{i}].basis"
    if d.basis is not None or d.counts_as == "cost":
        what = "booked as a cost" if d.counts_as == "cost" else "as the case says"
        return Assumption(name, basis, unit, "case", what)
    why = (
        "the fraud template's value: losses avoided, net of friction"
        if i in case.basis_defaults()
        else "margin below 1"
        if basis == "gross profit"
        else "margin 1"
    )
    return Assumption(name, basis, unit, "mlroi default", f"not given: {why}")


def _period(case: Case, i: int) -> Assumption:
    """The period driver ``i``'s lift is over, and how it becomes a month."""
    per = case.value.drivers[i].per
    name = f"value.drivers[{i}].per"
    if per is None:
        return Assumption(
            name,
            "month",
            "period of the lift",
            "mlroi default",
            "not given: lift x units per month is read as a month's value",
        )
    if per == "year":
        note = "the lift is over a year: divided by 12 for a month"
    elif per == "window":
        days = case.window_days
        assert days is not None  # checked by the case model
        note = (
            f"the lift is over the experiment's {days:g}-day window: x {DAYS_PER_MONTH:g} / "
            f"{days:g} = {DAYS_PER_MONTH / days:.4g} for a month"
        )
    else:
        note = "lift x units per month is a month's value"
    return Assumption(name, per, "period of the lift", "case", note)


def _rate_card_prices(items: Sequence[CostItem], card: RateCard) -> list[Assumption]:
    out: list[Assumption] = []
    for i, item in enumerate(items):
        found = _CARD.get(type(item))
        if found is None or not item.uses_rate_card:
            continue
        key, table, per = found
        entry = getattr(item, key)
        price = card.lookup(table, entry, f"costs[{i}].{key}")
        out.append(
            Assumption(
                f"costs[{i}].{key}",
                price,
                f"{card.currency} per {per}",
                "rate card",
                f"{item.name}: {entry}, rate card dated {card.date}",
            )
        )
    return out
