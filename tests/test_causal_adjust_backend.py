"""The adjustment design through the backend: one aggregate query per pass gives the numbers
of the array path; bad input gives one line naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_adjust_data import COVARIATES, users
from mlroi.causal.adjust import analyse_adjustment
from mlroi.causal.adjust_fit import ArrayReducer, fit_adjustment
from mlroi.errors import DataError, SpecError
from mlroi.spec.causal_adjust import AdjustmentConfig


def _frame(n: int = 2000, seed: int = 3) -> pd.DataFrame:
    x, t, y = users(n, 2.0, np.random.default_rng(seed))
    frame = pd.DataFrame(x, columns=list(COVARIATES))
    frame.insert(0, "user_id", np.arange(n))
    frame["exposed"] = t.astype(int)
    frame["minutes"] = y
    return frame


def _config(**kw: object) -> AdjustmentConfig:
    base: dict[str, object] = {
        "source": {"path": "users.parquet"},
        "outcome": "minutes",
        "covariates": list(COVARIATES),
    }
    return AdjustmentConfig(**(base | kw))


def _array_fit(frame: pd.DataFrame):
    return fit_adjustment(
        ArrayReducer(frame[list(COVARIATES)].to_numpy(float), frame["exposed"], frame["minutes"]),
        COVARIATES,
    )


def test_backend_path_equals_the_array_path(tmp_path) -> None:
    frame = _frame()
    frame.to_parquet(tmp_path / "users.parquet")
    result = analyse_adjustment(_config(), base=tmp_path)
    fit = _array_fit(frame)
    for name, e in fit.estimates["att"].items():
        assert result.estimates[name].estimate == pytest.approx(e.estimate, rel=1e-8)
        assert result.estimates[name].std_error == pytest.approx(e.std_error, rel=1e-8)
    for name, e in fit.estimates["ate"].items():
        assert result.other_estimand[name].estimate == pytest.approx(e.estimate, rel=1e-8)
    assert result.propensity_histogram["treated"] == fit.histogram[1]
    assert result.passes == fit.passes + 1
    assert result.sources == ("users: users.parquet",)


def test_rows_with_missing_values_are_counted_and_left_out() -> None:
    frame = _frame()
    frame.loc[:9, "searches"] = np.nan
    frame.loc[5:14, "minutes"] = np.nan
    result = analyse_adjustment(_config(), table=frame)
    assert result.excluded == {"NULL or non-finite minutes": 10, "NULL or non-finite searches": 5}
    fit = _array_fit(frame.dropna())
    assert result.effect.estimate == pytest.approx(fit.estimates["att"]["aipw"].estimate, rel=1e-8)


def test_boolean_yes_no_and_condition_treatments_read_alike() -> None:
    frame = _frame()
    ref = analyse_adjustment(_config(), table=frame).effect.estimate
    as_bool = frame.assign(exposed=frame["exposed"].astype(bool))
    assert analyse_adjustment(_config(), table=as_bool).effect.estimate == pytest.approx(ref)
    words = frame.assign(exposed=np.where(frame["exposed"] == 1, "yes", "no"))
    assert analyse_adjustment(_config(), table=words).effect.estimate == pytest.approx(ref)
    cond = frame.assign(recs_seen=frame["exposed"] * 3)
    got = analyse_adjustment(_config(treated_when="recs_seen > 0"), table=cond)
    assert got.effect.estimate == pytest.approx(ref)


def test_non_binary_treatment_is_refused() -> None:
    frame = _frame().assign(exposed=lambda f: f["exposed"] * 2)
    with pytest.raises(DataError, match=r"'exposed'.*not 0 or 1"):
        analyse_adjustment(_config(), table=frame)


def test_constant_treatment_is_refused() -> None:
    frame = _frame().assign(exposed=1)
    with pytest.raises(DataError, match=r"'exposed'.*both arms"):
        analyse_adjustment(_config(), table=frame)


def test_repeated_units_are_refused() -> None:
    frame = _frame()
    frame.loc[1, "user_id"] = 0
    with pytest.raises(DataError, match=r"'user_id': 1 rows repeat a unit"):
        analyse_adjustment(_config(), table=frame)


def test_missing_covariate_names_the_closest_column() -> None:
    with pytest.raises(DataError, match=r"'search'.*did you mean 'searches'"):
        analyse_adjustment(_config(covariates=["search"]), table=_frame())


def test_config_refuses_the_outcome_as_a_covariate_and_bad_trim() -> None:
    with pytest.raises(SpecError, match="'minutes' is the outcome"):
        _config(covariates=["minutes"])
    with pytest.raises(SpecError, match="trim"):
        _config(trim=[0.6, 0.9])
    with pytest.raises(SpecError, match="treated_when"):
        _config(treated_when="recs_seen >")
