"""Bad input gives one clear line: what is wrong, where (column, field, file:line), how to fix it.

A result that cannot be estimated (an empty arm, a constant metric) says so in the result, and
never carries a NaN into its JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from mlroi import (
    DataError,
    ExperimentConfig,
    ExperimentResult,
    Guardrail,
    Mean,
    MlroiError,
    Proportion,
    Ratio,
    Source,
    SpecError,
    readout,
)
from mlroi.spec.loader import load_model

N = 2_000
ARMS = {"control": 1.0, "treatment": 1.0}
REVENUE = [Mean(name="revenue_per_user", column="revenue")]


def users(**columns: Any) -> pa.Table:
    """A small, valid per-user table; keyword arguments replace or add columns."""
    rng = np.random.default_rng(42)
    ids = np.arange(N, dtype=np.int64)
    base: dict[str, Any] = {
        "user_id": ids,
        "variant": np.where(ids % 2 == 0, "control", "treatment"),
        "revenue": rng.gamma(2.0, 5.0, N),
        "pre_revenue": rng.gamma(2.0, 5.0, N),
        "converted": (rng.random(N) < 0.1).astype(np.int64),
        "clicks": rng.poisson(1.0, N),
        "impressions": rng.poisson(5.0, N) + 1,
        "platform": np.where(ids % 3 == 0, "ios", "web"),
    }
    base.update(columns)
    return pa.table(base)


def run(table: Any, metrics: list[Any] = REVENUE, **settings: Any) -> ExperimentResult:
    settings.setdefault("arms", ARMS)
    return readout(table, control="control", metrics=metrics, **settings)


def one_line(exc: pytest.ExceptionInfo[MlroiError]) -> str:
    """The message, checked to be a single non-empty line from a subclass of MlroiError."""
    assert isinstance(exc.value, MlroiError)
    assert type(exc.value) is not MlroiError, "raise a specific subclass"
    message = str(exc.value)
    assert message.strip()
    assert "\n" not in message, message
    return message


def assert_no_nan(result: ExperimentResult) -> dict[str, Any]:
    text = result.to_json()  # allow_nan=False: a NaN would raise here
    assert "NaN" not in text and "Infinity" not in text
    parsed: dict[str, Any] = json.loads(text)

    def walk(x: Any) -> None:
        if isinstance(x, float):
            assert math.isfinite(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(parsed)
    return parsed


# --- columns ---------------------------------------------------------------------------------


def test_missing_metric_column_names_it_and_suggests_the_closest() -> None:
    with pytest.raises(DataError) as exc:
        run(users(), [Mean(name="revenue_per_user", column="revenu")])
    message = one_line(exc)
    assert "metric column 'revenu' not found" in message
    assert "did you mean 'revenue'?" in message
    assert "fix the name" in message


def test_missing_variant_column_names_it_and_lists_the_columns() -> None:
    table = users().rename_columns(
        ["user_id", "arm", "revenue", "pre_revenue", "converted", "clicks", "impressions", "p"]
    )
    with pytest.raises(DataError) as exc:
        run(table)
    message = one_line(exc)
    assert "variant column 'variant' not found" in message
    assert "[user_id, arm, revenue" in message
    assert "fix the name" in message


def test_string_metric_column_is_rejected_with_a_cast_hint() -> None:
    text = np.array([f"{x:.2f}" for x in users()["revenue"].to_numpy()])
    with pytest.raises(DataError) as exc:
        run(users(revenue=text))
    message = one_line(exc)
    assert "metric column 'revenue' has type string" in message
    assert "expected a number" in message
    assert "cast it to a numeric type" in message


def test_nan_in_a_metric_column_is_rejected() -> None:
    revenue = users()["revenue"].to_numpy().copy()
    revenue[7] = np.nan
    with pytest.raises(DataError) as exc:
        run(users(revenue=revenue))
    message = one_line(exc)
    assert "column 'revenue' has NaN" in message
    assert "arm 'treatment'" in message  # user 7 is odd: treatment
    assert "clean them" in message


def test_nulls_in_a_metric_column_are_counted_and_a_fill_is_suggested() -> None:
    revenue = [None if i in (2, 4) else float(i) for i in range(N)]
    with pytest.raises(DataError) as exc:
        run(users(revenue=pa.array(revenue, pa.float64())))
    message = one_line(exc)
    assert "column 'revenue' has 2 null value(s) in arm 'control'" in message
    assert "fill them" in message


def test_a_unit_in_two_variants_is_a_duplicate() -> None:
    table = users()
    twin = table.slice(0, 1).set_column(1, "variant", pa.array(["treatment"]))
    with pytest.raises(DataError) as exc:
        run(pa.concat_tables([table, twin]))
    message = one_line(exc)
    assert "unit column 'user_id' has 1 duplicate unit(s)" in message
    assert "deduplicate" in message


def test_unknown_variant_value_names_it_and_the_arms() -> None:
    variant = users()["variant"].to_numpy(zero_copy_only=False).copy()
    variant[11] = "treatmnet"
    with pytest.raises(DataError) as exc:
        run(users(variant=variant))
    message = one_line(exc)
    assert "value 'treatmnet' not listed in arms ['control', 'treatment']" in message
    assert "add it to `arms` or filter those units out" in message


def test_empty_table_is_an_error() -> None:
    with pytest.raises(DataError) as exc:
        run(users().slice(0, 0))
    message = one_line(exc)
    assert "the table is empty" in message
    assert "check that the source" in message


def test_negative_ratio_denominator_is_rejected() -> None:
    impressions = users()["impressions"].to_numpy().copy()
    impressions[3] = -2
    ctr = [Ratio(name="ctr", numerator="clicks", denominator="impressions")]
    with pytest.raises(DataError) as exc:
        run(users(impressions=impressions), ctr)
    message = one_line(exc)
    assert "ratio metric 'ctr': denominator column 'impressions' has negative values" in message
    assert "(min -2)" in message
    assert "counts must be >= 0" in message


def test_proportion_outside_zero_one_is_rejected() -> None:
    converted = users()["converted"].to_numpy().copy()
    converted[5] = 3
    conversion = [Proportion(name="conversion", column="converted")]
    with pytest.raises(DataError) as exc:
        run(users(converted=converted), conversion)
    message = one_line(exc)
    assert "proportion metric 'conversion': column 'converted' must be 0/1" in message
    assert "[0, 3]" in message
    assert "use a mean or a 0/1 flag" in message


def test_missing_source_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        run(Source(path="users.parquet"), base=tmp_path)
    message = one_line(exc)
    assert f"source file not found: {tmp_path / 'users.parquet'}" in message
    assert "check `path`" in message


# --- results that cannot be estimated ---------------------------------------------------------


def test_empty_arm_is_a_sample_ratio_mismatch_and_cannot_be_estimated() -> None:
    metrics = [
        Mean(name="revenue_per_user", column="revenue", covariate="pre_revenue"),
        Proportion(name="conversion", column="converted"),
        Ratio(name="ctr", numerator="clicks", denominator="impressions"),
        Mean(name="revenue_capped", column="revenue", cap=0.99),
    ]
    result = run(
        users(),
        metrics,
        arms={"control": 1.0, "treatment": 1.0, "ghost": 1.0},
        guardrails=[Guardrail(metric="conversion", direction="increase", margin=0.1)],
        segments=["platform"],
    )
    assert result.srm.mismatch
    assert result.srm.observed["ghost"] == 0
    assert result.failures()[0].startswith("sample ratio mismatch")
    ghost = [c for c in result.comparisons + result.segments if c.arm == "ghost"]
    assert len(ghost) == len(metrics) * 3  # overall + two platforms
    for c in ghost:
        assert c.status == "cannot estimate"
        assert c.reason == "arm 'ghost' has no units"
        assert c.absolute is None and c.p_value is None and c.significant is None
    live = [c for c in result.comparisons if c.arm == "treatment"]
    assert all(c.status == "ok" for c in live)
    (guard,) = [g for g in result.guardrails if g.arm == "ghost"]
    assert guard.status == "inconclusive"
    assert "has no units" in guard.reason
    parsed = assert_no_nan(result)
    assert parsed["comparisons"][1]["status"] == "cannot estimate"


def test_constant_metric_cannot_be_estimated() -> None:
    result = run(users(revenue=np.full(N, 4.5)))
    (c,) = result.comparisons
    assert c.status == "cannot estimate"
    assert c.reason is not None and "zero variance" in c.reason
    assert c.control_value == 4.5 and c.treatment_value == 4.5
    assert c.absolute is None and c.p_value is None
    assert_no_nan(result)


def test_zero_control_value_has_no_relative_lift_and_says_why() -> None:
    ids = np.arange(N)
    revenue = np.where(ids % 2 == 0, 0.0, users()["revenue"].to_numpy())
    result = run(users(revenue=revenue))
    (c,) = result.comparisons
    assert c.status == "ok"
    assert c.control_value == 0.0
    assert c.absolute is not None and c.absolute.estimate > 0
    assert c.relative is None
    assert c.relative_note == "control value is 0: relative lift is undefined"
    assert assert_no_nan(result)["comparisons"][0]["relative"] is None


def test_negative_control_value_has_no_relative_lift_and_says_why() -> None:
    ids = np.arange(N)
    revenue = np.where(ids % 2 == 0, -users()["revenue"].to_numpy(), 1.0 + ids % 5)
    result = run(users(revenue=revenue))
    (c,) = result.comparisons
    assert c.status == "ok"
    assert c.control_value is not None and c.control_value < 0
    assert c.absolute is not None and c.absolute.estimate > 0
    assert c.relative is None
    assert c.relative_note is not None
    assert "negative" in c.relative_note and "not shown" in c.relative_note
    assert_no_nan(result)


# --- YAML configuration -------------------------------------------------------------------------

CONFIG_YAML = """\
control: control
arms: {control: 1, treatment: 1}
metrics:
  - name: revenue_per_user
    type: mean
    column: revenue
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_yaml_key_typo_points_at_file_line_with_did_you_mean(tmp_path: Path) -> None:
    text = CONFIG_YAML.replace("    column: revenue", "    colum: revenue")
    path = tmp_path / "experiment.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_model(path, ExperimentConfig)
    message = one_line(exc)
    assert message.startswith(f"{path}:{line_of(text, 'colum:')} metrics[0].colum:")
    assert "unknown key 'colum'; did you mean 'column'?" in message


