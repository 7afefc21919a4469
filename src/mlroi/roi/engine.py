"""The ROI engine: a case's lift, value model and costs → ROI, NPV, payback, with intervals.

Every numeric input of a case has a path (``value.drivers[0].margin``, ``costs[2].hours``) and a
:mod:`quantity <mlroi.spec.quantity>`. One vectorised function turns arrays of inputs into monthly
value and cost schedules, and is called three ways:

- at the point inputs (arrays of length 1) for the headline figures;
- with ``draws`` independent Monte Carlo draws of every uncertain input for the intervals and
  probabilities (inputs are assumed independent; a lift from a readout is drawn from its normal
  sampling distribution, Normal(estimate, standard error));
- with one input at the low and the high end of its range, the others at their points, for the
  one-at-a-time sensitivity (tornado).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mlroi.costs.items import describe_item
from mlroi.costs.ratecard import RateCard, load_rate_card
from mlroi.costs.schedule import cost_parameters, cost_schedule
from mlroi.errors import EstimationError, SpecError
from mlroi.experiment.result import Comparison, ExperimentResult
from mlroi.roi import finance
from mlroi.roi.result import (
    BreakEven,
    CostLine,
    LiftInput,
    Period,
    RoiResult,
    Swing,
)
from mlroi.spec.case import Case
from mlroi.spec.quantity import Normal, Quantity, bounds, describe, draw, is_uncertain, point
from mlroi.stats.interval import Interval as Estimate
from mlroi.value.model import DecisionLift, ExperimentLift, ManualLift

if TYPE_CHECKING:
    from mlroi.decision.result import DecisionResult

FloatArray = npt.NDArray[np.float64]
IRR_DRAWS = 20_000

TIMING = (
    "monthly cash flows; month t = 1..H is discounted by (1 + r)^(t/12) at the annual rate r; "
    "one-time costs in month 0 are paid at the start and not discounted; for payback, a month's "
    "costs are paid at its start and its value is earned evenly through it"
)


@dataclass(frozen=True)
class _Model:
    case: Case
    rate_card: RateCard
    quantities: Mapping[str, Quantity]

    @property
    def horizon(self) -> int:
        return self.case.finance.horizon_months

    def flows(self, params: Mapping[str, FloatArray], n: int) -> finance.CashFlows:
        """Value and cost schedules, shape (n, horizon + 1), for arrays of inputs."""
        value_model = self.case.value
        lifts = {i: params[f"value.drivers[{i}].lift"] for i in range(len(value_model.drivers))}
        value = value_model.schedule(self.horizon, lifts, params)
        measured_cost = value_model.schedule(self.horizon, lifts, params, "cost")
        shape = (n, self.horizon + 1)
        per_draw = {k: np.broadcast_to(v, (n,)) for k, v in params.items()}
        costs = cost_schedule(
            self.case.costs,
            self.horizon,
            self.rate_card,
            params=per_draw,
            n=n,
            currency=self.case.finance.currency,
        )
        return finance.CashFlows(
            value=np.broadcast_to(value, shape),
            cost=np.broadcast_to(costs.total + measured_cost, shape),
        )

    def at_points(self, **override: FloatArray) -> dict[str, FloatArray]:
        out = {k: np.array([point(q)]) for k, q in self.quantities.items()}
        out.update(override)
        return out


def _lift_from_readout(
    case: Case, i: int, spec: ExperimentLift, result: ExperimentResult
) -> tuple[LiftInput, Quantity]:
    assert case.experiment is not None  # checked by the case model
    arm = spec.arm or case.experiment.treatments[0]
    pool: tuple[Comparison, ...] = result.comparisons
    if spec.segment is not None:
        column, _, level = spec.segment.partition("=")
        pool = tuple(c for c in result.segments if (c.segment, c.segment_value) == (column, level))
        if not pool:
            raise SpecError(
                f"value.drivers[{i}].lift.segment: no readout segment {spec.segment!r}; write "
                "`column=value` with a column listed under experiment.segments"
            )
    found = [c for c in pool if c.metric == spec.metric and c.arm == arm]
    if not found:
        raise SpecError(f"value.drivers[{i}].lift: the readout has no {spec.metric!r} for {arm!r}")
    c = found[0]
    if c.status != "ok" or c.absolute is None:
        raise EstimationError(
            f"value.drivers[{i}].lift: cannot value {spec.metric!r}: the readout could not "
            f"estimate it ({c.reason})"
        )
    driver = case.value.drivers[i]
    where = f"experiment readout, {arm} vs {c.control}" + (
        f", segment {spec.segment}" if spec.segment else ""
    )
    q = Normal(normal=(c.absolute.estimate, c.absolute.std_error))
    return (
        LiftInput(
            driver=driver.name,
            metric=spec.metric,
            source=where,
            estimate=c.absolute.estimate,
            std_error=c.absolute.std_error,
            distribution=describe(q),
            control_value=c.control_value,
        ),
        q,
    )


def _manual_lift(case: Case, i: int) -> tuple[LiftInput, Quantity]:
    from scipy import special

    driver = case.value.drivers[i]
    spec = driver.lift
    assert isinstance(spec, ManualLift)
    q: Quantity = spec.estimate
    sd: float | None = None
    if spec.interval is not None:
        lo, hi = spec.interval
        sd = (hi - lo) / (2 * float(special.ndtri((1 + spec.level) / 2)))
        q = Normal(normal=(point(spec.estimate), sd))
    return (
        LiftInput(
            driver=driver.name,
            metric=None,
            source=spec.source or "entered by hand",
            estimate=point(q),
            std_error=sd,
            distribution=describe(q),
        ),
        q,
    )


def _lift_from_decision(
    case: Case, i: int, spec: DecisionLift, result: DecisionResult
) -> tuple[LiftInput, Quantity]:
    """Value per eligible row: the estimate, with the bootstrap's per-row spread (conditioned
    on the rows drawn) and the parameters' spread combined as independent normal errors."""
    driver = case.value.drivers[i]
    where = f"value.drivers[{i}].lift"
    rows = result.rows
    challenger = spec.decision == "challenger"
    models = [result.champion] + ([result.challenger] if challenger and result.challenger else [])
    for m in models:
        if m.point is None:
            raise EstimationError(
                f"{where}: the decision analysis found no feasible threshold for {m.column} "
                f"({m.decision.reason})"
            )
    errors: list[float | None] = []
    if challenger:
        c = result.comparison
        assert c is not None and result.challenger is not None  # checked by the case model
        total = c.value
        # the paired bootstrap's difference per row; the parameters move both models alike
        errors.append(c.std_error_per_row)
        source = "offline decision analysis, challenger minus champion at their optimal thresholds"
    else:
        m = result.champion
        total = m.incremental_value
        boot = m.bootstrap
        errors.append(None if boot is None else boot.incremental_value_per_row.standard_error)
        if m.parameters is not None:
            errors.append(m.parameters.incremental_value.std_error / rows)
        assert m.point is not None
        source = f"offline decision analysis, acting on {m.column} >= {m.point['threshold']:.4g}"
    known = [e for e in errors if e is not None and math.isfinite(e)]
    sd = math.sqrt(sum(e * e for e in known)) if known else None
    estimate = total / rows
    q: Quantity = estimate if sd is None else Normal(normal=(estimate, sd))
    return (
        LiftInput(
            driver=driver.name,
            metric=None,
            source=source + " (value per eligible row)",
            estimate=estimate,
            std_error=sd,
            distribution=describe(q),
        ),
        q,
    )


