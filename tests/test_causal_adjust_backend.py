"""The adjustment design through the backend: one aggregate query per pass gives the numbers
of the array path; bad input gives one line naming the column."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from causal_adjust_data import COVARIATES, users
from mlroi.backend import causal_adjust, spill
from mlroi.causal.adjust import analyse_adjustment
from mlroi.causal.adjust_fit import fit_adjustment
from mlroi.causal.adjust_rows import ArrayReducer
from mlroi.errors import BackendError, DataError, SpecError
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


@pytest.mark.parametrize("in_memory", [True, False])
def test_backend_path_equals_the_array_path(tmp_path, monkeypatch, in_memory: bool) -> None:
    if not in_memory:  # no budget for rows in memory: every pass an aggregate query
        monkeypatch.setattr(causal_adjust, "ROWS_IN_MEMORY", 0)
    frame = _frame()
    frame.to_parquet(tmp_path / "users.parquet")
    result = analyse_adjustment(_config(), base=tmp_path)
    if in_memory:
        assert result.notes[0].startswith(
            "rows read into memory: the 2,000 complete rows' treatment, outcome and 4"
            " covariates (under 1 MiB) were read once after one check query"
        )
    else:
        assert result.notes[0].startswith("rows never left the backend: ")
    fit = _array_fit(frame)
    for name, e in fit.estimates["att"].items():
        assert result.estimates[name].estimate == pytest.approx(e.estimate, rel=1e-8)
        assert result.estimates[name].std_error == pytest.approx(e.std_error, rel=1e-8)
    for name, e in fit.estimates["ate"].items():
        assert result.other_estimand[name].estimate == pytest.approx(e.estimate, rel=1e-8)
    assert result.propensity_histogram["treated"] == fit.histogram[1]
    assert result.passes == fit.passes + 1
    assert result.sources == ("users: users.parquet",)


def test_a_memory_limit_halves_the_budget_for_rows_in_memory(monkeypatch) -> None:
    assert causal_adjust._memory_budget() == causal_adjust.ROWS_IN_MEMORY == 2**30
    limited = spill.Settings(temp_root=None, memory_limit="300MB", max_temp_size=None)
    monkeypatch.setattr(spill, "settings", lambda: limited)
    assert causal_adjust._memory_budget() == 150_000_000
    assert spill.size_bytes("2GiB") == 2 * 2**30
    assert spill.size_bytes(" 1.5 kb ") == 1500


def test_rows_that_change_while_read_are_an_error_not_a_wrong_number(monkeypatch) -> None:
    original = causal_adjust.stream_columns

    def one_batch_short(query, purpose, take):  # the table lost rows after the check query
        original(query.limit(1000), purpose, take)

    monkeypatch.setattr(causal_adjust, "stream_columns", one_batch_short)
    with pytest.raises(BackendError, match=r"^the table changed while it was read: 1,000"):
        analyse_adjustment(_config(), table=_frame())


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


def test_a_binary_outcome_gets_its_e_value_on_the_risk_ratio() -> None:
    frame = _frame()
    frame["converted"] = (frame["minutes"] > frame["minutes"].median()).astype(int)
    r = analyse_adjustment(_config(outcome="converted"), table=frame)
    assert r.sensitivity is not None and r.sensitivity.scale == "risk ratio"
    cf = r.counterfactual_mean
    assert r.sensitivity.risk_ratio == pytest.approx((cf + r.effect.estimate) / cf)
    assert any("risk ratio of the 0/1 outcome" in n for n in r.notes)
    continuous = analyse_adjustment(_config(), table=frame)
    assert continuous.sensitivity is not None
    assert continuous.sensitivity.scale == "standardized difference"


def test_rows_in_memory_give_the_same_bits_every_run(monkeypatch) -> None:
    """The chunks' sums are added up in the chunks' order."""
    monkeypatch.setattr(ArrayReducer, "chunk", 256)
    frame = _frame(5000)
    first = analyse_adjustment(_config(), table=frame).to_dict()
    for _ in range(3):
        assert analyse_adjustment(_config(), table=frame).to_dict() == first


def test_the_array_reducer_groups_keys_far_apart() -> None:
    """Keys a million apart are ranked, not coded over their whole range."""
    reducer = ArrayReducer(np.zeros((4, 1)), [0.0, 1.0, 0.0, 1.0], [1.0, 2.0, 3.0, 3.0])
    groups = reducer.group_sums(lambda rows: ({"k": rows.y * 1e6}, {"s": rows.t}), "a test")
    assert groups == [
        ({"k": 1_000_000}, {"s": 0.0}),
        ({"k": 2_000_000}, {"s": 1.0}),
        ({"k": 3_000_000}, {"s": 1.0}),
    ]


def test_an_error_of_the_rows_consumer_is_not_blamed_on_the_backend() -> None:
    from mlroi.backend.execute import stream_columns

    def take(columns: dict) -> None:
        raise ZeroDivisionError("a bug in the consumer")

    table = ibis.memtable({"a": [1.0, 2.0]})
    with pytest.raises(ZeroDivisionError, match="a bug in the consumer"):
        stream_columns(table, "a read", take)
