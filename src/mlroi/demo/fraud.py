"""A seeded, realistic synthetic card-fraud model and an A/B test of a model-based blocking policy.

The scenario: card transactions in eight merchant categories; ~0.7% are fraudulent, more so in
electronics, travel and online retail, and fraudulent amounts are larger (lognormal, median 2.5
times the category's legitimate median). The generator returns two tables:

- ``scored``: historical scored transactions, for offline decision analysis. ``score`` is the
  production model's fraud probability (calibrated, AUC ~0.93 against ``is_fraud``),
  ``score_challenger`` a better model (AUC ~0.95).
- ``holdout``: an A/B test in which transactions were randomized 50/50 to the current rules
  engine (``'rules'``, the control) or to blocking when the model's score reaches
  ``model_threshold`` (``'model'``). ``fraud_loss`` is the amount of an unblocked fraud,
  ``legit_blocked`` flags a blocked legitimate transaction and ``customer_friction_cost`` is
  ``friction_cost`` dollars per such block.

Each transaction carries a hidden fraud signal (device, velocity, geography): ``N(d, 1)`` for fraud
and ``N(0, 1)`` otherwise, ``d`` larger for the challenger. The scores are exact posteriors given
the category, the amount and the model's signal. The rules block when a weaker signal is extreme,
or moderately high on a large purchase in a risky category.

The true effect of the default policy, computed by numerical integration (``FraudData.effects``
holds it for the arguments given): fraud loss per transaction falls by ~29% (from ~$1.55 to
~$1.10) while the rate of blocked legitimate transactions falls from ~0.49% to ~0.36%.

Transactions are simulated in blocks of ``BLOCK_SIZE`` with one random stream per block and
table, so memory stays bounded for any ``n`` and the written files can be streamed.
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
from scipy.special import ndtr

from mlroi.demo.parquet import write_blocks
from mlroi.demo.recommender import BLOCK_SIZE, _arrow, _labels
from mlroi.errors import SpecError

__all__ = [
    "DEFAULT_FRAUD_RATE",
    "DEFAULT_FRICTION_COST",
    "DEFAULT_MODEL_THRESHOLD",
    "HOLDOUT_ARMS",
    "MERCHANT_CATEGORIES",
    "FraudData",
    "generate_fraud",
    "write_fraud",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_FRAUD_RATE = 0.007
DEFAULT_MODEL_THRESHOLD = 0.18
DEFAULT_FRICTION_COST = 5.0
HOLDOUT_ARMS: tuple[str, ...] = ("rules", "model")
MERCHANT_CATEGORIES: tuple[str, ...] = (
    "grocery",
    "restaurants",
    "gas",
    "online_retail",
    "electronics",
    "travel",
    "entertainment",
    "other",
)

_FIRST_SCORED_ID = 10_000_000_001
_FIRST_HOLDOUT_ID = 20_000_000_001
_CATEGORY_SHARES = np.array([0.22, 0.16, 0.09, 0.20, 0.06, 0.06, 0.09, 0.12])
_CATEGORY_FRAUD = np.array([0.4, 0.5, 0.8, 1.6, 3.0, 2.2, 1.0, 0.9])  # relative fraud rates
_CATEGORY_MEDIAN = np.array([42.0, 28.0, 38.0, 55.0, 160.0, 240.0, 32.0, 48.0])  # dollars
_RISKY_CATEGORIES = np.isin(MERCHANT_CATEGORIES, ("online_retail", "electronics", "travel"))
_LEGIT_SIGMA = 0.9
_FRAUD_SIGMA = 1.0
_FRAUD_AMOUNT_RATIO = 2.5

_SIGNAL = 1.75  # separation of the production model's hidden signal
_SIGNAL_CHALLENGER = 2.05
_CHALLENGER_CORRELATION = 0.5  # the two models share part of their features' noise
_RULE_SIGNAL = 1.3
_RULE_CUTOFF = 2.9  # block when the rules' signal exceeds this...
_RULE_LARGE_CUTOFF = 1.0  # ...or this on a large purchase in a risky category
_RULE_LARGE_AMOUNT = 500.0

_GRID = np.linspace(-9.0, 9.0, 9_001)  # standard-normal grid of log amounts for the truth
_GRID_WEIGHTS = np.exp(-(_GRID**2) / 2) / math.sqrt(2 * math.pi) * (_GRID[1] - _GRID[0])

_SCORED_SCHEMA = pa.schema(
    [
        ("txn_id", pa.int64()),
        ("amount", pa.float64()),
        ("merchant_category", pa.string()),
        ("is_fraud", pa.int64()),
        ("score", pa.float64()),
        ("score_challenger", pa.float64()),
    ]
)
_HOLDOUT_SCHEMA = pa.schema(
    [
        ("txn_id", pa.int64()),
        ("variant", pa.string()),
        ("amount", pa.float64()),
        ("is_fraud", pa.int64()),
        ("blocked", pa.int64()),
        ("fraud_loss", pa.float64()),
        ("legit_blocked", pa.int64()),
        ("customer_friction_cost", pa.float64()),
    ]
)


@dataclass(frozen=True)
class FraudData:
    """The two tables of the fraud scenario, plus the truth they were drawn from.

    Attributes:
        scored: One row per scored transaction: ``txn_id``, ``amount``, ``merchant_category``,
            ``is_fraud``, ``score``, ``score_challenger``.
        holdout: One row per transaction of the blocking A/B test: ``txn_id``, ``variant``
            (``'rules'`` or ``'model'``), ``amount``, ``is_fraud``, ``blocked``, ``fraud_loss``,
            ``legit_blocked``, ``customer_friction_cost``.
        baseline: Expected values per transaction under the rules: ``fraud_loss`` (dollars) and
            ``legit_blocked`` (rate).
        effects: True effect of the model policy: ``fraud_loss`` as a relative change (-0.3 is
            30% less) and ``legit_blocked`` as an absolute change of the rate.
    """

    scored: Any
    holdout: Any
    baseline: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    effects: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, Any]:
        """Row counts and the truth, for logs and reports (the tables stay Arrow)."""
        return {
            "scored_rows": self.scored.num_rows,
            "holdout_rows": self.holdout.num_rows,
            "baseline": dict(self.baseline),
            "effects": dict(self.effects),
        }


@dataclass(frozen=True)
class _Scenario:
    """Validated inputs shared by every block."""

    category_fraud: FloatArray  # fraud probability per category
    model_threshold: float
    friction_cost: float


def generate_fraud(
    n: int = 200_000,
    *,
    seed: int = 7,
    fraud_rate: float = DEFAULT_FRAUD_RATE,
    model_threshold: float = DEFAULT_MODEL_THRESHOLD,
    friction_cost: float = DEFAULT_FRICTION_COST,
) -> FraudData:
    """Simulate scored transactions and a rules-vs-model blocking A/B test, ``n`` rows each.

    Args:
        n: Rows of each table.
        seed: Seed of every random draw; the same arguments give identical tables.
        fraud_rate: Expected share of fraudulent transactions, in (0, 0.2].
        model_threshold: The 'model' arm blocks a transaction when its score is at least this,
            in (0, 1). A lower threshold blocks more fraud and more legitimate customers.
        friction_cost: Dollars a blocked legitimate transaction costs (support call, lost
            goodwill), at least 0.

    Returns:
        The two tables and the truth of the holdout test.

    Raises:
        SpecError: An argument is out of range; the message names it and the allowed values.

    Example:
        >>> data = generate_fraud(1_000, seed=1)
        >>> data.scored.num_rows, data.holdout.num_rows
        (1000, 1000)
        >>> round(data.effects["fraud_loss"], 2)
        -0.29
    """
    scenario = _scenario(n, fraud_rate, model_threshold, friction_cost)
    scored: list[Any] = []
    holdout: list[Any] = []
    for scored_table, holdout_table in _blocks(n, seed, scenario):
        scored.append(scored_table)
        holdout.append(holdout_table)
    baseline, effects = _truth(scenario)
    return FraudData(
        scored=pa.concat_tables(scored),
        holdout=pa.concat_tables(holdout),
        baseline=MappingProxyType(baseline),
        effects=MappingProxyType(effects),
    )


def write_fraud(out_dir: str | Path, n: int = 200_000, *, seed: int = 7) -> dict[str, Path]:
    """Simulate the default fraud scenario and write it as Parquet, one block at a time.

    Writes ``out_dir/fraud/scored.parquet`` and ``out_dir/fraud/holdout.parquet``, the tables of
    ``generate_fraud(n, seed=seed)``; memory stays bounded by the block size.

    Args:
        out_dir: Output directory (``fraud/`` is created in it); existing files are overwritten.
        n: Rows of each table.
        seed: Seed of every random draw.

    Returns:
        Table name (``"scored"``, ``"holdout"``) -> path written.

    Raises:
        SpecError: ``n`` is out of range.
    """
    scenario = _scenario(n, DEFAULT_FRAUD_RATE, DEFAULT_MODEL_THRESHOLD, DEFAULT_FRICTION_COST)
    out = Path(out_dir) / "fraud"
    out.mkdir(parents=True, exist_ok=True)
    paths = {"scored": out / "scored.parquet", "holdout": out / "holdout.parquet"}
    write_blocks(
        paths,
        {"scored": _SCORED_SCHEMA, "holdout": _HOLDOUT_SCHEMA},
        ({"scored": s, "holdout": h} for s, h in _blocks(n, seed, scenario)),
    )
    return paths


def _scenario(n: int, fraud_rate: float, model_threshold: float, friction_cost: float) -> _Scenario:
    """Validate the public arguments once and turn them into the inputs of every block."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise SpecError(f"n must be a positive integer, got {n!r}")
    if not _is_real(fraud_rate) or not 0 < fraud_rate <= 0.2:
        raise SpecError(f"fraud_rate must be a share in (0, 0.2], got {fraud_rate!r}")
    if not _is_real(model_threshold) or not 0 < model_threshold < 1:
        raise SpecError(f"model_threshold must be a probability in (0, 1), got {model_threshold!r}")
    if not _is_real(friction_cost) or not 0 <= friction_cost < math.inf:
        raise SpecError(f"friction_cost must be a finite number >= 0, got {friction_cost!r}")
    relative = _CATEGORY_FRAUD / (_CATEGORY_SHARES @ _CATEGORY_FRAUD)
    return _Scenario(relative * float(fraud_rate), float(model_threshold), float(friction_cost))


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _blocks(n: int, seed: int, scenario: _Scenario) -> Iterator[tuple[Any, Any]]:
    """Yield (scored table, holdout table) per block of ``BLOCK_SIZE`` rows.

    Block ``b`` draws scored transactions from the stream ``(seed, b, 0)`` and holdout
    transactions from ``(seed, b, 1)``.
    """
    n = int(n)
    for block, first in enumerate(range(0, n, BLOCK_SIZE)):
        size = min(BLOCK_SIZE, n - first)
        scored_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 0)))
        holdout_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 1)))
        yield (
            _scored(scored_rng, size, _FIRST_SCORED_ID + first, scenario),
            _holdout(holdout_rng, size, _FIRST_HOLDOUT_ID + first, scenario),
        )


