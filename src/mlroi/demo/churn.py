"""A seeded, realistic synthetic churn model and an A/B test of a retention discount campaign.

The scenario: a telecom subscription business scores its customers with a churn model on a snapshot
date; the model predicts 2 months ahead (the label is "cancels within the 2 months after the
snapshot"), which leaves the retention team time to act. The generator returns two tables:

- ``scored``: historical scored customers, for offline decision analysis. ``score`` is the
  production model's churn probability (reasonably calibrated, AUC ~0.77 against ``churned``),
  ``score_challenger`` a better model (AUC ~0.79). Churn in the label window is ~25% for customers
  in their first year and ~12% from 12 months of tenure on. A random 20% of customers took part in
  a past randomized campaign, half of them offered a discount (``treated``, ~10% of rows);
  ``discount`` is what the offer costs for each customer (20% of one month's bill for 3 months),
  whether or not it was made. ``uplift_score`` is an uplift model's estimate of how much the
  offer lowers the customer's churn probability (the true ``u`` below, with a lognormal error).
- ``campaign``: an A/B test of the retention offer among the customers the model targets
  (tenure >= 12 months, ~30% 3-month churn risk): ``retained`` at 3 months, gross ``revenue_3m``
  (0 if churned), ``discount_cost`` (the offer's cost when accepted) and ``pre_revenue_3m``.

Uplift is not risk. Every customer is one of the classic uplift types, drawn from their control
churn probability ``p`` (scored: over 2 months, campaign: over 3 months):

- persuadable, with probability ``u = kappa * p * (1 - p)**2 * s``: churns unless offered a
  discount (``s`` in [0, 2], mean 1, is a price sensitivity the models do not see),
- lost cause, with probability ``p - u``: churns whatever happens,
- sure thing, with probability ``1 - p``: stays whatever happens.

So the offer lowers churn by ``u``, which peaks at ``p = 1/3`` and vanishes for the safest and the
riskiest customers. ``kappa`` is set so that the true effect in the campaign, the retention lift of
'offer' over 'control', is exactly ``retention_lift`` (default +5 points) in expectation. Retained
customers accept the offer (and cost its ``discount``) with probability 0.6, persuadables always.

Customers are simulated in blocks of ``BLOCK_SIZE`` with one random stream per block and table, so
memory stays bounded for any ``n`` and the written files can be streamed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numpy.polynomial.hermite_e import hermegauss

from mlroi.demo.parquet import write_blocks
from mlroi.demo.recommender import BLOCK_SIZE, _arrow, _labels
from mlroi.errors import SpecError

__all__ = [
    "CAMPAIGN_ARMS",
    "DEFAULT_RETENTION_LIFT",
    "LABEL_WINDOW_MONTHS",
    "TENURE_BUCKETS",
    "ChurnData",
    "generate_churn",
    "write_churn",
]

FloatArray = npt.NDArray[np.float64]

DEFAULT_RETENTION_LIFT = 0.05
LABEL_WINDOW_MONTHS = 2
CAMPAIGN_ARMS: tuple[str, ...] = ("control", "offer")
TENURE_BUCKETS: tuple[str, ...] = ("12-24", "24+")

_FIRST_SCORED_ID = 1_000_001
_FIRST_CAMPAIGN_ID = 500_000_001
_MAX_TENURE = 72
_TENURE_MEAN = 28.0  # months; ~65% of customers past their first year, ~8% capped at 72
_REVENUE_MEDIAN = 55.0  # dollars a month
_REVENUE_SIGMA = 0.4
_DISCOUNT_SHARE = 0.2 * 3  # 20% of one month's bill, for 3 months
_MARGIN = 0.55
_MAX_LIFETIME_MONTHS = 120.0
_CLV_SIGMA = 0.6  # add-on lines and upgrades: what makes lifetime value heavy-tailed
_EXPERIMENT_SHARE = 0.2  # customers in the past randomized campaign, half of them offered
_ACCEPT_RATE = 0.6

# Scored table: logit of the 2-month churn probability = intercept + tenure + price + latent risk.
# The models see tenure and price, and a noisy view of the latent risk (correlation _SIGHT).
_INTERCEPT = -1.05
_TENURE_SLOPE = -0.9  # per log(1 + tenure / 6)
_PRICE_SLOPE = 0.4  # per log(monthly_revenue / median): bill shock
_RISK_SIGMA = 1.5
_SIGHT = 0.74
_SIGHT_CHALLENGER = 0.82

# Campaign: logit of the 3-month churn probability of targeted customers, by tenure bucket.
_BUCKET_SHARES = np.array([0.45, 0.55])
_BUCKET_LOGIT = np.array([math.log(0.36 / 0.64), math.log(0.25 / 0.75)])
_CAMPAIGN_SIGMA = 0.6
_CAMPAIGN_PRICE_CORRELATION = 0.3
_PRE_REVENUE_SIGMA = 0.08  # plan changes between the pre-period and the test
_POST_REVENUE_SIGMA = 0.1

_SCORED_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("tenure_months", pa.int64()),
        ("monthly_revenue", pa.float64()),
        ("clv", pa.float64()),
        ("score", pa.float64()),
        ("score_challenger", pa.float64()),
        ("churned", pa.int64()),
        ("treated", pa.int64()),
        ("discount", pa.float64()),
        ("uplift_score", pa.float64()),
    ]
)
_UPLIFT_NOISE = 0.5  # log-scale error of the uplift model's estimate of u
_CAMPAIGN_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("variant", pa.string()),
        ("retained", pa.int64()),
        ("revenue_3m", pa.float64()),
        ("discount_cost", pa.float64()),
        ("pre_revenue_3m", pa.float64()),
        ("tenure_bucket", pa.string()),
    ]
)


@dataclass(frozen=True)
class ChurnData:
    """The two tables of the churn scenario, plus the truth they were drawn from.

    Attributes:
        scored: One row per scored customer: ``customer_id``, ``tenure_months``,
            ``monthly_revenue``, ``clv``, ``score``, ``score_challenger``, ``churned``,
            ``treated``, ``discount``.
        campaign: One row per customer of the retention A/B test: ``customer_id``, ``variant``
            (``'control'`` or ``'offer'``), ``retained``, ``revenue_3m``, ``discount_cost``,
            ``pre_revenue_3m``, ``tenure_bucket`` (``'12-24'`` or ``'24+'``).
        effects: The true effect of the offer in the campaign: ``{"retention": lift}``, an
            absolute change in the 3-month retention rate (0.05 is +5 points).
    """

    scored: Any
    campaign: Any
    effects: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({"retention": DEFAULT_RETENTION_LIFT})
    )

    def to_dict(self) -> dict[str, Any]:
        """Row counts and the truth, for logs and reports (the tables stay Arrow)."""
        return {
            "scored_rows": self.scored.num_rows,
            "campaign_rows": self.campaign.num_rows,
            "effects": dict(self.effects),
        }


def generate_churn(
    n: int = 200_000,
    *,
    seed: int = 7,
    retention_lift: float = DEFAULT_RETENTION_LIFT,
) -> ChurnData:
    """Simulate scored customers and a retention-campaign A/B test, ``n`` rows each.

    Args:
        n: Rows of each table.
        seed: Seed of every random draw; the same arguments give identical tables.
        retention_lift: True absolute lift of 3-month retention in the campaign's 'offer' arm
            (0.05 is +5 points); 0 gives an A/A test. It also sets how persuadable the scored
            customers are.

    Returns:
        The two tables and the true effect.

    Raises:
        SpecError: An argument is out of range; the message names it and the allowed values.

    Example:
        >>> data = generate_churn(1_000, seed=1)
        >>> data.scored.num_rows, data.campaign.num_rows
        (1000, 1000)
        >>> sorted(set(data.campaign.column("variant").to_pylist()))
        ['control', 'offer']
    """
    kappa = _kappa(n, retention_lift)
    scored: list[Any] = []
    campaign: list[Any] = []
    for scored_table, campaign_table in _blocks(n, seed, kappa):
        scored.append(scored_table)
        campaign.append(campaign_table)
    return ChurnData(
        scored=pa.concat_tables(scored),
        campaign=pa.concat_tables(campaign),
        effects=MappingProxyType({"retention": float(retention_lift)}),
    )


def write_churn(out_dir: str | Path, n: int = 200_000, *, seed: int = 7) -> dict[str, Path]:
    """Simulate the default churn scenario and write it as Parquet, one block at a time.

    Writes ``out_dir/churn/scored.parquet`` and ``out_dir/churn/campaign.parquet``, the tables of
    ``generate_churn(n, seed=seed)``; memory stays bounded by the block size.

    Args:
        out_dir: Output directory (``churn/`` is created in it); existing files are overwritten.
        n: Rows of each table.
        seed: Seed of every random draw.

    Returns:
        Table name (``"scored"``, ``"campaign"``) -> path written.

    Raises:
        SpecError: ``n`` is out of range.
    """
    kappa = _kappa(n, DEFAULT_RETENTION_LIFT)
    out = Path(out_dir) / "churn"
    out.mkdir(parents=True, exist_ok=True)
    paths = {"scored": out / "scored.parquet", "campaign": out / "campaign.parquet"}
    write_blocks(
        paths,
        {"scored": _SCORED_SCHEMA, "campaign": _CAMPAIGN_SCHEMA},
        ({"scored": s, "campaign": c} for s, c in _blocks(n, seed, kappa)),
    )
    return paths


def _kappa(n: int, retention_lift: float) -> float:
    """Validate the public arguments; return the persuadability scale that gives the lift.

    The campaign's expected lift is ``kappa * E[p (1 - p)**2] * E[s]`` with ``E[s] = 1``; the
    expectation over the logit-normal risk of each tenure bucket is a Gauss-Hermite quadrature.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise SpecError(f"n must be a positive integer, got {n!r}")
    nodes, weights = hermegauss(80)
    weights = weights / weights.sum()
    p = 1.0 / (1.0 + np.exp(-(_BUCKET_LOGIT[:, None] + _CAMPAIGN_SIGMA * nodes[None, :])))
    mean_shape = float(_BUCKET_SHARES @ (p * (1.0 - p) ** 2 @ weights))
    # A persuadable share of risk above p (kappa * 2 > 1) would make probabilities negative.
    max_lift = 0.5 * mean_shape
    if not (
        isinstance(retention_lift, numbers.Real)
        and not isinstance(retention_lift, bool)
        and 0 <= retention_lift <= max_lift
    ):
        raise SpecError(
            f"retention_lift must be a number between 0 and {max_lift:.3f} (an absolute lift of "
            f"the retention rate), got {retention_lift!r}"
        )
    return float(retention_lift) / mean_shape


