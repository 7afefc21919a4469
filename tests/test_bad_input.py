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


# --- the bad-input battery: every command, every class of bad input ---------------------------
#
# Each entry is a class of mistake (or of hostile file), not a single case: the battery is meant to
# be re-run with new entries. For each, the command line exits 2 with exactly one line on stderr,
# naming the file and line (or the field, or the option), with no traceback, no "internal error"
# and no NaN.

import re  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

import mlroi  # noqa: E402
from mlroi.cli import app  # noqa: E402
from mlroi.spec.starter import STARTER_CASE  # noqa: E402
from mlroi.spec.templates import TEMPLATES  # noqa: E402

EXAMPLES = Path(__file__).parents[1] / "examples"
CHURN = (EXAMPLES / "churn.yaml").read_text(encoding="utf-8")
EXPERIMENT = CONFIG_YAML + "source: {path: users.parquet}\n"

BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


@dataclass(frozen=True)
class Bad:
    """A bad input: the file's content (text or bytes), and what the one line must say."""

    name: str
    content: str | bytes | Callable[[Path], None]
    says: str
    line: int | str | None = None
    """The line the message must name (``FILE:LINE``), when the mistake has one: a number, or a
    text on that line of the content."""

    def at(self) -> int | None:
        if isinstance(self.line, str):
            assert isinstance(self.content, str)
            return line_of(self.content, self.line)
        return self.line


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _a_folder(path: Path) -> None:
    path.mkdir()


def _too_large(path: Path) -> None:
    path.write_bytes(b"# padding\n" * 1_100_000)


# Mistakes in any YAML file, found before its fields are read: every command that reads one.
YAML_BAD = [
    Bad("duplicate key", "name: a\ngoal: b\nname: c\n", "key 'name' is given twice", 3),
    Bad(
        "duplicate nested key",
        _replace(STARTER_CASE, "  seed: 7\n", "  seed: 7\n  seed: 8\n"),
        "is given twice in the same mapping",
        "seed: 8",
    ),
    Bad("billion laughs", BILLION_LAUGHS, "more than 100,000 values", 6),
    Bad("alias inside itself", "name: &a [x, *a]\n", "alias *a is inside the node it names", 1),
    Bad("undefined alias", "name: *nope\n", "found undefined alias", 1),
    Bad("5000-deep flow nesting", "name: " + "[" * 5000 + "]" * 5000 + "\n", "nested more", 1),
    Bad(
        "3000-deep block nesting",
        "a:\n" + "".join("  " * i + "k:\n" for i in range(1, 3000)),
        "nested more than 64 levels",
        64,
    ),
    Bad("mapping as a key", "{path: x}: 1\n", "a key must be a plain name, not a mapping", 1),
    Bad("list as a key", "? [a]\n: 1\n", "a key must be a plain name, not a list", 1),
    Bad("binary file", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "not UTF-8 text", 2),
    Bad("latin-1 text", "name: x\ngoal: caf\xe9\n".encode("latin-1"), "byte 17 is 0xe9", 2),
    Bad("utf-16 text", "name: x\n".encode("utf-16"), "not UTF-8 text (byte 0 is 0xff)", 1),
    Bad("NUL byte", "name: x\ngoal: a\x00b\n", "control character", 2),
    Bad("a folder", _a_folder, "is a folder, not a file"),
    Bad("too large", _too_large, "too large for a configuration file"),
    Bad("empty file", "", "the file is empty", 1),
    Bad("only comments", "# nothing yet\n", "the file is empty", 1),
    Bad("a list at the top", "- a\n- b\n", "expected a mapping of keys to values", 1),
    Bad("a python object tag", "name: !!python/object/apply:os.system [ls]\n", "tag", 1),
    Bad("an impossible date", "name: x\ngoal: 2026-13-45\n", "month must be in 1..12", 2),
    Bad("a 400-digit number", "name: " + "9" * 400 + "\n", "400-character number", 1),
    Bad("a 5000-digit number", "name: " + "9" * 5000 + "\n", "5000-character number", 1),
    Bad("a tab for indentation", "name: x\nvalue:\n\tdrivers: []\n", "invalid YAML", 3),
    Bad("an unclosed bracket", "name: [x, y\ngoal: z\n", "invalid YAML", 2),
    Bad("a number as a key", "name: x\n1: y\n", "key '1' reads as a number", 2),
    Bad("yes as a key", "name: x\nyes: y\n", "key 'yes' reads as a true/false", 2),
    Bad("null as a key", "name: x\n? null\n: y\n", "key 'null' reads as a null", 2),
    Bad("two documents", "name: x\n---\nname: y\n", "expected a single document", 2),
    Bad("half a surrogate pair", 'name: "a\\ud800b"\n', "name: the text holds an invalid", 1),
    Bad(
        "150,000 keys",
        "".join(f"k{i}: {i}\n" for i in range(150_000)),
        "more than 100,000 values",
        1,
    ),
]

