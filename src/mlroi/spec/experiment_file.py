"""The experiment configuration of ``mlroi experiment`` and ``mlroi design``: an experiment file,
or the ``experiment:`` section of a case file.

A file with an ``experiment:`` key at the top is a case: its section is read, and errors name the
case's lines (``case.yaml:23 experiment.metrics[0].column: ...``). Any other file is an
experiment configuration of its own.
"""

from __future__ import annotations

from pathlib import Path

from mlroi.errors import SpecError
from mlroi.experiment.config import ExperimentConfig

__all__ = ["load_experiment"]

_CASE_ONLY = frozenset({"name", "goal", "intervention", "value", "costs", "finance", "decision"})
"""Top-level keys that make a file a case (the experiment configuration has none of them)."""


def load_experiment(path: str | Path) -> ExperimentConfig:
    """The experiment configuration in ``path``: the file itself, or a case's section.

    Raises:
        SpecError: one line naming the file, line and field; a case without an
            ``experiment:`` section says how to add one.
    """
    from mlroi.spec.loader import load_model
    from mlroi.spec.yamlfile import peek

    p = Path(path)
    data = peek(p)  # None when unreadable: the loader reports it, with its line
    if isinstance(data, dict) and "experiment" in data:
        return load_model(p, ExperimentConfig, section="experiment")
    if isinstance(data, dict) and set(data) & _CASE_ONLY:
        raise SpecError(
            f"{p}: a case without an `experiment:` section: add one (source, unit, variant, "
            "control, arms, metrics; see README, 'The experiment file'), or give the lift by "
            "hand in value.drivers"
        )
    return load_model(p, ExperimentConfig)
