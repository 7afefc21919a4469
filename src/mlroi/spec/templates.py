"""Commented starter cases written by ``mlroi init --template NAME``: each validates and runs as
written on mlroi's demo data, and says what to replace with one's own.

- ``churn``: which customers get a retention offer (a decision-only case);
- ``fraud``: where to set the blocking threshold (a decision-only case);
- ``recommender``: the ROI of a recommender from its A/B test;
- ``feed``: the ROI of a feed ranking model from engagement and ad revenue.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["DECISION_ONLY", "TEMPLATES"]

_CHURN = """\
# Which customers should get a retention offer, and what is it worth? A decision-only case: a
# scored table and what each outcome is worth. Check it with `mlroi validate churn.yaml`, run it
# with `mlroi decide churn.yaml`; `mlroi decide churn.yaml --threshold 0.3` asks whether the
# threshold in use is any good. It runs as written on mlroi's demo data; replace the source and
# the column names with your own.
#
# Any parameter may be uncertain:
#   12                                   a known value
#   {low: 10, likely: 12, high: 18}      a three-point estimate (Beta-PERT)
#   {low: 10, high: 14}                  uniform between the two
#   {normal: [12, 2]}  {beta: [6, 14]}  {lognormal: [2.5, 0.2]}

currency: USD                       # of every amount below

decision:
  source: {demo: churn/scored}      # yours: {path: data/scored.parquet} (or CSV, or url + table)
  score: score                      # the churn score; the highest scores get the offer first
  label: churned                    # 1 = the customer left within the lead time
  lead_time: 2 months               # how far ahead of the churn the scores were made
  eligible: tenure_months >= 12     # who may get the offer (optional)
  template: churn                   # Verbraken et al. (2013): a contacted churner stays with
                                    # probability g and brings clv - discount - contact
  columns: {clv: saved_value}       # the template's clv is the parameter saved_value here
  parameters:
    saved_value: {low: 350, likely: 480, high: 600}   # remaining gross profit of a saved churner
    g: {beta: [6, 14]}              # share of contacted churners who accept and stay (mean 0.3)
    stayers_accept: 0.6             # share of contacted non-churners who take the discount anyway
    contact: 2.5                    # cost of one contact (email + SMS)
                                    # discount is a column of the table here; a number works
                                    # too, e.g. `discount: 10`
  constraints:                      # what the chosen threshold must meet (optional)
    - discounts_given <= value_retained
  # in_use: {threshold: 0.3}        # the threshold in use today, valued beside the best one
  rows_per_year: 780000             # eligible customers scored in a year (12 monthly scorings)
  bootstrap: {resamples: 200}       # uncertainty from the data (0 turns it off)
"""

_FRAUD = """\
# Where should the fraud model block transactions? A decision-only case: a scored table of past
# transactions, what blocking each is worth, and the limit on blocking legitimate customers.
# Check it with `mlroi validate fraud.yaml`, run it with `mlroi decide fraud.yaml`;
# `mlroi decide fraud.yaml --threshold 0.5` values the threshold in use beside the best one.
# It runs as written on mlroi's demo data; replace the source and the column names with your own.

currency: USD

decision:
  source: {demo: fraud/scored}      # yours: {path: data/transactions_scored.parquet}
  score: score                      # the fraud score; block when it is at least the threshold
  label: is_fraud                   # 1 = the transaction was fraud (chargeback confirmed)
  challenger: score_challenger      # a second model on the same rows (optional)
  template: fraud                   # blocking a fraud saves recovery x amount; blocking a
                                    # legitimate sale costs friction + lost_margin x amount
  parameters:
    recovery: 1                     # share of a fraud's amount the block saves
    friction: {low: 3, likely: 5, high: 9}           # support cost per wrongly blocked customer
    lost_margin: {low: 0.2, likely: 0.3, high: 0.45}  # share of a blocked sale's amount lost
  constraints:
    - fpr <= 0.005                  # block under 0.5% of legitimate transactions
  # in_use: {threshold: 0.5}        # the threshold in use today, valued beside the best one
  rows_per_year: 36000000           # transactions scored in a year
  bootstrap: {resamples: 200}
"""

_RECOMMENDER = """\
# The ROI of a product recommender from its A/B test. Check it with
# `mlroi validate recommender.yaml`; read out the test with `mlroi experiment recommender.yaml`,
# size the next one with `mlroi design recommender.yaml`, get the ROI with
# `mlroi roi recommender.yaml` and the stakeholder report with `mlroi report recommender.yaml`.
# It runs as written on mlroi's demo data; replace the source, the columns and every number.
#
# Any number may be uncertain:
#   12                                   a known value
#   {low: 10, likely: 12, high: 18}      a three-point estimate (Beta-PERT)
#   {low: 10, high: 14}                  uniform between the two
#   {normal: [12, 2]}

name: Home-page product recommender
goal: Increase revenue per user
intervention: Show 5 personalised product recommendations on the home page
population:
  description: Logged-in users who visit the home page (about 1.2M a month)
  size: 1200000
primary_metric: revenue_per_user   # an experiment metric or a value driver's name
model_metrics:                     # offline metrics, reported beside the business ones
  recall_at_20: 0.31
constraints:
  - description: Minutes per session must not drop by more than 2%   # words; the guardrail
                                   # below checks it

