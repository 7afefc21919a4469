"""The ROI engine: resolved lifts, a case's value model and costs → ROI, NPV, payback, intervals.

The engine is pure: it takes every driver's lift already resolved (from a readout, a decision
analysis or the case itself: see :mod:`mlroi.pipeline`, which runs a case) and does no I/O. The
case as a function of its inputs (:class:`~mlroi.roi.model.CaseModel`) is called three ways:

- at the point inputs (arrays of length 1) for the headline figures;
- with ``draws`` independent Monte Carlo draws of every uncertain input for the intervals and
  probabilities (inputs are assumed independent; a lift from a readout is drawn from the
  sampling distribution its interval was read with: estimate + standard error x Student's t on
  the readout's Welch degrees of freedom, the normal from 1,000 df on
  (:func:`~mlroi.spec.quantity.sampling_distribution`));
- with one input at the low and the high end of its range, the others at their points, for the
  one-at-a-time sensitivity (:mod:`~mlroi.roi.sensitivity`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlroi import formatting as fmt
from mlroi.assumption import Assumption
from mlroi.costs.items import describe_item
from mlroi.costs.ratecard import load_rate_card
from mlroi.costs.schedule import cost_parameters, cost_schedule
from mlroi.errors import SpecError
from mlroi.roi import finance, whatif
from mlroi.roi.assumptions import roi_assumptions
from mlroi.roi.break_even import break_even, driver_break_even
from mlroi.roi.model import CaseModel, FloatArray, figure
from mlroi.roi.result import (
    Bins,
    CostLine,
    DriverValue,
    LiftInput,
    Period,
    PeriodConversion,
    RoiResult,
)
from mlroi.roi.sensitivity import sensitivity
from mlroi.spec.case import Case
from mlroi.spec.quantity import Quantity, draw, is_uncertain, point
from mlroi.stats.interval import Interval
from mlroi.value.fitted import FittedShape
from mlroi.value.model import CausalLift, DecisionLift, ExperimentLift

if TYPE_CHECKING:
    from mlroi.causal.result import CausalResult
    from mlroi.decision.result import DecisionResult
    from mlroi.experiment.result import ExperimentResult

IRR_DRAWS = 20_000

TIMING = (
    "monthly cash flows; month t = 1..H is discounted by (1 + r)^(t/12) at the annual rate r; "
    "one-time costs in month 0 are paid at the start and not discounted; for payback, a month's "
    "costs are paid at its start and its value is earned evenly through it"
)


@dataclass(frozen=True)
class ResolvedLift:
    """One driver's lift as the engine takes it: what the report says, and what is drawn.

    Attributes:
        info: the lift as the result reports it (estimate, standard error, source).
        quantity: its distribution, drawn for the Monte Carlo and bounded for the sensitivity.
    """

    info: LiftInput
    quantity: Quantity


def roi_from_lifts(
    case: Case,
    lifts: Sequence[ResolvedLift],
    *,
    experiment: ExperimentResult | None = None,
    accept_failed_checks: str | None = None,
    decision: DecisionResult | None = None,
    fitted: FittedShape | None = None,
    causal: CausalResult | None = None,
) -> RoiResult:
    """The ROI of ``case`` given every driver's lift: headline figures, intervals, sensitivity.

    Args:
        case: the validated case.
        lifts: one resolved lift per driver of ``case.value``, in driver order.
        experiment: the experiment's readout the lifts came from, if any: kept in the result.
            When a driver takes its lift from it, its failed checks (SRM, guardrails) withhold
            the headline (:attr:`RoiResult.withheld`); otherwise they are notes.
        accept_failed_checks: why to give the headline despite failed checks (the command
            line's or the case's words); None withholds it.
        decision: the decision analysis the lifts came from, if any: when a driver takes its
            value from it, the value model's inputs join the result's assumptions (named
            ``decision.NAME``).
        fitted: the retention analysis's fitted decay, when the case's ``value.decay`` asks
            for it (:mod:`mlroi.value.fitted`): its parameters are drawn jointly.
        causal: the observational estimate the lifts came from, if any: when a driver takes
            its lift from it, its failed blocking diagnostics (overlap, pre-trend, pre-period
            fit) withhold the headline as a readout's failed checks do.

    Returns:
        The ROI result.

    Raises:
        ValueError: ``lifts`` does not hold one lift per driver, or ``fitted`` is given
            without ``value.decay: {retention: fitted}`` or missing with it.
    """
    if len(lifts) != len(case.value.drivers):
        raise ValueError(
            f"lifts: expected one per value driver ({len(case.value.drivers)}), got {len(lifts)}"
        )
    if (case.value.fitted_decay is None) != (fitted is None):
        raise ValueError(
            "fitted: give the fitted decay exactly when value.decay is {retention: fitted}"
        )
    lift_inputs = [lift.info for lift in lifts]
    quantities: dict[str, Quantity] = {
        f"value.drivers[{i}].lift": lift.quantity for i, lift in enumerate(lifts)
    }
    quantities.update(case.value.parameters())
    quantities.update(
        {f"value.drivers[{i}].per_month": case.months_per(i) for i in range(len(lifts))}
    )
    quantities.update(cost_parameters(case.costs))
    if fitted is not None:
        quantities.update(fitted.quantities())
    rate_card = load_rate_card(case.rate_card)
    model = CaseModel(case, rate_card, quantities)
    sim = case.simulation
    rate = case.finance.discount_rate
    horizon = case.finance.horizon_months

    at_point = model.flows(model.at_points(), 1)
    uncertain = any(is_uncertain(q) for q in quantities.values())
    n = sim.draws if uncertain else 1  # nothing to draw: every draw would be the point
    rng = np.random.default_rng(sim.seed)
    drawn = {
        k: draw(q, rng, n) if is_uncertain(q) else np.array([point(q)])
        for k, q in sorted(quantities.items())
    }
    if fitted is not None and n > 1:  # the fit's parameters are correlated: drawn together
        drawn.update(fitted.joint_draws(rng, n))
    drawn_figures, irr_of_draws = _figures_of_draws(model, drawn, n, rate)

    def of_draws(name: str) -> FloatArray:
        return drawn_figures[name]

    def estimate(name: str) -> Interval:
        p = float(figure(at_point, name, rate)[0])
        return _interval(of_draws(name), p, sim.level)

    # IRR needs an iterative root per draw: its interval comes from the first IRR_DRAWS draws
    irr_draws = min(IRR_DRAWS, n)
    irr = _interval(irr_of_draws, float(figure(at_point, "irr", rate)[0]), sim.level)

    npv_mc = of_draws("npv")
    payback_mc = of_draws("payback")
    point_costs = cost_schedule(case.costs, horizon, rate_card, currency=case.finance.currency)
    item_totals = point_costs.item_totals
    assert item_totals is not None  # a one-draw schedule keeps its items
    failed, notes = _checks(case, experiment, causal)
    periods = _periods(model)

    return RoiResult(
        case=case.name,
        currency=case.finance.currency,
        value_label=case.value_label,
        horizon_months=horizon,
        discount_rate=rate,
        timing=TIMING,
        level=sim.level,
        draws=n,
        seed=sim.seed,
        total_value=estimate("total_value"),
        total_cost=estimate("total_cost"),
        net_value=estimate("net_value"),
        return_multiple=estimate("return_multiple"),
        net_roi=estimate("net_roi"),
        npv=estimate("npv"),
        irr=irr,
        irr_draws=irr_draws,
        payback_months=estimate("payback"),
        p_net_roi_positive=float(np.mean(of_draws("total_value") > of_draws("total_cost"))),
        p_npv_positive=float(np.mean(npv_mc > 0)),
        p_payback_within_horizon=float(np.mean(np.isfinite(payback_mc))),
        break_even=break_even(model, at_point, lift_inputs),
        sensitivity=sensitivity(model),
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
        schedule=_schedule(at_point),
        rate_card_date=point_costs.rate_card_date,
        model_metrics=tuple(case.model_metrics.items()),
        notes=notes,
        experiment=experiment,
        drivers=_driver_values(model, at_point, drawn, lift_inputs, sim.level),
        what_if=whatif.flows(model),
        failed_checks=failed,
        checks_accepted=accept_failed_checks or case.accept_failed_checks if failed else None,
        uncertain=uncertain,
        net_roi_bins=_bins(of_draws("net_roi")) if uncertain else None,
        assumptions=_decision_inputs(case, decision)
        + roi_assumptions(
            case, lift_inputs, rate_card, () if fitted is None else fitted.assumptions()
        ),
        periods=periods,
        warnings=_implausible(case, periods),
        effect_shape=fitted,
    )


CHUNK = 5_000
"""Draws simulated at a time: the schedules of 100,000 draws over a few years would hold
hundreds of MB at once; every figure is one number per draw, the same whichever draws are
simulated with it."""

DRAWN_FIGURES = (
    "total_value",
    "total_cost",
    "net_value",
    "return_multiple",
    "net_roi",
    "npv",
    "payback",
)


def _chunks(drawn: dict[str, FloatArray], n: int) -> Iterator[tuple[dict[str, FloatArray], int]]:
    """The draws :data:`CHUNK` at a time: every input of length ``n`` sliced, the others (one
    value) as they are, with the number of draws in the chunk."""
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        yield {k: v[start:stop] if len(v) == n else v for k, v in drawn.items()}, stop - start


def _figures_of_draws(
    model: CaseModel, drawn: dict[str, FloatArray], n: int, rate: float
) -> tuple[dict[str, FloatArray], FloatArray]:
    """Each of :data:`DRAWN_FIGURES` per draw, and the IRR of the first :data:`IRR_DRAWS`
    draws, simulated :data:`CHUNK` draws at a time (the IRR as soon as its draws are in, while
    little else is held)."""
    parts: dict[str, list[FloatArray]] = {name: [] for name in DRAWN_FIGURES}
    irr_net: list[FloatArray] = []
    irr: FloatArray | None = None
    done = 0
    for params, size in _chunks(drawn, n):
        try:
            flows = model.flows(params, size)
        except SpecError:
            model.flows(drawn, n)  # the error as all the draws give it (largest input, amount)
            raise
        if done < IRR_DRAWS:
            irr_net.append(flows.value[: IRR_DRAWS - done] - flows.cost[: IRR_DRAWS - done])
        done += size
        if irr is None and (done >= IRR_DRAWS or done == n):
            net = np.concatenate(irr_net)
            irr_net.clear()
            irr = finance.irr(net)
            del net
        for name in DRAWN_FIGURES:
            parts[name].append(figure(flows, name, rate))
    assert irr is not None  # n >= 1
    return {name: np.concatenate(p) for name, p in parts.items()}, irr


def _decision_inputs(case: Case, decision: DecisionResult | None) -> tuple[Assumption, ...]:
    """The decision's value-model inputs, when a driver takes its value from the decision."""
    if decision is None or not any(isinstance(d.lift, DecisionLift) for d in case.value.drivers):
        return ()
    return tuple(dataclasses.replace(a, name=f"decision.{a.name}") for a in decision.assumptions)


