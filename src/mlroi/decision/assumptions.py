"""The inputs of a decision's value model, each with its source: column, case or template."""

from __future__ import annotations

from mlroi.assumption import Assumption, AssumptionSource, shown
from mlroi.decision.config import DecisionConfig
from mlroi.decision.templates import TEMPLATES
from mlroi.expr import parse


def decision_assumptions(
    config: DecisionConfig, columns: list[str], used: set[str], currency: str
) -> tuple[Assumption, ...]:
    """Every name the value model reads besides ``label``: where its value came from.

    Args:
        config: the ``decision:`` section (already checked by
            :func:`mlroi.decision.valuation.check_given`).
        columns: the scored table's columns.
        used: the names the value model's expressions read, after the template.
        currency: ISO code of money values.

    Returns:
        The template's names in the template's order, then the case's other parameters.
    """
    out: list[Assumption] = []
    seen: set[str] = set()
    units = {"money": currency, "share": "share", "probability": "probability"}
    template = TEMPLATES[config.template] if config.template else None
    for name, (unit, what) in (template.names if template else {}).items():
        if name not in used:
            continue
        target = config.columns.get(name, name)
        seen.add(target)
        if not target.isidentifier():  # an expression over columns and parameters
            read = parse(target).names()
            source: AssumptionSource = "column" if read & set(columns) else "case"
            out.append(Assumption(name, target, units[unit], source, f"{what}, row by row"))
        elif target in config.parameters:
            note = what if target == name else f"{what} (parameter {target})"
            out.append(
                Assumption(name, shown(config.parameters[target]), units[unit], "case", note)
            )
        elif target in columns:
            out.append(Assumption(name, target, units[unit], "column", f"{what}, row by row"))
        else:
            assert template is not None and name in template.defaults
            q = template.defaults[name]
            out.append(
                Assumption(
                    name,
                    shown(q),
                    units[unit],
                    "template default",
                    f"{what} ({config.template} template; set it under `parameters:`)",
                )
            )
    for name, q in config.parameters.items():
        if name not in seen:
            out.append(Assumption(name, shown(q), "as used in the value model", "case"))
    return tuple(out)