def _resolve_lifts(
    case: Case, result: ExperimentResult | None, decision: DecisionResult | None = None
) -> tuple[list[LiftInput], dict[str, Quantity]]:
    inputs: list[LiftInput] = []
    quantities: dict[str, Quantity] = {}
    for i, d in enumerate(case.value.drivers):
        if isinstance(d.lift, DecisionLift):
            assert decision is not None
            info, q = _lift_from_decision(case, i, d.lift, decision)
        elif isinstance(d.lift, ExperimentLift):
            assert result is not None
            info, q = _lift_from_readout(case, i, d.lift, result)
        else:
            info, q = _manual_lift(case, i)
        inputs.append(info)
        quantities[f"value.drivers[{i}].lift"] = q
    return inputs, quantities


def _primary_driver(case: Case) -> int:
    """The driver of the primary metric; else the first driver that counts as value."""
    for i, d in enumerate(case.value.drivers):
        metric = d.lift.metric if isinstance(d.lift, ExperimentLift) else None
        if case.primary_metric in (d.name, metric):
            return i
    return next(i for i, d in enumerate(case.value.drivers) if d.counts_as == "value")


def _interval(samples: FloatArray, at_point: float, level: float) -> Estimate:
    """Central ``level`` quantiles of the draws; undefined when over 1% of draws are NaN."""
    undefined = np.isnan(samples)
    if undefined.mean() > 0.01:
        return Estimate(at_point, math.nan, math.nan)
    # no interpolation: an interval end may be infinite (never pays back)
    lo, hi = np.quantile(
        samples[~undefined], [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf"
    )
    return Estimate(at_point, float(lo), float(hi))


def evaluate(
    case: Case,
    *,
    readout: ExperimentResult | None = None,
    decision: DecisionResult | None = None,
    base: Path | None = None,
) -> RoiResult:
    """The ROI of ``case``: headline figures, intervals, probabilities, sensitivity.

    Args:
        case: the validated case.
        readout: the experiment's result, when already computed; otherwise the case's
            ``experiment:`` section is read out here (only when a driver needs it).
        decision: the decision analysis' result, when already computed; otherwise the case's
            ``decision:`` section is analysed here (only when a driver needs it).
        base: folder that relative paths in the case are resolved against.

    Raises:
        SpecError: a reference in the case does not resolve.
        EstimationError: a lift the case needs could not be estimated.
    """
    needs_readout = any(isinstance(d.lift, ExperimentLift) for d in case.value.drivers)
    if needs_readout and readout is None:
        from mlroi.experiment.readout import readout as run_readout

        assert case.experiment is not None
        readout = run_readout(config=case.experiment, base=base)
    if decision is None and any(isinstance(d.lift, DecisionLift) for d in case.value.drivers):
        from mlroi.decision.analysis import decide

        assert case.decision is not None
        decision = decide(
            case.decision,
            base=base,
            seed=case.simulation.seed,
            level=case.simulation.level,
            currency=case.finance.currency,
        )
    lift_inputs, lift_quantities = _resolve_lifts(case, readout, decision)
    rate_card = load_rate_card(case.rate_card)
    quantities: dict[str, Quantity] = {**lift_quantities, **case.value.parameters()}
    quantities.update(cost_parameters(case.costs))
    model = _Model(case, rate_card, quantities)
    sim = case.simulation
    rate = case.finance.discount_rate
    horizon = case.finance.horizon_months

    at_point = model.flows(model.at_points(), 1)
    rng = np.random.default_rng(sim.seed)
    drawn = {
        k: draw(q, rng, sim.draws) if is_uncertain(q) else np.array([point(q)])
        for k, q in sorted(quantities.items())
    }
    mc = model.flows(drawn, sim.draws)

    def figure(name: str) -> Estimate:
        p = float(_metric(at_point, name, rate)[0])
        return _interval(_metric(mc, name, rate), p, sim.level)

    # IRR needs an iterative root per draw: its interval comes from the first IRR_DRAWS draws
    irr_flows = finance.CashFlows(value=mc.value[:IRR_DRAWS], cost=mc.cost[:IRR_DRAWS])
    irr_draws = min(IRR_DRAWS, sim.draws)
    irr = _interval(
        _metric(irr_flows, "irr", rate), float(_metric(at_point, "irr", rate)[0]), sim.level
    )

    npv_mc = mc.npv(rate)
    payback_mc = mc.payback_months()
    point_costs = cost_schedule(case.costs, horizon, rate_card, currency=case.finance.currency)
    schedule = _schedule(at_point)
    item_totals = point_costs.item_totals
    assert item_totals is not None  # a one-draw schedule keeps its items

    return RoiResult(
        case=case.name,
        currency=case.finance.currency,
        value_label=case.value.label,
        horizon_months=horizon,
        discount_rate=rate,
        timing=TIMING,
        level=sim.level,
        draws=sim.draws,
        seed=sim.seed,
        total_value=figure("total_value"),
        total_cost=figure("total_cost"),
        net_value=figure("net_value"),
        return_multiple=figure("return_multiple"),
        net_roi=figure("net_roi"),
        npv=figure("npv"),
        irr=irr,
        irr_draws=irr_draws,
        payback_months=figure("payback"),
        p_net_roi_positive=float(np.mean(mc.total_value > mc.total_cost)),
        p_npv_positive=float(np.mean(npv_mc > 0)),
        p_payback_within_horizon=float(np.mean(np.isfinite(payback_mc))),
        break_even=_break_even(model, at_point, lift_inputs),
        sensitivity=_sensitivity(model),
        lifts=tuple(lift_inputs),
        costs=tuple(
            CostLine(
                name=item.name,
                category=item.category,
                total=float(total),
                description=describe_item(item, rate_card, case.finance.currency),
            )
            for item, total in zip(case.costs, item_totals, strict=True)
        )
        + _measured_costs(model, lift_inputs),
        schedule=schedule,
        rate_card_date=point_costs.rate_card_date,
        model_metrics=tuple(case.model_metrics.items()),
        notes=_notes(case, readout),
        experiment=readout,
    )


def _measured_costs(model: _Model, lifts: list[LiftInput]) -> tuple[CostLine, ...]:
    """Drivers booked as costs (e.g. discounts given), at their point inputs."""
    out = []
    params = model.at_points()
    for i, d in enumerate(model.case.value.drivers):
        if d.counts_as != "cost":
            continue
        total = float(model.case.value.value_per_lift(i, model.horizon, params).sum())
        lift = lifts[i]
        out.append(
            CostLine(
                name=d.name,
                category="measured",
                total=total * lift.estimate,
                description=f"lift of {lift.metric or d.name} {lift.estimate:+.4g} per unit "
                f"({lift.source}) x units reached",
            )
        )
    return tuple(out)


def _metric(flows: finance.CashFlows, name: str, rate: float) -> FloatArray:
    """One headline figure per draw; every figure is defined once, on :class:`CashFlows`."""
    figures: dict[str, Callable[[], FloatArray]] = {
        "total_value": lambda: flows.total_value,
        "total_cost": lambda: flows.total_cost,
        "net_value": lambda: flows.total_value - flows.total_cost,
        "return_multiple": lambda: flows.return_multiple,
        "net_roi": lambda: flows.net_roi,
        "npv": lambda: flows.npv(rate),
        "irr": flows.irr,
        "payback": flows.payback_months,
    }
    return np.asarray(figures[name](), dtype=np.float64)


def _schedule(flows: finance.CashFlows) -> tuple[Period, ...]:
    value, cost = flows.value[0], flows.cost[0]
    cumulative = np.cumsum(value - cost)
    return tuple(
        Period(month=t, value=float(value[t]), cost=float(cost[t]), cumulative_net=float(c))
        for t, c in enumerate(cumulative)
    )


def _break_even(model: _Model, at_point: finance.CashFlows, lifts: list[LiftInput]) -> BreakEven:
    """NPV is linear in each lift and in a common factor on every cost: solve each for NPV = 0."""
    case = model.case
    rate = case.finance.discount_rate
    i = _primary_driver(case)
    info = lifts[i]
    driver = case.value.drivers[i]
    per_lift = float(
        finance.npv(case.value.value_per_lift(i, model.horizon, model.at_points()), rate)[0]
    )
    slope = per_lift if driver.counts_as == "value" else -per_lift  # NPV per unit of lift
    npv_now = float(at_point.npv(rate)[0])
    lift: float | None = None
    relative: float | None = None
    if slope != 0:
        lift = info.estimate - npv_now / slope
        if info.control_value is not None and info.control_value > 0:
            relative = lift / info.control_value
    pv_value = float(finance.npv(at_point.value, rate)[0])
    pv_cost = float(finance.npv(at_point.cost, rate)[0])
    scale = 1 / float(finance.break_even_scale(pv_value, pv_cost)) if pv_cost > 0 else None
    return BreakEven(
        driver=info.driver,
        metric=info.metric,
        measured_lift=info.estimate,
        lift=lift,
        lift_relative=relative,
        direction="at least" if slope > 0 else "at most",
        cost_total=scale * float(at_point.total_cost[0])
        if scale is not None and scale > 0
        else None,
        cost_multiple=scale,
    )


def _sensitivity(model: _Model) -> tuple[Swing, ...]:
    level = model.case.simulation.level
    rate = model.case.finance.discount_rate
    swings = []
    for path, q in model.quantities.items():
        if not is_uncertain(q):
            continue
        lo, hi = bounds(q, level)
        flows = model.flows(model.at_points(**{path: np.array([lo, hi])}), 2)
        npv = finance.npv(flows.net, rate)
        roi = _metric(flows, "net_roi", rate)
        swings.append(
            Swing(
                parameter=path,
                label=_label(model.case, path),
                low=lo,
                high=hi,
                npv_low=float(npv[0]),
                npv_high=float(npv[1]),
                net_roi_low=float(roi[0]),
                net_roi_high=float(roi[1]),
            )
        )
    return tuple(sorted(swings, key=lambda s: (-s.width, s.parameter)))


def _label(case: Case, path: str) -> str:
    """``value.drivers[0].margin`` → ``incremental revenue: margin``."""
    head, _, field = path.rpartition(".")
    for prefix, items in (("value.drivers", case.value.drivers), ("costs", case.costs)):
        for i, item in enumerate(items):
            if head == f"{prefix}[{i}]":
                return f"{item.name}: {field.replace('_', ' ')}"
    return path.removeprefix("value.").replace("_", " ")


def _notes(case: Case, readout: ExperimentResult | None) -> tuple[str, ...]:
    notes = []
    if readout is not None and readout.srm.mismatch:
        notes.append(
            "The experiment fails its sample-ratio check: its lift, and so this ROI, may be biased."
        )
    if readout is not None:
        failed = [g for g in readout.guardrails if g.status == "fail"]
        notes += [f"Guardrail {g.metric} fails for {g.arm}: {g.reason}" for g in failed]
    if case.value.growth != 0:
        notes.append(
            "Population growth raises value only; usage-based costs (requests, hours, storage) "
            "are held as written: raise them too if they grow with the population."
        )
    if case.value.decay == 0 and case.finance.horizon_months > 12:
        notes.append(
            "The effect is assumed not to decay over a horizon longer than a year; "
            "set value.decay if it fades."
        )
    return tuple(notes)