def test_yaml_top_level_typo_suggests_the_field(tmp_path: Path) -> None:
    text = CONFIG_YAML + "segmnets: [platform]\n"
    path = tmp_path / "experiment.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_model(path, ExperimentConfig)
    message = one_line(exc)
    assert message.startswith(f"{path}:{line_of(text, 'segmnets')} segmnets:")
    assert "did you mean 'segments'?" in message


def test_yaml_wrong_type_points_at_file_line_and_expects_a_number(tmp_path: Path) -> None:
    text = CONFIG_YAML + 'level: "9,5"\n'
    path = tmp_path / "experiment.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_model(path, ExperimentConfig)
    message = one_line(exc)
    assert message == f'{path}:{line_of(text, "level")} level: expected a number, got "9,5"'


def test_missing_source_file_from_yaml_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "experiment.yaml"
    path.write_text(CONFIG_YAML + "source: {path: data/users.parquet}\n", encoding="utf-8")
    config = load_model(path, ExperimentConfig)
    with pytest.raises(DataError) as exc:
        readout(config=config, base=tmp_path)
    message = one_line(exc)
    assert str(tmp_path / "data" / "users.parquet") in message
    assert "check `path`" in message


def test_missing_config_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as exc:
        load_model(tmp_path / "nope.yaml", ExperimentConfig)
    assert one_line(exc) == f"file not found: {tmp_path / 'nope.yaml'}"


