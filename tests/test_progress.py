"""The progress bar of `mlroi report` and `mlroi demo` moves one step per stage of a case."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from mlroi.cli.output import Steps, case_stages
from mlroi.spec.case import load_case

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_a_case_moves_the_bar_one_step_per_stage_and_ends_complete() -> None:
    bar = Progress(console=Console(file=io.StringIO()))
    stages = case_stages(load_case(EXAMPLES / "churn.yaml"))
    assert stages == [
        "reading out the experiment",
        "decision analysis",
        "simulating value, costs and ROI",
    ]
    s = Steps(bar, total=len(stages) + 1)
    task = bar.tasks[0]
    say = s.case("churn.yaml", stages)
    say("reading out the experiment")
    assert task.completed == 0
    say("decision analysis: bootstrap")
    assert task.completed == 1 and "bootstrap" in task.description
    say("decision analysis: value curve")  # a sub-step moves nothing
    assert task.completed == 1
    say("simulating value, costs and ROI")
    assert task.completed == 2
    s.finish()
    assert task.completed == 3
    s.start("writing the report")
    s.finish()
    assert task.completed == task.total == 4


def test_a_case_without_an_analysis_section_has_one_stage() -> None:
    case = load_case(EXAMPLES / "churn.yaml").model_copy(
        update={"experiment": None, "decision": None}
    )
    assert case_stages(case) == ["simulating value, costs and ROI"]


def test_every_analysis_a_case_runs_is_a_stage_in_run_order() -> None:
    assert case_stages(load_case(EXAMPLES / "recommender.yaml")) == [
        "reading out the experiment",
        "attribution",
        "counting churn per arm and day",
        "simulating value, costs and ROI",
    ]
    assert case_stages(load_case(EXAMPLES / "video.yaml")) == [
        "observational estimate",
        "simulating value, costs and ROI",
    ]