@dataclass(frozen=True)
class _Transactions:
    """One block of transactions: what every table is cut from."""

    category: IntArray
    is_fraud: npt.NDArray[np.bool_]
    amount: FloatArray
    log_prior: FloatArray  # log-odds of fraud given category and amount


def _transactions(rng: np.random.Generator, n: int, scenario: _Scenario) -> _Transactions:
    """Draw categories, fraud labels and amounts; fraud first, then the amount given fraud."""
    category = rng.choice(len(MERCHANT_CATEGORIES), size=n, p=_CATEGORY_SHARES)
    fraud_p = scenario.category_fraud[category]
    is_fraud = rng.random(n) < fraud_p
    z = rng.standard_normal(n)
    log_amount = np.where(
        is_fraud,
        np.log(_CATEGORY_MEDIAN[category] * _FRAUD_AMOUNT_RATIO) + _FRAUD_SIGMA * z,
        np.log(_CATEGORY_MEDIAN[category]) + _LEGIT_SIGMA * z,
    )
    amount = np.maximum(np.round(np.exp(log_amount), 2), 0.5)
    log_prior = np.log(fraud_p / (1.0 - fraud_p)) + _amount_log_ratio(log_amount, category)
    return _Transactions(category, is_fraud, amount, log_prior)


def _amount_log_ratio(log_amount: FloatArray, category: IntArray) -> FloatArray:
    """log f(amount | fraud) / f(amount | legit): both lognormal, so a quadratic in log amount."""
    legit_mu = np.log(_CATEGORY_MEDIAN[category])
    fraud_mu = legit_mu + math.log(_FRAUD_AMOUNT_RATIO)
    ratio: FloatArray = (
        math.log(_LEGIT_SIGMA / _FRAUD_SIGMA)
        - (log_amount - fraud_mu) ** 2 / (2 * _FRAUD_SIGMA**2)
        + (log_amount - legit_mu) ** 2 / (2 * _LEGIT_SIGMA**2)
    )
    return ratio


