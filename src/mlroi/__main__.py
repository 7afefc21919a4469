"""``python -m mlroi``: the command line."""

from mlroi.cli import run

run()
