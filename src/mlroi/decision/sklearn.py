"""A scikit-learn scorer that values a classifier's decisions with mlroi's value model.

The decision value of a set of predictions is

    value = sum over rows of (act if the row is predicted positive else leave)

with ``act`` and ``leave`` written in the expression language of :mod:`mlroi.expr`,
the same expressions a case file gives the exact value curve of
:mod:`mlroi.decision.value_curve`. The
expressions read the label by name (1 for the positive class, 0 otherwise), named numeric
parameters, and per-row columns that scikit-learn routes to the scorer as metadata (a
customer's lifetime value, a transaction's amount).

Plugged into :class:`sklearn.model_selection.TunedThresholdClassifierCV`, the scorer picks the
best of a grid of thresholds (100 by default, evenly spaced between the lowest and highest
score). The exact curve evaluates every distinct score, so its optimum is never below the grid's
best: :func:`mlroi.decision.optimum.optimum` is the reference the grid can only approach.

Thresholds mean the same on both sides: scikit-learn predicts the positive class when
``score >= threshold``, and the curve acts on rows with ``score >= threshold``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from mlroi.expr import Expr, bind, evaluate, parse

__all__ = ["DecisionValue", "value_scorer"]


@dataclass(frozen=True)
class DecisionValue:
    """The value of a set of decisions: ``sum(act over predicted positives) + sum(leave over
    the other rows)``.

    A metric with scikit-learn's signature ``metric(y_true, y_pred, **metadata)``, built by
    :func:`value_scorer`. ``act`` is evaluated on the rows predicted positive only, and
    ``leave`` on the others, so a division guarded by the decision never sees the other rows.

    Attributes:
        act: value of acting on a row, parameters substituted (:func:`mlroi.expr.bind`).
        leave: value of leaving a row alone.
        label: the name under which the expressions read the label.
        columns: per-row columns the scorer receives as metadata.
    """

    act: Expr
    leave: Expr
    label: str
    columns: tuple[str, ...] = ()

    @property
    def __name__(self) -> str:
        """The metric's name in the scorer's repr (scikit-learn reads it)."""
        return "decision_value"

    def __call__(
        self,
        y_true: npt.ArrayLike,
        y_pred: npt.ArrayLike,
        *,
        pos_label: Any = 1,
        **metadata: npt.ArrayLike,
    ) -> float:
        """The value of predicting ``y_pred`` for rows whose outcome is ``y_true``.

        Args:
            y_true: the outcomes; rows equal to ``pos_label`` have label 1, the others 0.
            y_pred: the predictions; rows equal to ``pos_label`` are acted on.
            pos_label: the positive class.
            **metadata: the per-row ``columns``, one value per row.

        Raises:
            ValueError: a declared column is missing or has the wrong length, or an undeclared
                one is passed.
            ExprError: a row reaches a division by zero.
        """
        y = np.asarray(y_true)
        acted = np.asarray(y_pred) == pos_label
        rows = y.shape[0]
        unexpected = sorted(set(metadata) - set(self.columns))
        if unexpected:
            raise ValueError(
                f"the scorer got metadata {unexpected} it does not read; declare them in "
                "value_scorer(columns=...) or stop requesting them"
            )
        data: dict[str, npt.NDArray[Any]] = {self.label: y == pos_label}
        for name in self.columns:
            if name not in metadata:
                raise ValueError(
                    f'column "{name}" did not reach the scorer: pass it to fit, e.g. '
                    f"tuner.fit(X, y, {name}={name}), with metadata routing enabled"
                )
            values = np.asarray(metadata[name])
            if values.shape != (rows,):
                raise ValueError(
                    f'column "{name}" has shape {values.shape}; one value per row ({rows}) '
                    "is expected"
                )
            data[name] = values
        return _total(self.act, data, acted, "act") + _total(self.leave, data, ~acted, "leave")


def _total(
    expr: Expr, data: Mapping[str, npt.NDArray[Any]], rows: npt.NDArray[np.bool_], field: str
) -> float:
    """``expr`` summed over the selected rows (a constant counts once per row)."""
    selected = {name: data[name][rows] for name in expr.names()}
    values = evaluate(expr, selected, field=field)
    return float(np.broadcast_to(values, (int(np.count_nonzero(rows)),)).sum())


def value_scorer(
    act: str,
    leave: str = "0",
    *,
    label: str = "y",
    parameters: Mapping[str, float] | None = None,
    columns: Sequence[str] = (),
    pos_label: Any = 1,
) -> Any:
    """A scikit-learn scorer worth the value of the decisions a classifier's predictions make.

    Built with ``sklearn.metrics.make_scorer(..., response_method="predict")`` around
    :class:`DecisionValue`, so it works wherever scikit-learn takes ``scoring``; with
    ``TunedThresholdClassifierCV`` it tunes the decision threshold for value. Per-row
    ``columns`` reach it through metadata routing: enable it with
    ``sklearn.set_config(enable_metadata_routing=True)`` before building the scorer, then pass
    the columns to ``fit`` (the scorer requests them).

    Args:
        act: value of acting on a row (predicted positive), e.g.
            ``"g * (clv - d - f) - (1 - g) * f if y == 1 else -(d + f)"``.
        leave: value of leaving a row alone (predicted negative).
        label: the name of the label in the expressions: 1 for ``pos_label``, else 0.
        parameters: named numbers the expressions read, e.g. ``{"g": 0.3, "d": 10, "f": 1}``.
        columns: per-row columns the expressions read, passed as metadata.
        pos_label: the positive class of the classifier.

    Returns:
        The scorer, ``scorer(estimator, X, y, **columns) -> value``; greater is better.

    Raises:
        ExprError: an expression does not parse or names something neither the label, a
            column nor a parameter (with a did-you-mean).
        ValueError: ``columns`` are given while metadata routing is off, or repeat the label.
        ImportError: scikit-learn is not installed.

    Example:
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.model_selection import TunedThresholdClassifierCV
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(2_000, 2))
        >>> y = (X[:, 0] + rng.normal(size=2_000) > 1).astype(int)
        >>> model = LogisticRegression().fit(X, y)
        >>> # blocking a fraud saves 100, reviewing any transaction costs 5
        >>> scorer = value_scorer("100 * y - review", parameters={"review": 5.0})
        >>> tuned = TunedThresholdClassifierCV(model, scoring=scorer, cv="prefit", refit=False)
        >>> tuned = tuned.fit(X, y)
        >>> bool(tuned.best_threshold_ < 0.5)  # a cheap review pays below even odds
        True
    """
    sklearn = _sklearn()
    metrics = importlib.import_module("sklearn.metrics")
    columns = tuple(columns)
    if label in columns:
        raise ValueError(f'columns: "{label}" is the label; list only the other per-row columns')
    names = [label, *columns]
    values = parameters or {}
    metric = DecisionValue(
        act=bind(parse(act, field="act", kind="number"), names, values, field="act"),
        leave=bind(parse(leave, field="leave", kind="number"), names, values, field="leave"),
        label=label,
        columns=columns,
    )
    scorer = metrics.make_scorer(metric, response_method="predict", pos_label=pos_label)
    if columns:
        if not sklearn.get_config()["enable_metadata_routing"]:
            raise ValueError(
                f"columns {list(columns)} reach the scorer through metadata routing, which is "
                "off: call sklearn.set_config(enable_metadata_routing=True) first"
            )
        scorer = scorer.set_score_request(**dict.fromkeys(columns, True))
    return scorer


def _sklearn() -> ModuleType:
    try:
        return importlib.import_module("sklearn")
    except ImportError:
        raise ImportError(
            "the value scorer needs scikit-learn: pip install 'mlroi[sklearn]'"
        ) from None
