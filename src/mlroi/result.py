"""What every result can do: serialise to JSON, and show itself in words, a terminal, a notebook.

Results (:class:`~mlroi.experiment.result.ExperimentResult`,
:class:`~mlroi.decision.result.DecisionResult`, :class:`~mlroi.roi.result.RoiResult`) hold
numbers and inherit :class:`Result`. This module is the only bridge from results to
:mod:`mlroi.report`, and it imports the report layer lazily, inside the methods that need words,
so the numeric layers never depend on the renderers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from mlroi.serialize import dumps, json_ready

if TYPE_CHECKING:
    from mlroi.report.view import View


class Result:
    """Mixin of the result protocol: ``to_dict``, ``to_json``, ``view``, ``headline``,
    ``summary``, ``__repr__`` and ``_repr_html_``.

    Subclasses are frozen dataclasses declared with ``repr=False``, so they keep this class's
    ``__repr__`` (a short text from the report layer). ``to_dict`` defaults to every field,
    recursively, with non-finite numbers as ``None``; a result whose JSON carries its headline
    sets ``headline_in_json``.
    """

    headline_in_json: ClassVar[bool] = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; non-finite numbers (open interval ends) become ``None``."""
        out: dict[str, Any] = json_ready(self)
        if self.headline_in_json:
            out["headline"] = self.headline()
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text (byte-identical for identical inputs and seed)."""
        return dumps(self.to_dict(), indent=indent)

    def view(self) -> View:
        """The result as a report view (see :mod:`mlroi.report.view`)."""
        from mlroi.report.build import view_of

        return view_of(self)

    def headline(self) -> str | None:
        """The one sentence to read first (``None`` when the result has none)."""
        h = self.view().headline
        return None if h is None else h.text

    def summary(self) -> list[str]:
        """The findings in plain sentences."""
        return self.view().sentences()

    def __repr__(self) -> str:
        from mlroi.report.build import describe

        return describe(self)

    def _repr_html_(self) -> str:
        from mlroi.report.build import notebook_html

        return notebook_html(self)
