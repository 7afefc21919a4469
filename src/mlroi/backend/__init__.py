"""The only code that builds and runs backend queries: executor, capabilities, checks, requests."""

from mlroi.backend.compilers import load_on_demand

load_on_demand()  # before any Ibis backend loads: DuckDB alone needs one of Ibis's compilers
