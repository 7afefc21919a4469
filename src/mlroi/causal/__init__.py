"""Incremental value without an A/B test: observational designs that control for intent.

One module per design (``adjustment``: regression, IPW, AIPW; ``did``: difference-in-differences;
``synthetic``: interrupted time series and synthetic control); each returns a frozen subclass of
:class:`~mlroi.causal.result.CausalResult`, which states its design, its assumptions and its
diagnostics, and withholds its headline when a blocking diagnostic fails.
"""
