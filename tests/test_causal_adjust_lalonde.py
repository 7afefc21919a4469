"""LaLonde's NSW job-training data: the experimental benchmark and what each estimator gives
when the experimental controls are replaced by the CPS comparison sample.

The NSW experiment gives $1,794 (Dehejia & Wahba 1999): the difference in mean 1978 earnings of
the 185 treated and the 260 randomised controls. Against the 15,992 CPS men the naive
difference is about -$8,498: CPS men earned far more before and after, so unadjusted, training
looks harmful. Adjusting for LaLonde's eight covariates (linear) brings every estimator to
$1,100-$1,350, within about one standard error of the benchmark but short of it: overlap is
poor (9.7% of the treated have a propensity above 0.99 and are trimmed, just under the 10%
limit, and 90% of CPS men have a propensity under 0.01), so the estimates lean on a few CPS men
who look like trainees and on the outcome model's linear extrapolation. Dehejia and Wahba's
specification (age and education squared, no earnings in 1974 and 1975) balances better and
brings the estimates to $1,500-$1,800. The ATE over the CPS population is withheld: almost
none of the CPS men could have been trainees, so the effect on "every user" has no support.
Numbers are pinned to the cent as this implementation computes them (a regression test), the
benchmark itself exactly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlroi.causal.adjust import analyse_adjustment
from mlroi.spec.causal_adjust import AdjustmentConfig

DATA = Path(__file__).parent / "data" / "causal" / "lalonde.csv.gz"
LALONDE = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]
DEHEJIA_WAHBA = [*LALONDE, "age2", "educ2", "u74", "u75"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    d = pd.read_csv(DATA)
    return d.assign(
        age2=d.age**2,
        educ2=d.educ**2,
        u74=(d.re74 == 0).astype(float),
        u75=(d.re75 == 0).astype(float),
    )


def _analyse(frame: pd.DataFrame, covariates: list[str], estimand: str = "att"):
    config = AdjustmentConfig(
        source={"path": str(DATA)},
        unit=None,
        treatment="treat",
        outcome="re78",
        outcome_unit="1978 earnings in USD",
        covariates=covariates,
        estimand=estimand,
    )
    return analyse_adjustment(config, table=frame)


def test_experimental_difference_is_the_published_1794(data: pd.DataFrame) -> None:
    r = _analyse(data[data["sample"] != "cps"], LALONDE)
    assert r.naive.estimate == pytest.approx(1794.34, abs=0.005)
    # with randomised controls, adjustment moves the estimate by little
    got = {k: round(v.estimate, 2) for k, v in r.estimates.items()}
    assert got == {"regression": 1787.76, "ipw": 1806.42, "aipw": 1797.5}


def test_cps_controls_with_lalondes_covariates(data: pd.DataFrame) -> None:
    r = _analyse(data[data["sample"] != "nsw_control"], LALONDE)
    assert r.naive.estimate == pytest.approx(-8497.52, abs=0.005)
    got = {k: round(v.estimate, 2) for k, v in r.estimates.items()}
    assert got == {"regression": 1169.59, "ipw": 1091.19, "aipw": 1342.15}
    assert r.checks[0].value == pytest.approx(18 / 185)
    assert not r.withheld
    for iv in r.estimates.values():
        assert iv.contains(1794.34)


def test_cps_controls_with_dehejia_wahbas_specification(data: pd.DataFrame) -> None:
    r = _analyse(data[data["sample"] != "nsw_control"], DEHEJIA_WAHBA)
    got = {k: round(v.estimate, 2) for k, v in r.estimates.items()}
    assert got == {"regression": 1776.72, "ipw": 1615.27, "aipw": 1520.52}
    assert r.checks[0].value == pytest.approx(10 / 185)


def test_the_ate_over_the_cps_population_is_withheld(data: pd.DataFrame) -> None:
    r = _analyse(data[data["sample"] != "nsw_control"], DEHEJIA_WAHBA, estimand="ate")
    assert r.withheld
    assert r.failed_checks[0].name == "overlap"
    assert r.failed_checks[0].value > 0.9
