"""The commented starter case written by ``mlroi init``: it validates and runs as written."""

from __future__ import annotations

STARTER_CASE = """\
# An mlroi business case. Edit it, check it with `mlroi validate case.yaml`, run it with
# `mlroi roi case.yaml`. Editor completion: `mlroi schema --out case.schema.json` and point
# your editor's YAML language server at it.
#
# Any number below may be uncertain:
#   12                                   a known value
#   {low: 10, likely: 12, high: 18}      a three-point estimate (Beta-PERT)
#   {low: 10, high: 14}                  uniform between the two
#   {normal: [12, 2]}  {beta: [6, 14]}  {lognormal: [2.5, 0.2]}

name: Product recommender
goal: Increase revenue per user on the home page
intervention: Show 5 personalised recommendations on the home page
population:
  description: Logged-in users who visit the home page
  size: 1200000
primary_metric: incremental gross profit   # a value driver's name or an experiment metric

# Offline model metrics, reported beside the business figures.
model_metrics:
  recall_at_20: 0.31
  ndcg_at_10: 0.42

constraints:
  - description: Page latency p99 stays under 300 ms

# Where the lift comes from. Here it is entered by hand, with its 95% interval. To measure
# it, add an `experiment:` section (see `mlroi experiment`) and write `lift: {metric: NAME}`.
value:
  drivers:
    - name: incremental gross profit
      lift:
        estimate: 0.35             # revenue per user per month, treatment - control
        interval: [0.20, 0.50]
        level: 0.95
        source: pilot A/B test, March
      per: month                   # the period of the lift: month, year or window
      value_per_unit: 1.0          # money per unit of the metric (1 for revenue)
      margin: {low: 0.25, likely: 0.30, high: 0.35}   # gross margin: value as gross profit
      units_per_month: 1200000     # users reached per month
  ramp_months: 2                   # the effect reaches full size over 2 months
  decay: 0.10                      # and fades by 10% a year
  growth: 0.05                     # the population grows 5% a year

costs:
  - {kind: build, name: first version, amount: {low: 80000, likely: 120000, high: 200000}}
  - {kind: gpu, name: weekly retraining, gpu: a100-40gb, hours: {low: 40, likely: 60, high: 100}}
  - {kind: inference, name: online serving, tier: cpu-realtime-p99-100ms, requests: 90000000}
  - {kind: storage, name: feature store, storage_class: object-standard, tb: 8}
  - {kind: people, name: ML engineers, fte: 1.5, loaded_salary: 210000, share: 0.6}
  - {kind: fixed, name: vector database licence, category: licence, amount: 18000, every: year}

finance:
  currency: USD
  horizon_months: 24
  discount_rate: 0.10              # a year; month t is discounted by 1.10^(t/12)

simulation:
  draws: 100000
  seed: 7
  level: 0.90
"""