def _blocks(n: int, seed: int, kappa: float) -> Iterator[tuple[Any, Any]]:
    """Yield (scored table, campaign table) per block of ``BLOCK_SIZE`` rows.

    Block ``b`` draws scored customers from the stream ``(seed, b, 0)`` and campaign customers
    from ``(seed, b, 1)``.
    """
    n = int(n)
    for block, first in enumerate(range(0, n, BLOCK_SIZE)):
        size = min(BLOCK_SIZE, n - first)
        scored_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 0)))
        campaign_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 1)))
        yield (
            _scored(scored_rng, size, _FIRST_SCORED_ID + first, kappa),
            _campaign(campaign_rng, size, _FIRST_CAMPAIGN_ID + first, kappa),
        )


def _persuadable(rng: np.random.Generator, p: FloatArray, kappa: float) -> FloatArray:
    """Per customer, the probability of being persuadable: ``kappa * p * (1 - p)**2 * s``."""
    sensitivity = 2.0 * rng.beta(2.0, 2.0, size=p.size)
    persuadable: FloatArray = kappa * p * (1.0 - p) ** 2 * sensitivity
    return persuadable


def _sigmoid(x: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return result


def _scored(rng: np.random.Generator, n: int, first_id: int, kappa: float) -> Any:
    """Draw one block of scored customers.

    A model that sees the latent risk ``z`` through ``w = r z + sqrt(1 - r**2) e`` is calibrated
    when it predicts ``E[sigmoid(eta) | w]``; the probit approximation of a logistic-normal mean
    (divide the conditional mean by ``sqrt(1 + pi var / 8)``) gives it in closed form.
    """
    tenure = np.minimum(np.floor(rng.exponential(_TENURE_MEAN, size=n)), _MAX_TENURE)
    tenure = tenure.astype(np.int64)
    price_z = rng.standard_normal(n)
    monthly_revenue = np.round(
        _REVENUE_MEDIAN * np.exp(_REVENUE_SIGMA * price_z + 0.002 * tenure), 2
    )
    observed = (
        _INTERCEPT
        + _TENURE_SLOPE * np.log1p(tenure / 6.0)
        + _PRICE_SLOPE * _REVENUE_SIGMA * price_z
    )
    latent = rng.standard_normal((3, n))
    churn_p = _sigmoid(observed + _RISK_SIGMA * latent[0])

    scores = []
    for sight, noise in ((_SIGHT, latent[1]), (_SIGHT_CHALLENGER, latent[2])):
        view = sight * latent[0] + math.sqrt(1.0 - sight**2) * noise
        variance = _RISK_SIGMA**2 * (1.0 - sight**2)
        mean = observed + _RISK_SIGMA * sight * view
        scores.append(np.round(_sigmoid(mean / math.sqrt(1.0 + math.pi * variance / 8.0)), 6))

    treated = (rng.random(n) < _EXPERIMENT_SHARE) & (rng.random(n) < 0.5)
    persuadable = _persuadable(rng, churn_p, kappa)
    # One uniform draw decides the type: lost cause below p - u, persuadable up to p.
    churned = rng.random(n) < churn_p - persuadable * treated

    monthly_hazard = -np.log1p(-churn_p) / LABEL_WINDOW_MONTHS
    lifetime = np.minimum(1.0 / monthly_hazard, _MAX_LIFETIME_MONTHS)
    clv = np.round(
        monthly_revenue
        * _MARGIN
        * lifetime
        * rng.lognormal(-(_CLV_SIGMA**2) / 2, _CLV_SIGMA, size=n),
        2,
    )
    # drawn last, so every other column is what it was before this column existed
    noise = rng.standard_normal(n)
    uplift_score = np.round(persuadable * np.exp(_UPLIFT_NOISE * noise - _UPLIFT_NOISE**2 / 2), 6)
    columns = [
        _arrow(first_id + np.arange(n, dtype=np.int64)),
        _arrow(tenure),
        _arrow(monthly_revenue),
        _arrow(clv),
        _arrow(scores[0]),
        _arrow(scores[1]),
        _arrow(churned.astype(np.int64)),
        _arrow(treated.astype(np.int64)),
        _arrow(np.round(_DISCOUNT_SHARE * monthly_revenue, 2)),
        _arrow(uplift_score),
    ]
    return pa.Table.from_arrays(columns, schema=_SCORED_SCHEMA)


def _campaign(rng: np.random.Generator, n: int, first_id: int, kappa: float) -> Any:
    """Draw one block of the retention A/B test among targeted customers."""
    offer = rng.random(n) < 0.5
    bucket = (rng.random(n) >= _BUCKET_SHARES[0]).astype(np.int64)
    latent = rng.standard_normal((2, n))
    price_z = latent[0]
    rho = _CAMPAIGN_PRICE_CORRELATION
    risk_z = rho * price_z + math.sqrt(1.0 - rho**2) * latent[1]
    churn_p = _sigmoid(_BUCKET_LOGIT[bucket] + _CAMPAIGN_SIGMA * risk_z)
    persuadable = _persuadable(rng, churn_p, kappa)
    draw = rng.random(n)
    retained = draw >= churn_p - persuadable * offer
    saved = offer & (draw >= churn_p - persuadable) & (draw < churn_p)

    monthly_revenue = _REVENUE_MEDIAN * np.exp(_REVENUE_SIGMA * price_z)
    pre_revenue = 3.0 * monthly_revenue * rng.lognormal(0.0, _PRE_REVENUE_SIGMA, size=n)
    revenue = retained * 3.0 * monthly_revenue * rng.lognormal(0.0, _POST_REVENUE_SIGMA, size=n)
    accepted = offer & retained & ((rng.random(n) < _ACCEPT_RATE) | saved)
    discount_cost = accepted * np.round(_DISCOUNT_SHARE * monthly_revenue, 2)
    columns = [
        _arrow(first_id + np.arange(n, dtype=np.int64)),
        _labels(CAMPAIGN_ARMS, offer.astype(np.int64)),
        _arrow(retained.astype(np.int64)),
        _arrow(np.round(revenue, 2)),
        _arrow(discount_cost),
        _arrow(np.round(pre_revenue, 2)),
        _labels(TENURE_BUCKETS, bucket),
    ]
    return pa.Table.from_arrays(columns, schema=_CAMPAIGN_SCHEMA)