def test_an_arm_with_one_unit_cannot_be_estimated_rather_than_a_zero_variance() -> None:
    table = users(variant=np.where(np.arange(N) == 0, "treatment", "control"))
    result = run(table, srm_threshold=1e-300)
    (c,) = result.comparisons
    assert c.n_treatment == 1
    assert c.status == "cannot estimate"
    assert c.reason == "arm 'treatment' has 1 unit: a variance needs at least 2"
    assert_no_nan(result)


def test_a_proportion_of_non_binary_values_in_range_is_rejected() -> None:
    with pytest.raises(DataError) as exc:
        run(users(converted=np.full(N, 0.5)), metrics=[Proportion(name="conv", column="converted")])
    assert "values other than 0 and 1" in one_line(exc)


def test_cap_on_a_proportion_is_a_spec_error() -> None:
    with pytest.raises(SpecError) as exc:
        run(
            users(),
            metrics=[{"type": "proportion", "name": "c", "column": "converted", "cap": 0.99}],
        )
    assert "`cap` does not apply to a proportion" in one_line(exc)


def test_guardrail_is_judged_on_both_sides_even_in_a_one_sided_readout() -> None:
    ids = np.arange(N)
    revenue = np.where(ids % 2 == 0, 10.0, 8.0) + np.random.default_rng(3).normal(0, 1, N)
    result = run(
        users(revenue=revenue),
        alternative="greater",
        guardrails=[Guardrail(metric="revenue_per_user", direction="increase", margin=0.02)],
    )
    (g,) = result.guardrails
    assert g.status == "fail"


def test_same_input_gives_byte_identical_json() -> None:
    table = users()
    settings: dict[str, Any] = {"segments": ["platform"]}
    assert run(table, **settings).to_json() == run(table, **settings).to_json()


@pytest.mark.parametrize("split_files", [False, True])
def test_duplicate_integer_units_in_parquet_files_are_found(
    tmp_path: Path, split_files: bool
) -> None:
    # integer ids read from Parquet take the bitmap path of the uniqueness check
    import pyarrow.parquet as pq

    table = users()
    twin = table.slice(5, 2).set_column(1, "variant", pa.array(["treatment", "control"]))
    if split_files:
        pq.write_table(table, tmp_path / "a.parquet")
        pq.write_table(twin, tmp_path / "b.parquet")
        source = str(tmp_path / "*.parquet")
    else:
        pq.write_table(pa.concat_tables([table, twin]), tmp_path / "users.parquet")
        source = str(tmp_path / "users.parquet")
    with pytest.raises(DataError) as exc:
        run(source)
    assert "unit column 'user_id' has 2 duplicate unit(s)" in one_line(exc)


def test_unique_integer_units_in_parquet_pass_the_check(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(users(), tmp_path / "users.parquet")
    result = run(str(tmp_path / "users.parquet"))
    assert result.comparisons[0].n_control + result.comparisons[0].n_treatment == N