def _periods(model: CaseModel) -> tuple[PeriodConversion, ...]:
    """Each driver's value over its stated period and over a month, at the point inputs."""
    case = model.case
    at = model.at_points()
    out = []
    for i, d in enumerate(case.value.drivers):
        base = f"value.drivers[{i}]"
        per_period = float(
            at[f"{base}.lift"][0]
            * at[f"{base}.value_per_unit"][0]
            * at[f"{base}.margin"][0]
            * at[f"{base}.units_per_month"][0]
        )
        factor = case.months_per(i)
        out.append(
            PeriodConversion(
                driver=d.name,
                per=d.per or "month",
                stated=d.per is not None,
                window_days=case.window_days if d.per == "window" else None,
                months_per=factor,
                per_period=per_period,
                per_month=per_period * factor,
            )
        )
    return tuple(out)


PLAUSIBLE_MULTIPLE = 100
"""A driver worth more than this multiple of what the whole population spends is flagged."""


def _implausible(case: Case, periods: Sequence[PeriodConversion]) -> tuple[str, ...]:
    """A warning for each value driver worth over :data:`PLAUSIBLE_MULTIPLE` times the
    population's spend a month (``population.size x population.spend_per_month``)."""
    pop = case.population
    if pop.size is None or pop.spend_per_month is None:
        return ()
    spend = pop.size * pop.spend_per_month
    c = case.finance.currency
    out = []
    for i, (d, p) in enumerate(zip(case.value.drivers, periods, strict=True)):
        if d.counts_as == "value" and abs(p.per_month) > PLAUSIBLE_MULTIPLE * spend:
            out.append(
                f"value.drivers[{i}] ({d.name}) is worth {fmt.money(p.per_month, c)} a "
                f"month, over {PLAUSIBLE_MULTIPLE}x what the whole population spends "
                f"({fmt.money(spend, c)} a month: population.size x "
                "population.spend_per_month); check its lift, per, value_per_unit and "
                "units_per_month."
            )
    return tuple(out)