def _posterior(log_prior: FloatArray, signal: FloatArray, separation: float) -> FloatArray:
    """Fraud probability given the prior log-odds and a ``N(separation * fraud, 1)`` signal."""
    log_odds = log_prior + separation * signal - separation**2 / 2
    result: FloatArray = 1.0 / (1.0 + np.exp(-log_odds))
    return result


def _scored(rng: np.random.Generator, n: int, first_id: int, scenario: _Scenario) -> Any:
    """Draw one block of scored transactions with both models' scores."""
    txns = _transactions(rng, n, scenario)
    noise = rng.standard_normal((2, n))
    rho = _CHALLENGER_CORRELATION
    challenger_noise = rho * noise[0] + math.sqrt(1.0 - rho**2) * noise[1]
    signal = _SIGNAL * txns.is_fraud + noise[0]
    challenger_signal = _SIGNAL_CHALLENGER * txns.is_fraud + challenger_noise
    columns = [
        _arrow(first_id + np.arange(n, dtype=np.int64)),
        _arrow(txns.amount),
        _labels(MERCHANT_CATEGORIES, txns.category),
        _arrow(txns.is_fraud.astype(np.int64)),
        _arrow(np.round(_posterior(txns.log_prior, signal, _SIGNAL), 6)),
        _arrow(np.round(_posterior(txns.log_prior, challenger_signal, _SIGNAL_CHALLENGER), 6)),
    ]
    return pa.Table.from_arrays(columns, schema=_SCORED_SCHEMA)