# Mistakes in a field of a case file: the commands that read a case.
CASE_BAD = [
    Bad(
        "a negative seed",
        _replace(STARTER_CASE, "seed: 7", "seed: -1"),
        "simulation.seed: Input should be greater than or equal to 0",
        "seed: -1",
    ),
    Bad(
        "an infinite number (1e400)",
        _replace(STARTER_CASE, "discount_rate: 0.10", "discount_rate: 1e400"),
        "finance.discount_rate: expected a finite number, got an infinite one",
        "discount_rate:",
    ),
    Bad(
        "an infinite number (.inf)",
        _replace(STARTER_CASE, "decay: 0.10", "decay: -.inf"),
        "value.decay: expected a finite number",
        "decay:",
    ),
    Bad(
        "not-a-number (.nan)",
        _replace(STARTER_CASE, "estimate: 0.35", "estimate: .nan"),
        "value.drivers[0].lift.estimate: expected a finite number, got not-a-number",
        "estimate:",
    ),
    Bad(
        "not-a-number as text",
        _replace(STARTER_CASE, "ramp_months: 2", 'ramp_months: "nan"'),
        "value.ramp_months",
        "ramp_months:",
    ),
    Bad(
        "an infinite number as text",
        _replace(STARTER_CASE, "units_per_month: 1200000", 'units_per_month: "inf"'),
        "value.drivers[0].units_per_month",
        "units_per_month:",
    ),
    Bad(
        "a whole number beyond 64 bits",
        _replace(STARTER_CASE, "size: 1200000", "size: 99999999999999999999"),
        "population.size: a 20-digit number is out of range",
        "size: 9",
    ),
    Bad(
        "a 400-digit draw count",
        _replace(STARTER_CASE, "draws: 100000", "draws: 1" + "0" * 400),
        "simulation.draws: a 401-character number is out of range",
        "draws:",
    ),
    Bad(
        "a 100,000-term expression",
        _replace(
            CHURN, "eligible: tenure_months >= 12", "eligible: " + " + ".join(["g"] * 100_000)
        ),
        "decision.eligible: col 403: the expression has more than 100 operators",
        "eligible:",
    ),
    Bad(
        "a 12,000-character expression",
        _replace(CHURN, "eligible: tenure_months >= 12", "eligible: g" + "g" * 12_000 + " > 1"),
        "decision.eligible: col 10001: the expression is longer than 10,000 characters",
        "eligible:",
    ),
    Bad(
        "a 300-term expression",
        _replace(CHURN, "eligible: tenure_months >= 12", "eligible: " + "+".join(["g"] * 300)),
        "more than 100 operators",
        "eligible:",
    ),
    Bad(
        "5,000-deep brackets in an expression",
        _replace(
            CHURN, "eligible: tenure_months >= 12", "eligible: " + "(" * 5000 + "g>1" + ")" * 5000
        ),
        "brackets are nested more than 50 deep",
        "eligible:",
    ),
    Bad(
        "an unknown key",
        STARTER_CASE + "simulaton: {}\n",
        "did you mean 'simulation'?",
        "simulaton",
    ),
    # YAML reads yes/no/on/off/true/false as a bool, which pydantic takes as 1 or 0
    Bad(
        "a population size of yes",
        _replace(STARTER_CASE, "size: 1200000", "size: yes"),
        "population.size: expected a number, got true (YAML reads",
        "size: yes",
    ),
    Bad(
        "a cost amount of true",
        _replace(STARTER_CASE, "amount: {low: 80000,", "amount: {low: true,"),
        "costs[0].amount.low: expected a number, got true",
        "low: true",
    ),
    Bad(
        "a share of off",
        _replace(STARTER_CASE, "share: 0.6}", "share: off}"),
        "costs[4].share: expected a number, got false",
        "share: off",
    ),
    # a discriminated union (cost kinds, metric types) names its own field and choices
    Bad(
        "an unknown cost kind",
        _replace(STARTER_CASE, "{kind: storage,", "{kind: disk,"),
        'costs[3]: unknown kind "disk": use gpu, cpu, inference, storage, people, fixed or build',
        "kind: disk",
    ),
    Bad(
        "a cost kind that is a number",
        _replace(STARTER_CASE, "{kind: gpu,", "{kind: 0,"),
        'costs[1]: unknown kind "0": use gpu, cpu, inference',
        "kind: 0",
    ),
    Bad(
        "a cost without its kind",
        _replace(STARTER_CASE, "{kind: people, name", "{name"),
        "costs[4]: required field `kind` is missing",
        "name: ML engineers",
    ),
]