def _bins(draws: FloatArray, bins: int = 40) -> Bins | None:
    """A histogram of the finite draws between their 0.5% and 99.5% quantiles."""
    ok = draws[np.isfinite(draws)]
    if ok.size == 0:
        return None
    lo, hi = np.quantile(ok, [0.005, 0.995])
    if not hi > lo:
        return None
    counts, edges = np.histogram(ok, bins=bins, range=(float(lo), float(hi)))
    return Bins(
        edges=tuple(float(e) for e in edges),
        counts=tuple(int(c) for c in counts),
        below=int((ok < lo).sum()),
        above=int((ok > hi).sum()),
    )


def _driver_values(
    model: CaseModel,
    at_point: finance.CashFlows,
    drawn: dict[str, FloatArray],
    lifts: Sequence[LiftInput],
    level: float,
) -> tuple[DriverValue, ...]:
    """Each driver's value over the horizon with its interval, share and break-even lift."""
    value_model = model.case.value
    horizon = model.horizon
    n = max(len(v) for v in drawn.values())
    points = model.at_points()
    count = len(value_model.drivers)

    def alone(i: int, params: dict[str, FloatArray], size: int) -> FloatArray:
        only = {
            j: params[f"value.drivers[{j}].lift"] if j == i else np.zeros(size)
            for j in range(count)
        }
        d = value_model.drivers[i]
        flows = value_model.schedule(horizon, only, params, d.counts_as, d.unit)
        return np.asarray(np.broadcast_to(flows, (size, horizon + 1)).sum(axis=1))

    def alone_drawn(i: int) -> FloatArray:
        return np.concatenate([alone(i, params, size) for params, size in _chunks(drawn, n)])

    totals = [float(alone(i, points, 1)[0]) for i in range(count)]
    money = [d.counts_as == "value" and d.unit == "currency" for d in value_model.drivers]
    value_total = sum(t for t, m in zip(totals, money, strict=True) if m)
    bases = value_model.bases(model.case.basis_defaults())
    out = []
    for i, d in enumerate(value_model.drivers):
        lift, direction = driver_break_even(model, at_point, i, lifts[i].estimate)
        out.append(
            DriverValue(
                driver=d.name,
                counts_as=d.counts_as,
                total=_interval(alone_drawn(i), totals[i], level),
                share=totals[i] / value_total if money[i] and value_total != 0 else None,
                measured_lift=lifts[i].estimate,
                break_even_lift=lift,
                direction=direction,
                basis=bases[i],
                unit=d.unit,
            )
        )
    return tuple(out)


