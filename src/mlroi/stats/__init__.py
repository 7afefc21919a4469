"""Pure numerics on small aggregates: tests, delta method, CUPED, SRM, power, multiplicity.

Nothing here touches Ibis, files or rows.
"""