# Mistakes in a decision-only case (a `decision:` section and its currency): `mlroi decide`.
DECISION_ONLY = TEMPLATES["churn"]
DECISION_BAD = [
    Bad(
        "a decision-only case with an infinite parameter",
        _replace(DECISION_ONLY, "contact: 2.5", "contact: .inf"),
        "decision.parameters.contact: expected a finite number",
        "contact: .inf",
    ),
    Bad(
        "a decision-only case with a 300-term objective",
        _replace(
            DECISION_ONLY,
            "    - discounts_given <= value_retained",
            "    - " + " + ".join(["discounts_given"] * 300) + " <= value_retained",
        ),
        "decision.constraints: item 0: col 1817: the expression has more than 100 operators",
        "  constraints:",
    ),
    Bad(
        "a decision-only case with a duplicate key",
        _replace(DECISION_ONLY, "  label: churned", "  score: score2\n  label: churned"),
        "key 'score' is given twice",
        "score: score2",
    ),
    Bad(
        "a decision-only case with a misspelt currency",
        _replace(DECISION_ONLY, "currency: USD", "currncy: USD"),
        "did you mean 'currency'?",
        "currncy",
    ),
    Bad(
        "a decision-only case with a negative resample count",
        _replace(DECISION_ONLY, "resamples: 200", "resamples: -1"),
        "decision.bootstrap.resamples",
        "resamples:",
    ),
]

# Mistakes in a field of an experiment configuration: `mlroi experiment` and `mlroi design`.
EXPERIMENT_BAD = [
    Bad(
        "a level of .nan",
        EXPERIMENT + "level: .nan\n",
        "level: expected a finite number, got not-a-number",
        "level:",
    ),
    Bad(
        "an infinite arm weight",
        _replace(EXPERIMENT, "treatment: 1}", "treatment: 1e999}"),
        "arms.treatment: expected a finite number",
        "arms:",
    ),
    Bad(
        "an arm weight of yes",
        _replace(EXPERIMENT, "treatment: 1}", "treatment: yes}"),
        "arms.treatment: expected a number, got true",
        "arms:",
    ),
    Bad(
        "an unknown metric type",
        EXPERIMENT.replace("type: mean", "type: median", 1),
        'metrics[0]: unknown type "median": use mean, proportion or ratio',
        "type: median",
    ),
    Bad(
        "a metric without its type",
        EXPERIMENT.replace("    type: mean\n", "", 1),
        "metrics[0]: required field `type` is missing",
        "name: revenue_per_user",
    ),
    Bad(
        "a duplicate metric key",
        EXPERIMENT.replace("type: mean", "type: mean\n    type: mean"),
        "given twice",
        6,
    ),
]

CASE_COMMANDS = ["validate", "roi", "decide", "report", "attribute", "retention"]
YAML_COMMANDS = [*CASE_COMMANDS, "experiment", "design"]
_NAN = re.compile(r"(?<![\"'])\bnan\b(?![\"'])", re.IGNORECASE)
"""NaN printed as a number (an echo of the user's own text, quoted, is fine)."""