def _holdout(rng: np.random.Generator, n: int, first_id: int, scenario: _Scenario) -> Any:
    """Draw one block of the blocking A/B test: each arm applies its own policy."""
    txns = _transactions(rng, n, scenario)
    use_model = rng.random(n) < 0.5
    noise = rng.standard_normal((2, n))
    score = _posterior(txns.log_prior, _SIGNAL * txns.is_fraud + noise[0], _SIGNAL)
    rule_signal = _RULE_SIGNAL * txns.is_fraud + noise[1]
    blocked = np.where(
        use_model,
        score >= scenario.model_threshold,
        rule_signal > _rule_cutoff(txns.amount, txns.category),
    )
    legit_blocked = blocked & ~txns.is_fraud
    columns = [
        _arrow(first_id + np.arange(n, dtype=np.int64)),
        _labels(HOLDOUT_ARMS, use_model.astype(np.int64)),
        _arrow(txns.amount),
        _arrow(txns.is_fraud.astype(np.int64)),
        _arrow(blocked.astype(np.int64)),
        _arrow(np.where(txns.is_fraud & ~blocked, txns.amount, 0.0)),
        _arrow(legit_blocked.astype(np.int64)),
        _arrow(legit_blocked * scenario.friction_cost),
    ]
    return pa.Table.from_arrays(columns, schema=_HOLDOUT_SCHEMA)


def _rule_cutoff(amount: FloatArray, category: IntArray) -> FloatArray:
    """The rules' signal cut-off: lower on large purchases in risky categories."""
    large_and_risky = (amount >= _RULE_LARGE_AMOUNT) & _RISKY_CATEGORIES[category]
    cutoff: FloatArray = np.where(large_and_risky, _RULE_LARGE_CUTOFF, _RULE_CUTOFF)
    return cutoff


def _truth(scenario: _Scenario) -> tuple[dict[str, float], dict[str, float]]:
    """Expected fraud loss and legitimate-block rate per transaction under each policy.

    Given category, amount and fraud status, each policy blocks with a normal probability
    (its signal is normal); the expectation over the lognormal amount is a fine-grid integral
    over the standard-normal log-amount.

    Returns:
        The rules' levels, and the model policy's changes (relative for fraud loss, absolute for
        the legitimate-block rate).
    """
    levels = {arm: {"fraud_loss": 0.0, "legit_blocked": 0.0} for arm in HOLDOUT_ARMS}
    logit_threshold = math.log(scenario.model_threshold / (1.0 - scenario.model_threshold))
    for code, share in enumerate(_CATEGORY_SHARES):
        prior = scenario.category_fraud[code]
        category = np.full(_GRID.size, code, dtype=np.int64)
        legit_mu = math.log(_CATEGORY_MEDIAN[code])
        for fraud, mu, sigma in (
            (False, legit_mu, _LEGIT_SIGMA),
            (True, legit_mu + math.log(_FRAUD_AMOUNT_RATIO), _FRAUD_SIGMA),
        ):
            log_amount = mu + sigma * _GRID
            amount = np.exp(log_amount)
            log_prior = math.log(prior / (1.0 - prior)) + _amount_log_ratio(log_amount, category)
            # The model blocks when its signal reaches (logit t - log prior + d^2 / 2) / d.
            model_cut = (logit_threshold - log_prior + _SIGNAL**2 / 2) / _SIGNAL
            p_block = {
                "model": ndtr(_SIGNAL * fraud - model_cut),
                "rules": ndtr(_RULE_SIGNAL * fraud - _rule_cutoff(amount, category)),
            }
            weight = float(share * (prior if fraud else 1.0 - prior))
            for arm in HOLDOUT_ARMS:
                if fraud:
                    loss = amount * (1.0 - p_block[arm]) @ _GRID_WEIGHTS
                    levels[arm]["fraud_loss"] += weight * float(loss)
                else:
                    levels[arm]["legit_blocked"] += weight * float(p_block[arm] @ _GRID_WEIGHTS)
    rules, model = levels["rules"], levels["model"]
    effects = {
        "fraud_loss": model["fraud_loss"] / rules["fraud_loss"] - 1.0,
        "legit_blocked": model["legit_blocked"] - rules["legit_blocked"],
    }
    return rules, effects
