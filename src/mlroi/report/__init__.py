"""Results in words: :mod:`~mlroi.report.view` models built per result kind
(:mod:`~mlroi.report.experiment`, :mod:`~mlroi.report.decision`, :mod:`~mlroi.report.roi`),
every number written by :mod:`~mlroi.formatting`, rendered by :mod:`~mlroi.report.terminal`,
:mod:`~mlroi.report.markdown` and :mod:`~mlroi.report.html`."""
