"""The cost schedule: what each cost item costs in each period of the horizon.

Period 0 is t = 0 (one-time costs paid before the first month); periods 1..H are months. The
schedule is computed for one set of values (the items' point values) or for ``n`` Monte Carlo
draws at once, vectorised over draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlroi.costs.items import CostItem
from mlroi.costs.ratecard import RateCard
from mlroi.errors import SpecError
from mlroi.spec.quantity import FloatArray, Quantity, point


@dataclass(frozen=True, eq=False)
class CostSchedule:
    """Costs per period: column 0 is t = 0, columns 1..H are months 1..H.

    Attributes:
        total: all items' cost per period, shape ``(n, H + 1)`` (one row per draw).
        items: the items' names, in the order given.
        categories: each item's category (compute, storage, people, maintenance, licence, build,
            other).
        by_item: each item's cost per period, shape ``(n_items, H + 1)``; only for a single set
            of values (``n == 1``), since per-item draws would not fit in memory.
        rate_card_date: date of the rate card, when some item was priced from it, else None.
        rate_card_currency: currency of the rate card, when some item was priced from it.
    """

    total: FloatArray
    items: tuple[str, ...]
    categories: tuple[str, ...]
    by_item: FloatArray | None
    rate_card_date: str | None
    rate_card_currency: str | None

    @property
    def horizon_months(self) -> int:
        """Months in the horizon (H)."""
        return int(self.total.shape[1]) - 1

    @property
    def n_draws(self) -> int:
        """Rows of ``total``: 1 for a point schedule, else the Monte Carlo draws."""
        return int(self.total.shape[0])

    @property
    def by_category(self) -> dict[str, FloatArray] | None:
        """Cost per period of each category present, shape ``(H + 1,)``; only when ``n == 1``."""
        if self.by_item is None:
            return None
        out: dict[str, FloatArray] = {}
        for category, row in zip(self.categories, self.by_item, strict=True):
            out[category] = out[category] + row if category in out else row.copy()
        return out

    @property
    def item_totals(self) -> FloatArray | None:
        """Each item's cost summed over the horizon (t = 0 included); only when ``n == 1``."""
        return None if self.by_item is None else self.by_item.sum(axis=1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; per-period totals are the mean over draws when ``n > 1``."""
        out: dict[str, Any] = {
            "horizon_months": self.horizon_months,
            "draws": self.n_draws,
            "rate_card_date": self.rate_card_date,
            "rate_card_currency": self.rate_card_currency,
            "total": self.total.mean(axis=0).tolist(),
        }
        totals = self.item_totals
        out["items"] = [
            {"name": name, "category": category}
            | ({} if totals is None else {"total": float(totals[i])})
            for i, (name, category) in enumerate(zip(self.items, self.categories, strict=True))
        ]
        return out


def cost_parameters(items: Sequence[CostItem], prefix: str = "costs") -> dict[str, Quantity]:
    """Every numeric input of ``items``, keyed ``costs[i].field``, for Monte Carlo and
    sensitivity (rate-card prices are fixed, not parameters)."""
    return {
        f"{prefix}[{i}].{field}": q
        for i, item in enumerate(items)
        for field, q in item.parameters().items()
    }


def cost_schedule(
    items: Sequence[CostItem],
    horizon_months: int,
    rate_card: RateCard,
    params: Mapping[str, FloatArray] | None = None,
    n: int = 1,
    *,
    prefix: str = "costs",
    currency: str | None = None,
) -> CostSchedule:
    """Cost per period over ``horizon_months`` months, for ``n`` sets of values at once.

    Args:
        items: the cost items, in case order.
        horizon_months: H, the months after t = 0.
        rate_card: prices for items that name a GPU type, CPU type, storage class or tier.
        params: draws of the items' inputs keyed ``costs[i].field`` (see
            :func:`cost_parameters`), each of length ``n``; inputs not given take their point
            value. Other keys are ignored, so one mapping can carry a whole case's draws.
        n: the number of draws (1 for a point schedule).
        prefix: the items' place in the case, used in keys and error messages.
        currency: the case's currency; when given, an item priced from a rate card in another
            currency is an error.

    Raises:
        SpecError: an unknown rate-card name, an item paid only after the horizon, or a rate
            card in another currency.
    """
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be at least 1, got {horizon_months}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    params = {} if params is None else params
    total = np.zeros((n, horizon_months + 1))
    by_item = np.zeros((len(items), horizon_months + 1)) if n == 1 else None
    priced_from_card: list[str] = []
    for i, item in enumerate(items):
        where = f"{prefix}[{i}]"
        months = item.months(horizon_months)
        if len(months) == 0:
            raise SpecError(
                f'{where}: "{item.name}" is first paid in month {item.first_month()}, after the'
                f" {horizon_months}-month horizon: move it earlier or lengthen the horizon"
            )
        values = {
            field: _values(params, f"{where}.{field}", q, n)
            for field, q in item.parameters().items()
        }
        paid = np.broadcast_to(item.payment(values, rate_card, where), (n,))
        # a slice, not the range as an index array: added in place, with no (n, H + 1) copy
        total[:, slice(months.start, months.stop, months.step)] += paid[:, None]
        if by_item is not None:
            by_item[i, months] = paid[0]
        if item.uses_rate_card:
            priced_from_card.append(where)
    if priced_from_card and currency is not None and currency != rate_card.currency:
        raise SpecError(
            f"{priced_from_card[0]}: priced from a rate card in {rate_card.currency}, but the"
            f" case's currency is {currency}: give the rate card's currency and prices in"
            f" {currency}, or the item's own price"
        )
    used = bool(priced_from_card)
    return CostSchedule(
        total=total,
        items=tuple(item.name for item in items),
        categories=tuple(item.category for item in items),
        by_item=by_item,
        rate_card_date=rate_card.date if used else None,
        rate_card_currency=rate_card.currency if used else None,
    )


def _values(params: Mapping[str, FloatArray], key: str, q: Quantity, n: int) -> FloatArray:
    if key not in params:
        return np.full(n, point(q))
    drawn = np.asarray(params[key], dtype=np.float64)
    if drawn.shape != (n,):
        raise ValueError(f"params[{key!r}] has shape {drawn.shape}, expected ({n},)")
    return drawn
