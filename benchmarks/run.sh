#!/usr/bin/env bash
# Set up what the readout benchmark needs, then run it.
#
#   benchmarks/run.sh            full size: 10M users, ~50M events (writes benchmarks/results.md)
#   benchmarks/run.sh --quick    1M users, ~5M events smoke run (about a minute)
#   benchmarks/run.sh decision   the decision benchmark: 1M and 10M scored rows against
#                                scikit-learn and empulse (writes benchmarks/decision_results.md;
#                                `decision --quick` runs 1M rows only)
#
# Any other argument goes to benchmarks/readout_bench.py (see --help there).
#
# Environments (all from PyPI; the project's uv.lock is never changed):
#   .venv                       the project itself, `uv sync --frozen` (what ./dev does)
#   benchmarks/.venv-tea        tea-tasting from the lock's `bench` group, with the same ibis and
#                               duckdb pins as the project; a separate venv because `uv sync` in
#                               the main venv drops the group's packages again
#   benchmarks/.venv-gbstats    gbstats, which needs numpy<2 and pandas<2: Python 3.11
# Generated data goes to benchmarks/data/ (git-ignored) and is reused between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/benchmarks

if command -v uv >/dev/null 2>&1; then
    UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
    UV=(python3 -m uv)
else
    python3 -m pip install --quiet uv || python3 -m pip install --quiet --user uv
    hash -r
    if command -v uv >/dev/null 2>&1; then UV=(uv); else UV=(python3 -m uv); fi
fi

echo "==> project environment (uv sync --frozen)"
"${UV[@]}" sync --frozen --quiet
PY=$ROOT/.venv/bin/python
PYVER=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ "${1:-}" == "decision" ]]; then
    shift
    if ! "$BENCH/.venv-empulse/bin/python" -c "import empulse" >/dev/null 2>&1; then
        echo "==> benchmarks/.venv-empulse (empulse, pinned by uv.lock's bench group)"
        "${UV[@]}" export --frozen --no-dev --group bench --no-hashes --no-emit-project \
            --quiet -o "$tmp/empulse.txt"
        "${UV[@]}" venv --quiet --allow-existing --python "$PYVER" "$BENCH/.venv-empulse"
        "${UV[@]}" pip install --quiet --python "$BENCH/.venv-empulse/bin/python" \
            -r "$tmp/empulse.txt"
    fi
    echo "==> decision benchmark"
    exec "$PY" "$BENCH/decision_bench.py" "$@"
fi

if ! "$BENCH/.venv-tea/bin/python" -c "import tea_tasting" >/dev/null 2>&1; then
    echo "==> benchmarks/.venv-tea (tea-tasting, pinned by uv.lock's bench group)"
    "${UV[@]}" export --frozen --no-dev --group bench --no-hashes --no-emit-project \
        --quiet -o "$tmp/tea.txt"
    "${UV[@]}" venv --quiet --allow-existing --python "$PYVER" "$BENCH/.venv-tea"
    "${UV[@]}" pip install --quiet --python "$BENCH/.venv-tea/bin/python" -r "$tmp/tea.txt"
fi

if ! "$BENCH/.venv-gbstats/bin/python" -c "import gbstats, duckdb" >/dev/null 2>&1; then
    echo "==> benchmarks/.venv-gbstats (gbstats; numpy<2, pandas<2 on Python 3.11)"
    duckdb_pin=$("$PY" -c 'from importlib.metadata import version; print(version("duckdb"))')
    "${UV[@]}" venv --quiet --allow-existing --python 3.11 "$BENCH/.venv-gbstats"
    "${UV[@]}" pip install --quiet --python "$BENCH/.venv-gbstats/bin/python" \
        gbstats "numpy<2" "pandas<2" "duckdb==$duckdb_pin"
fi

echo "==> readout benchmark"
exec "$PY" "$BENCH/readout_bench.py" "$@"