experiment:
  source: {demo: recommender/users}   # yours: {path: data/ab_users.parquet}, one row per user
  unit: user_id
  variant: variant                 # the column holding each user's arm
  control: control
  arms: {control: 0.5, treatment: 0.5}   # planned shares, for the sample-ratio check
  window_days: 14                  # each user's metrics cover the test's 14 days
  metrics:
    - {name: revenue_per_user, type: mean, column: revenue, covariate: pre_revenue, cap: 0.999}
    - {name: conversion, type: proportion, column: converted}
    - {name: ctr, type: ratio, numerator: clicks, denominator: impressions}
    - {name: minutes_per_session, type: ratio, numerator: session_minutes, denominator: sessions}
  guardrails:
    - {metric: minutes_per_session, direction: increase, margin: 0.02}

value:
  drivers:
    - name: incremental gross profit
      lift: {metric: revenue_per_user}   # revenue per user over the test's 14 days
      per: window                        # mlroi converts the 14-day lift to a month
      basis: gross profit                # what the value is (with the margin below)
      margin: {low: 0.26, likely: 0.30, high: 0.34}   # gross margin: value as gross profit
      units_per_month: 1200000           # users reached per month
  ramp_months: 1                   # the effect reaches full size over a month
  decay: {low: 0.0, likely: 0.1, high: 0.3}   # and may fade as the novelty wears off

costs:
  - {kind: build, name: first version, amount: {low: 90000, likely: 120000, high: 180000}}
  - {kind: gpu, name: nightly retraining, gpu: a100-40gb, hours: {low: 60, likely: 90, high: 150}}
  - {kind: inference, name: online serving, tier: cpu-realtime-p99-100ms, requests: 95000000}
  - {kind: storage, name: feature store and logs, storage_class: object-standard, tb: 15}
  - {kind: people, name: ML engineer upkeep, fte: 1, loaded_salary: 210000, share: 0.5}

finance:
  currency: USD
  horizon_months: 24
  discount_rate: 0.10              # a year
"""

_FEED = """\
# The ROI of a feed ranking model: time spent, display and performance ads, against real-time
# inference. Check it with `mlroi validate feed.yaml`; read out the test with
# `mlroi experiment feed.yaml`, get the ROI with `mlroi roi feed.yaml`. It runs as written on
# mlroi's demo data; replace the source, the columns and every number.

name: Feed ranking model
goal: Increase time spent and ad revenue in the feed
intervention: Rank the home feed with the new model instead of recency plus popularity
population:
  description: Monthly active users of the app (about 4 million)
  size: 4000000
primary_metric: minutes
constraints:
  - description: Sessions per user must not drop   # words; the guardrail below checks it

experiment:
  source: {demo: feed/users}       # yours: {path: data/feed_test.parquet}, one row per user
  unit: user_id
  variant: variant
  control: control
  arms: {control: 0.5, ranker: 0.5}
  window_days: 14                  # each user's metrics cover 14 days
  metrics:                         # covariate: the pre-period value, for CUPED
    - {name: minutes, type: mean, column: minutes, covariate: pre_minutes}
    - {name: ad_impressions, type: mean, column: ad_impressions, covariate: pre_minutes}
    - {name: ad_clicks, type: mean, column: ad_clicks, covariate: pre_minutes}
    - {name: sessions, type: mean, column: sessions, covariate: pre_minutes}
  guardrails:
    - {metric: sessions, direction: increase, margin: 0.01}
  segments: [platform]

value:
  drivers:
    - name: time spent
      lift: {metric: minutes}      # minutes per user per 14 days
      per: window                  # mlroi converts the 14-day lift to a month
      basis: engagement value
      value_per_unit: {low: 0.002, likely: 0.004, high: 0.006}   # retention value of a minute
      units_per_month: 4000000     # monthly active users
    - name: display ads (CPM)
      lift: {metric: ad_impressions}
      per: window
      basis: incremental revenue
      value_per_unit: {low: 0.004, likely: 0.006, high: 0.008}   # $4-8 per 1,000 impressions
      units_per_month: 4000000
    - name: performance ads (CPC)
      lift: {metric: ad_clicks}
      per: window
      basis: incremental revenue
      value_per_unit: {low: 0.25, likely: 0.35, high: 0.45}      # revenue per click
      units_per_month: 4000000
  ramp_months: 2
  decay: {low: 0.0, likely: 0.1, high: 0.25}
  basis: engagement value

costs:
  - {kind: build, name: ranking model and serving,
     amount: {low: 200000, likely: 250000, high: 350000}}
  - {kind: inference, name: real-time ranking at p99 50 ms, tier: gpu-realtime-p99-50ms,
     requests: 600000000}
  - {kind: gpu, name: daily retraining, gpu: h100-80gb, hours: {low: 120, likely: 180, high: 300}}
  - {kind: people, name: ranking team share, fte: 3, loaded_salary: 230000, share: 0.5}

finance:
  currency: USD
  horizon_months: 24
  discount_rate: 0.10
"""

TEMPLATES: MappingProxyType[str, str] = MappingProxyType(
    {"churn": _CHURN, "fraud": _FRAUD, "recommender": _RECOMMENDER, "feed": _FEED}
)
"""Starter case text by template name."""

DECISION_ONLY = frozenset({"churn", "fraud"})
"""Templates that are decision-only cases (run with ``mlroi decide``)."""