def _interval(samples: FloatArray, at_point: float, level: float) -> Interval:
    """Central ``level`` quantiles of the draws; undefined when over 1% of draws are NaN."""
    undefined = np.isnan(samples)
    if undefined.mean() > 0.01:
        return Interval(at_point, math.nan, math.nan)
    # no interpolation: an interval end may be infinite (never pays back)
    return Interval.of(samples, at_point, level)


def _measured_costs(model: CaseModel, lifts: Sequence[LiftInput]) -> tuple[CostLine, ...]:
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
                description=f"lift of {lift.metric or d.name} {fmt.signed(lift.estimate)} per unit "
                f"({lift.source}) x units reached",
            )
        )
    return tuple(out)


def _schedule(flows: finance.CashFlows) -> tuple[Period, ...]:
    value, cost = flows.value[0], flows.cost[0]
    cumulative = np.cumsum(value - cost)
    return tuple(
        Period(month=t, value=float(value[t]), cost=float(cost[t]), cumulative_net=float(c))
        for t, c in enumerate(cumulative)
    )


def _checks(
    case: Case, readout: ExperimentResult | None, causal: CausalResult | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The readout's failed checks that undermine the ROI, and the notes on the case.

    A failed check of an experiment that no driver takes its lift from is a note: it does not
    touch the figures.
    """
    failed: list[str] = []
    notes: list[str] = []
    if readout is not None:
        used = any(isinstance(d.lift, ExperimentLift) for d in case.value.drivers)
        checks = readout.failures()
        if used:
            failed = checks
        else:
            notes += [f"The experiment (not used by the ROI) fails a check: {c}" for c in checks]
    if causal is not None:
        used = any(isinstance(d.lift, CausalLift) for d in case.value.drivers)
        lines = [f"{c.name}: {c.detail}" for c in causal.failed_checks if c.blocking]
        if used:
            failed += lines
        else:
            notes += [
                f"The observational estimate (not used by the ROI) fails a check: {c}"
                for c in lines
            ]
    days = case.window_days
    for i, d in enumerate(case.value.drivers):
        if days is not None and d.per is None and isinstance(d.lift, ExperimentLift):
            notes.append(
                f"value.drivers[{i}] ({d.name}) states no period and is read per month, while "
                f"the experiment's metrics cover {days:g} days: say `per: window` if its lift "
                "is over that window."
            )
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
    return tuple(failed), tuple(notes)