def assert_one_located_line(output: Any, where: str) -> str:
    """Exit 2, one line on stderr starting ``error:`` and naming ``where``; nothing else."""
    assert output.exit_code == 2, (output.exit_code, output.output)
    text = output.stdout + output.stderr
    assert "Traceback" not in text and "internal error" not in text, text
    assert not _NAN.search(text), text
    lines = [line for line in output.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, output.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert where in lines[0], (where, lines[0])
    return lines[0]


def _write_bad(tmp_path: Path, bad: Bad) -> Path:
    path = tmp_path / "bad.yaml"
    if callable(bad.content):
        bad.content(path)
    elif isinstance(bad.content, bytes):
        path.write_bytes(bad.content)
    else:
        path.write_text(bad.content, encoding="utf-8")
    return path


def _run(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("command", YAML_COMMANDS)
@pytest.mark.parametrize("bad", YAML_BAD, ids=lambda b: b.name)
def test_a_bad_yaml_file_is_one_located_line(tmp_path: Path, command: str, bad: Bad) -> None:
    path = _write_bad(tmp_path, bad)
    where = f"{path}:{bad.at()}" if bad.line else str(path)
    line = assert_one_located_line(_run(command, path), where)
    assert bad.says in line


@pytest.mark.parametrize("command", CASE_COMMANDS)
@pytest.mark.parametrize("bad", CASE_BAD, ids=lambda b: b.name)
def test_a_bad_case_field_is_one_located_line(tmp_path: Path, command: str, bad: Bad) -> None:
    path = _write_bad(tmp_path, bad)
    line = assert_one_located_line(_run(command, path), f"{path}:{bad.at()} ")
    assert bad.says in line


@pytest.mark.parametrize("command", ["decide", "validate"])
@pytest.mark.parametrize("bad", DECISION_BAD, ids=lambda b: b.name)
def test_a_bad_decision_only_field_is_one_located_line(
    tmp_path: Path, command: str, bad: Bad
) -> None:
    path = _write_bad(tmp_path, bad)
    line = assert_one_located_line(_run(command, path), f"{path}:{bad.at()}")
    assert bad.says in line


@pytest.mark.parametrize("command", ["experiment", "design"])
@pytest.mark.parametrize("bad", EXPERIMENT_BAD, ids=lambda b: b.name)
def test_a_bad_experiment_field_is_one_located_line(tmp_path: Path, command: str, bad: Bad) -> None:
    path = _write_bad(tmp_path, bad)
    line = assert_one_located_line(_run(command, path), f"{path}:{bad.at()}")
    assert bad.says in line


@pytest.mark.parametrize("bad", [*YAML_BAD, *CASE_BAD], ids=lambda b: b.name)
def test_the_api_raises_a_spec_error_not_a_library_s(tmp_path: Path, bad: Bad) -> None:
    from mlroi import load_case

    path = _write_bad(tmp_path, bad)
    with pytest.raises(SpecError) as exc:
        load_case(path)
    assert bad.says in one_line(exc)


# --- `mlroi validate` lists every problem -------------------------------------------------------


def test_validate_lists_every_problem_each_with_its_line(tmp_path: Path) -> None:
    text = STARTER_CASE
    for old, new in [
        ("  size: 1200000", "  size: -5"),
        ("margin: {low: 0.25, likely: 0.30, high: 0.35}", "margin: abc"),
        ("horizon_months: 24", "horizon_months: -1"),
        ("discount_rate: 0.10", "discount_rate: 2"),
        ("  seed: 7", "  sed: 7"),
    ]:
        text = _replace(text, old, new)
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    result = _run("validate", path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "more error(s)" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: {path}:{line_of(text, 'size: -5')} population.size: "
        "Input should be greater than or equal to 0",
        f"error: {path}:{line_of(text, 'margin: abc')} value.drivers[0].margin: "
        'expected a number, got "abc"',
        f"error: {path}:{line_of(text, 'horizon_months')} finance.horizon_months: "
        "Input should be greater than 0",
        f"error: {path}:{line_of(text, 'discount_rate')} finance.discount_rate: "
        "Input should be less than 1",
        f"error: {path}:{line_of(text, 'sed: 7')} simulation.sed: "
        "unknown key 'sed'; did you mean 'seed'?",
        f"{path}: 5 problems",
    ]


def test_validate_lists_at_most_twenty_problems(tmp_path: Path) -> None:
    broken = "".join(f"  - {{descriptio: limit {i}}}\n" for i in range(30))
    text = _replace(
        STARTER_CASE,
        "constraints:\n  - description: Page latency p99 stays under 300 ms\n",
        "constraints:\n" + broken,
    )
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    result = _run("validate", path)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 21
    assert lines[-1] == f"{path}: 60 problems (the first 20 are listed)"
    first = line_of(text, "limit 0}")
    assert lines[0] == (
        f"error: {path}:{first} constraints[0].descriptio: unknown key 'descriptio'; "
        "did you mean 'description'?"
    )


def test_other_commands_give_the_first_problem_in_one_line(tmp_path: Path) -> None:
    text = _replace(
        _replace(STARTER_CASE, "  seed: 7", "  sed: 7"), "  size: 1200000", "  size: -5"
    )
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    line = assert_one_located_line(_run("roi", path), f"{path}:{line_of(text, 'sed: 7')} ")
    assert line.endswith("unknown key 'sed'; did you mean 'seed'? (and 1 more error(s))")


# --- the Python API raises mlroi's own errors --------------------------------------------------


def _starter() -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load(STARTER_CASE)
    return data


def _churn_decision() -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load(CHURN)["decision"]
    return data


API_BAD: list[tuple[str, Callable[[], object], str]] = [
    ("Mean with a number for a column", lambda: Mean(name="r", column=3), "Mean: column:"),
    ("Source with a number for a path", lambda: Source(path=3), "Source: path:"),
    (
        "Case with a negative seed",
        lambda: mlroi.Case(**{**_starter(), "simulation": {"seed": -1}}),
        "Case: simulation.seed: Input should be greater than or equal to 0",
    ),
    (
        "readout with a dict missing its arms",
        lambda: readout(users(), config={"control": "control", "metrics": []}),
        "config: arms: required field is missing",
    ),
    (
        "readout with an unknown setting",
        lambda: run(users(), colour="red"),
        "colour: unknown key 'colour'",
    ),
    (
        "evaluate with a dict that is not a case",
        lambda: mlroi.evaluate({"name": "x"}),
        "case: ",
    ),
    (
        "evaluate with a number",
        lambda: mlroi.evaluate(42),
        "case: expected a Case (or a dict of its fields), got int",
    ),
    (
        "decide with a dict missing its source",
        lambda: mlroi.decide({"score": "s"}),
        "config: ",
    ),
    (
        "decide with a negative seed",
        lambda: mlroi.decide(_churn_decision(), seed=-1),
        "seed: expected a whole number from 0",
    ),
    (
        "decide with a level of 5",
        lambda: mlroi.decide(_churn_decision(), level=5),
        "level: expected a level between 0 and 1",
    ),
    (
        "load_case with a number",
        lambda: mlroi.load_case(3),
        "expected the path of a YAML file, got int",
    ),
    (
        "load_case with a NUL in the path",
        lambda: mlroi.load_case("case\x00.yaml"),
        "holds a NUL character",
    ),
]


@pytest.mark.parametrize(("call", "says"), [b[1:] for b in API_BAD], ids=[b[0] for b in API_BAD])
def test_the_python_api_raises_one_line_spec_errors(call: Callable[[], object], says: str) -> None:
    with pytest.raises(SpecError) as exc:
        call()
    assert says in one_line(exc)


def test_a_nested_section_s_mistake_stays_located_in_the_file(tmp_path: Path) -> None:
    # the constructors raise SpecError, but a file's nested sections keep their file:line
    text = _replace(STARTER_CASE, "seed: 7", "seed: -1")
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        mlroi.load_case(path)
    assert one_line(exc).startswith(f"{path}:{line_of(text, 'seed: -1')} simulation.seed: ")


# --- the battery, continued: where mlroi writes --------------------------------------------------


@dataclass(frozen=True)
class BadOutput:
    """A command line whose output path is unsafe: ``args`` builds it in a fresh folder (with
    ``case.yaml``, the starter, and ``experiment.yaml`` there), and ``says`` is in its line."""

    name: str
    args: Callable[[Path], list[str | Path]]
    says: str
    keep: str = ""
    """A file (relative to the folder) that must hold ``"mine"`` afterwards."""


def _mine(folder: Path, name: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("mine", encoding="utf-8")
    return path


OUTPUT_BAD = [
    BadOutput(
        "roi --json into a missing folder",
        lambda d: ["roi", d / "case.yaml", "--json", d / "nope" / "r.json"],
        "--json {d}/nope/r.json: folder {d}/nope does not exist",
    ),
    BadOutput(
        "roi --json onto a folder",
        lambda d: ["roi", d / "case.yaml", "--json", d],
        "--json {d}: is a folder: give a file name",
    ),
    BadOutput(
        "roi --json under a file",
        lambda d: ["roi", d / "case.yaml", "--json", _mine(d, "notes.txt") / "r.json"],
        "folder {d}/notes.txt is not a folder",
        "notes.txt",
    ),
    *(
        BadOutput(
            f"{command} --json onto the user's file",
            lambda d, c=command, f=file: [c, d / f, "--json", _mine(d, "r.json")],
            "--json {d}/r.json: the file exists and was not written by mlroi",
            "r.json",
        )
        for command, file in (
            ("roi", "case.yaml"),
            ("experiment", "experiment.yaml"),
            ("design", "experiment.yaml"),
            ("decide", "case.yaml"),
            ("attribute", "case.yaml"),
            ("retention", "case.yaml"),
        )
    ),
    BadOutput(
        "report --out with the user's report.html",
        lambda d: ["report", d / "case.yaml", "--out", _mine(d, "out/report.html").parent],
        "{d}/out/report.html exists and was not written by mlroi",
        "out/report.html",
    ),
    BadOutput(
        "report --out under a file",
        lambda d: ["report", d / "case.yaml", "--out", _mine(d, "notes.txt") / "r"],
        "--out {d}/notes.txt/r: {d}/notes.txt is not a folder",
        "notes.txt",
    ),
    BadOutput(
        "schema --out onto the user's file",
        lambda d: ["schema", "--out", _mine(d, "schema.json")],
        "--out {d}/schema.json: the file exists and was not written by mlroi",
        "schema.json",
    ),
    BadOutput(
        "schema --out into a missing folder",
        lambda d: ["schema", "--out", d / "nope" / "schema.json"],
        "folder {d}/nope does not exist",
    ),
    BadOutput(
        "init onto the user's file",
        lambda d: ["init", _mine(d, "mine.yaml")],
        "{d}/mine.yaml exists: choose another path or pass --force",
        "mine.yaml",
    ),
    BadOutput(
        "init into a missing folder",
        lambda d: ["init", d / "nope" / "case.yaml"],
        "PATH {d}/nope/case.yaml: folder {d}/nope does not exist",
    ),
    BadOutput(
        "demo --out with the user's table",
        lambda d: ["demo", "--users", "2000", "--out", _mine(d, "demo/users.parquet").parent],
        "{d}/demo/users.parquet exists and was not written by mlroi demo",
        "demo/users.parquet",
    ),
    BadOutput(
        "demo --out with the user's report",
        lambda d: ["demo", "--out", _mine(d, "demo/reports/churn/report.md").parents[2]],
        "{d}/demo/reports/churn/report.md exists and was not written by mlroi",
        "demo/reports/churn/report.md",
    ),
    BadOutput(
        "demo --out onto a file",
        lambda d: ["demo", "--users", "2000", "--out", _mine(d, "notes.txt")],
        "--out {d}/notes.txt: {d}/notes.txt is not a folder",
        "notes.txt",
    ),
    BadOutput(
        "demo --seed -1",
        lambda d: ["demo", "--seed", "-1", "--out", d / "demo"],
        "--seed: expected a whole number from 0",
    ),
    BadOutput(
        "demo --users of 28 digits",
        lambda d: ["demo", "--users", "1" + "0" * 27, "--out", d / "demo"],
        "--users: expected 1,000 to 100,000,000",
    ),
    BadOutput(
        "roi --seed -1",
        lambda d: ["roi", d / "case.yaml", "--seed", "-1"],
        "--seed: Input should be greater than or equal to 0",
    ),
    BadOutput(
        "decide --seed -1",
        lambda d: ["decide", d / "case.yaml", "--seed", "-1"],
        "--seed: expected a whole number from 0",
    ),
    BadOutput(
        "roi --draws of 31 digits",
        lambda d: ["roi", d / "case.yaml", "--draws", "1" + "0" * 30],
        "--draws: Input should be less than or equal to 5000000",
    ),
]


@pytest.mark.parametrize("bad", OUTPUT_BAD, ids=lambda b: b.name)
def test_an_unsafe_output_path_is_one_line_and_nothing_is_lost(
    tmp_path: Path, bad: BadOutput
) -> None:
    (tmp_path / "case.yaml").write_text(STARTER_CASE, encoding="utf-8")
    (tmp_path / "experiment.yaml").write_text(EXPERIMENT, encoding="utf-8")
    args = bad.args(tmp_path)
    after_setup = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    line = assert_one_located_line(_run(*args), bad.says.format(d=tmp_path))
    if "was not written by mlroi" in line or "exists:" in line:
        assert "--force" in line  # and the way past it
    if bad.keep:
        assert (tmp_path / bad.keep).read_text(encoding="utf-8") == "mine"
    # nothing was written: the refusal comes before any work
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == after_setup


def test_a_billion_laughs_fails_at_its_line_in_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS + "\n", encoding="utf-8")
    assert path.stat().st_size < 400  # the classic 9-level file: 9**9 strings once expanded
    tracemalloc.start()
    try:
        with pytest.raises(SpecError) as exc:
            mlroi.load_case(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert one_line(exc).startswith(f"{path}:6: invalid YAML: more than 100,000 values")
    assert peak < 20_000_000  # bytes: nothing is expanded


# --- option values checked before any work (see also USAGE_BAD below) ----------------------

OPTION_BAD = [
    (["design", "case.yaml", "--mde", "abc"], "Invalid value for '--mde'", "mlroi design --help"),
    (["design", "case.yaml", "--power", "x"], "Invalid value for '--power'", "mlroi design --help"),
    (["demo", "--users", "abc"], "Invalid value for '--users'", "mlroi demo --help"),
    (["decide", "case.yaml", "--resamples", "1.5"], "Invalid value for '--resamples'", "--help"),
]


# --- the battery, continued: the command line itself ---------------------------------------------

USAGE_BAD = [
    (["roi"], "Missing argument 'cases'. (see `mlroi roi --help`)"),
    (["roi", "case.yaml", "--draws", "nan"], "Invalid value for '--draws'"),
    (["roi", "case.yaml", "--bogus"], "No such option: --bogus (see `mlroi roi --help`)"),
    (["nope"], "No such command 'nope'. (see `mlroi --help`)"),
    (["validate", "a.yaml", "b.yaml"], "Got unexpected extra argument(s) (b.yaml)"),
    (["init", "--template", "nope"], "'nope' is not one of 'churn', 'fraud'"),
    (["schema", "--out"], "Option '--out' requires an argument."),
    (["decide", "case.yaml", "--resamples", "many"], "Invalid value for '--resamples'"),
]


@pytest.mark.parametrize(
    ("args", "says"), USAGE_BAD, ids=lambda x: " ".join(x) if isinstance(x, list) else None
)
def test_a_command_line_mistake_is_one_line_not_a_usage_box(args: list[str], says: str) -> None:
    line = assert_one_located_line(_run(*args), says)
    assert line.startswith("error: ")


def test_help_is_still_help() -> None:
    result = _run("roi", "--help")
    assert result.exit_code == 0
    assert "Usage: mlroi roi" in result.stdout
    bare = _run()
    assert "Usage: mlroi" in bare.output  # `mlroi` alone shows the help, as before


@pytest.mark.parametrize(
    ("args", "says", "help_"), OPTION_BAD, ids=[" ".join(b[0]) for b in OPTION_BAD]
)
def test_a_usage_error_is_one_line_naming_the_option_and_the_help(
    tmp_path: Path, args: list[str], says: str, help_: str
) -> None:
    (tmp_path / "case.yaml").write_text(STARTER_CASE, encoding="utf-8")
    full = [str(tmp_path / a) if a.endswith(".yaml") else a for a in args]
    line = assert_one_located_line(_run(*full), says)
    assert help_ in line
    assert not (tmp_path / "new.yaml").exists()


@pytest.mark.parametrize("command", ["roi", "report"])
def test_an_input_whose_draws_overflow_is_the_one_blamed(tmp_path: Path, command: str) -> None:
    # a range from -1e308 draws NaN; NaN compares false, so the check once blamed costs[2]
    text = _replace(
        STARTER_CASE,
        "      value_per_unit: 1.0 ",
        "      value_per_unit: {low: -1e308, likely: 1.0, high: 2.0} ",
    )
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    args = [command, path] + (["--out", tmp_path / "out"] if command == "report" else [])
    line = assert_one_located_line(
        _run(*args), f"{path}:{line_of(text, 'value_per_unit:')} value.drivers[0].value_per_unit"
    )
    assert "a range this wide makes the monthly value reach" in line


@pytest.mark.parametrize("command", ["experiment", "design"])
def test_an_experiment_section_that_is_not_a_mapping_is_named_at_its_line(
    tmp_path: Path, command: str
) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(STARTER_CASE + "experiment: true\n", encoding="utf-8")
    args = [command, path] + (["--mde", "0.05"] if command == "design" else [])
    line = assert_one_located_line(
        _run(*args), f"{path}:{line_of(path.read_text(), 'experiment: true')} experiment"
    )
    assert "expected a mapping of keys to values" in line
    assert "top level" not in line


@pytest.mark.parametrize(
    ("mde", "absolute", "says"),
    [
        ("1e-300", False, "needs more than 1e+15 units (too small to detect)"),
        ("1e-300", True, "needs more than 1e+15 units (too small to detect)"),
        ("1e308", False, "a relative mde of 1e+308 is more than 1e+06 times the baseline"),
    ],
)
def test_an_mde_out_of_range_is_one_line_not_an_overflow(
    tmp_path: Path, mde: str, absolute: bool, says: str
) -> None:
    config = tmp_path / "experiment.yaml"
    config.write_text(EXPERIMENT, encoding="utf-8")
    pa_users = users()
    import pyarrow.parquet as pq

    pq.write_table(pa_users, tmp_path / "users.parquet")
    args = ["design", config, "--mde", mde] + (["--absolute"] if absolute else [])
    line = assert_one_located_line(_run(*args), "mde: ")
    assert says in line


# --- retention: an activity log no assigned user can be matched to ---------------------------

RETENTION_CASE = (
    STARTER_CASE
    + """
retention:
  assignments: {path: assignments.parquet}
  activity: {source: {path: activity.parquet}, inactivity_days: 7}
  control: control
  observation_end: 2026-03-01T00:00:00
  window_days: 30
  days: [7, 30]
"""
)
RETENTION_LOG_BAD = [
    ("user ids all NULL", "null", "none of the activity log's 40 rows belongs to an assigned user"),
    ("user ids as text", "text", "user column 'user_id' is int64 in the assignments but string"),
    ("user ids of other users", "other", "40 a user missing from the assignments"),
]


@pytest.mark.parametrize(
    ("kind", "says"), [b[1:] for b in RETENTION_LOG_BAD], ids=[b[0] for b in RETENTION_LOG_BAD]
)
def test_an_activity_log_matching_no_user_is_an_error_not_zero_retention(
    tmp_path: Path, kind: str, says: str
) -> None:
    # once: every user read as churned on day 0, retention 0.0% in both arms, exit 0
    import pandas as pd
    import pyarrow.parquet as pq

    ids = np.arange(20, dtype=np.int64)
    start = pd.Timestamp("2026-01-01")
    pq.write_table(
        pa.table(
            {
                "user_id": ids,
                "variant": np.where(ids % 2 == 0, "control", "treatment"),
                "first_exposure": pa.array([start] * 20, pa.timestamp("us")),
            }
        ),
        tmp_path / "assignments.parquet",
    )
    times = pa.array([start + pd.Timedelta(days=d) for d in range(40)], pa.timestamp("us"))
    user = {
        "null": pa.nulls(40, pa.int64()),
        "text": pa.array([str(i % 20) for i in range(40)]),
        "other": pa.array(np.arange(40, dtype=np.int64) + 1000),
    }[kind]
    pq.write_table(pa.table({"user_id": user, "ts": times}), tmp_path / "activity.parquet")
    (tmp_path / "case.yaml").write_text(RETENTION_CASE, encoding="utf-8")
    line = assert_one_located_line(_run("retention", tmp_path / "case.yaml"), "error: ")
    assert says in line
