"""The rate card: dated unit prices for GPU types, CPU types, storage classes and inference tiers.

A card ships with the package (``ratecard.yaml``); a case may override any of its entries, and
its date and currency. Every result that priced an item from the card carries the card's date, so
a reader knows how old the prices are.
"""

from __future__ import annotations

import datetime
import difflib
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlroi.checked import Checked
from mlroi.errors import SpecError

RateTable = Literal["gpu_hour", "cpu_hour", "storage_tb_month", "inference_per_1k"]
Rate = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]

_WHAT: dict[RateTable, str] = {
    "gpu_hour": "GPU type",
    "cpu_hour": "CPU type",
    "storage_tb_month": "storage class",
    "inference_per_1k": "inference tier",
}


class RateCardError(SpecError, ValueError):
    """A cost item names a rate-card entry that does not exist.

    Also a ``ValueError``, so a pydantic validator that checks names against a card turns it
    into a located validation error.
    """


def _as_text(value: Any) -> Any:
    # YAML reads an unquoted 2026-11-01 as a date
    return value.isoformat() if isinstance(value, datetime.date) else value


class RateCard(BaseModel):
    """Unit prices by name, in one currency, as of one date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: str = Field(description="Date the prices were taken, e.g. 2026-11-01.")
    currency: str = Field(description="Currency of every price on the card, e.g. USD.")
    source: str = Field("", description="Where the prices come from.")
    gpu_hour: dict[str, Rate] = Field(
        default_factory=dict, description="Price of one GPU-hour by GPU type, e.g. a100-40gb."
    )
    cpu_hour: dict[str, Rate] = Field(
        default_factory=dict, description="Price of one vCPU-hour by CPU type, e.g. vcpu."
    )
    storage_tb_month: dict[str, Rate] = Field(
        default_factory=dict,
        description="Price of one TB stored for a month by storage class, e.g. object-standard.",
    )
    inference_per_1k: dict[str, Rate] = Field(
        default_factory=dict,
        description="Price of 1,000 inference requests by serving tier, e.g."
        " gpu-realtime-p99-50ms.",
    )

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        return _as_text(value)

    def lookup(self, table: RateTable, name: str, field_name: str) -> float:
        """The price of ``name`` in ``table``.

        Args:
            table: which table, e.g. ``gpu_hour``.
            name: the entry, e.g. ``a100-40gb``.
            field_name: where the name was given, e.g. ``costs[1].gpu``, for the error.

        Raises:
            RateCardError: the name is not on the card; the message suggests the closest names.
        """
        prices: dict[str, float] = getattr(self, table)
        if name in prices:
            return prices[name]
        known = sorted(prices)
        # a prefix ("a100") names a family: offer all its members before fuzzy matches
        close = [k for k in known if k.startswith(name.lower())][:3] or (
            difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.5)
        )
        quoted = " or ".join(f'"{c}"' for c in close)
        hint = f"; did you mean {quoted}?" if close else ""
        listed = ", ".join(known) if known else "none"
        raise RateCardError(
            f'unknown {_WHAT[table]} "{name}" in {field_name}{hint} known: {listed}'
            f" (or add it to the rate card's {table})"
        )


class RateCardOverride(Checked):
    """A case's changes to the packaged rate card: any entries, and the card's date and currency.

    Entries replace or add to the packaged ones. A different currency replaces the packaged card
    entirely (its prices are in another currency), so every name the items use must then be given.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: str | None = Field(
        None,
        description="Date of these prices, e.g. 2027-01-15; shown in results instead of the"
        " packaged card's date.",
    )
    currency: str | None = Field(
        None, description="Currency of these prices; must match the case's currency."
    )
    source: str | None = Field(None, description="Where these prices come from.")
    gpu_hour: dict[str, Rate] = Field(
        default_factory=dict, description="Price of one GPU-hour by GPU type."
    )
    cpu_hour: dict[str, Rate] = Field(
        default_factory=dict, description="Price of one vCPU-hour by CPU type."
    )
    storage_tb_month: dict[str, Rate] = Field(
        default_factory=dict, description="Price of one TB-month by storage class."
    )
    inference_per_1k: dict[str, Rate] = Field(
        default_factory=dict, description="Price of 1,000 inference requests by serving tier."
    )

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        return _as_text(value)

    @property
    def has_entries(self) -> bool:
        """Whether the override changes any price."""
        return any((self.gpu_hour, self.cpu_hour, self.storage_tb_month, self.inference_per_1k))


_TABLES: tuple[RateTable, ...] = ("gpu_hour", "cpu_hour", "storage_tb_month", "inference_per_1k")


@lru_cache(maxsize=1)
def packaged_rate_card() -> RateCard:
    """The rate card shipped with mlroi (``mlroi/costs/ratecard.yaml``)."""
    text = resources.files("mlroi.costs").joinpath("ratecard.yaml").read_text(encoding="utf-8")
    return RateCard.model_validate(yaml.safe_load(text))


def load_rate_card(override: RateCardOverride | None = None) -> RateCard:
    """The packaged rate card with a case's ``override`` merged over it.

    The result's date is the override's date when it gives one; when it only changes entries,
    the date says so, e.g. ``2026-11-01 (packaged) + case overrides``.
    """
    base = packaged_rate_card()
    if override is None:
        return base
    if override.currency is not None and override.currency != base.currency:
        # the packaged prices are in another currency: keep only the case's own
        return RateCard(
            date=override.date or "undated (case rate card)",
            currency=override.currency,
            source=override.source or "case rate card",
            **{t: dict(getattr(override, t)) for t in _TABLES},
        )
    if override.date is not None:
        date = override.date
    elif override.has_entries:
        date = f"{base.date} (packaged) + case overrides"
    else:
        date = base.date
    if override.source is not None:
        source = override.source
    elif override.has_entries:
        source = f"{base.source} With case overrides."
    else:
        source = base.source
    tables = {t: {**getattr(base, t), **getattr(override, t)} for t in _TABLES}
    return RateCard(date=date, currency=base.currency, source=source, **tables)
