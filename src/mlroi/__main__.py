"""``python -m mlroi``: the command line."""

from mlroi.process import run

run()
