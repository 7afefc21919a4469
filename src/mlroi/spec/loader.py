"""Load a YAML file into a pydantic model; errors name the file, line, field and fix.

A pydantic error location (``("metrics", 2, "column")``) is mapped back to the YAML node it came
from, so the message reads ``experiment.yaml:14 metrics[2].column: field required``. Unknown keys
are errors, with a did-you-mean among the field names the models know.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mlroi.errors import MlroiError, SpecError
from mlroi.spec.yamlfile import check_no_bool_numbers, check_numbers, parse, read_text

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


def _compose(text: str, name: str) -> tuple[Any, dict[Loc, int]]:
    doc = parse(text, name)
    return ({} if doc.data is None else doc.data), doc.lines


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for sub in _models_in(field.annotation):
            names |= _field_names(sub, seen)
    return names


def _keys_at(model: type[BaseModel], loc: Sequence[str | int]) -> set[str]:
    """The keys allowed where ``loc`` points (the model's own fields when the path leads to
    one model), else every key of ``model`` and its sub-models."""
    current = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        found = [
            sub
            for m in current
            if part in m.model_fields
            for sub in _models_in(m.model_fields[part].annotation)
        ]
        if not found:
            break
        current = found
    else:
        if current:
            return {name for m in current for name in m.model_fields}
    return _field_names(model)


def _models_in(annotation: Any) -> Iterable[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models_in(arg)
    for meta in getattr(annotation, "__metadata__", ()) or ():
        yield from _models_in(meta)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        yield from _models_in(origin)


def _format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _clean_loc(loc: Sequence[Any], data: Any) -> Loc:
    """Drop pydantic's union-tag segments (e.g. ``mean`` in ``metrics.0.mean.column``)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part == node.get("kind"):
            continue  # pydantic's discriminator tag (`costs.1.storage.tb`), not a key
        if part in _UNION_TAGS and not (isinstance(node, dict) and part in node):
            continue  # a union member's tag (`tb.number`), not a key
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and out[-1:] != [part]:
            # either a tag segment or a missing / unknown key: keep only real field names
            if "[" in part or "-" in part or part in _UNION_TAGS:
                continue
            out.append(part)
            node = None
        else:
            out.append(part)
            node = None
    # a union tag that is also a key (`{normal: [...]}`) shows up twice in a row
    return tuple(p for i, p in enumerate(out) if i == 0 or p != out[i - 1])


def validation_error_line(
    exc: ValidationError,
    data: Any,
    *,
    name: str = "",
    lines: dict[Loc, int] | None = None,
    model: type[BaseModel] | None = None,
    prefix: Loc = (),
) -> str:
    """One line for the first error of ``exc``: file:line field: problem (and the fix)."""
    found = validation_error_lines(
        exc, data, name=name, lines=lines, model=model, prefix=prefix, first_only=True
    )
    count = len(exc.errors())
    more = f" (and {count - 1} more error(s))" if count > 1 else ""
    return found[0] + more


def validation_error_lines(
    exc: ValidationError,
    data: Any,
    *,
    name: str = "",
    lines: dict[Loc, int] | None = None,
    model: type[BaseModel] | None = None,
    prefix: Loc = (),
    first_only: bool = False,
) -> list[str]:
    """One line for each error of ``exc`` (file:line field: problem), in the order of the file;
    ``first_only``: the one to read first alone (an unknown key, else the first in the file)."""
    errors = exc.errors()

    def located(err: Any) -> tuple[Loc, int | None]:
        full = (*prefix, *_clean_loc(err.get("loc", ()), data))
        if err.get("type") == "union_tag_invalid" and lines:
            # an unknown `kind:` / `type:` is on its own line, not the entry's first
            key = str(err.get("ctx", {}).get("discriminator", "")).strip("'")
            if (*full, key) in lines:
                return full, lines[(*full, key)]
        for k in range(len(full), -1, -1):
            if lines and full[:k] in lines:
                return full, lines[full[:k]]
        return full, None

    def order(err: Any) -> tuple[int, int]:
        # an unknown key first (a typo also causes a "missing" error), then by position
        return (0 if err.get("type") == "extra_forbidden" else 1, located(err)[1] or 0)

    def describe(first: Any) -> str:
        full, line = located(first)
        loc = full[len(prefix) :]
        where = _format_loc(full)
        head = f"{name}:{line}" if name and line else name
        kind = first.get("type", "")
        given = first.get("input")
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            hint = ""
            if model is not None:
                known = sorted(_keys_at(model, loc[:-1]))
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"unknown key {key!r}{hint}"
        elif kind == "missing":
            msg = "required field is missing"
        elif kind in {"float_parsing", "float_type"}:
            msg = f"expected a number, got {_show(given)}"
        elif kind in {"int_parsing", "int_type", "int_from_float"}:
            msg = f"expected a whole number, got {_show(given)}"
        elif kind in {"bool_parsing", "bool_type"}:
            msg = f"expected true or false, got {_show(given)}"
        elif kind == "literal_error":
            expected = first.get("ctx", {}).get("expected", "")
            msg = f"got {_show(given)}, expected one of {expected}"
        elif kind == "union_tag_invalid":
            ctx = first.get("ctx", {})
            field = str(ctx.get("discriminator", "'type'")).strip("'")
            expected = _or_list(str(ctx.get("expected_tags", "")))
            msg = f"unknown {field} {_show(ctx.get('tag'))}: use {expected}"
        elif kind == "union_tag_not_found":
            ctx = first.get("ctx", {})
            field = str(ctx.get("discriminator", "'type'")).strip("'")
            msg = f"required field `{field}` is missing (it says which kind of entry this is)"
        else:
            msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        named = _NAMED_PATH.match(msg)
        inner = _parse_path(named.group(1)) if named else ()
        if named and loc:
            # a check of a section (e.g. `decision`) naming one of its own fields; not a message
            # that merely starts with the name of the field it is already located at
            own = model is not None and isinstance(inner[0], str) and loc[-1] != inner[0]
            declared = model is not None and inner[0] in _keys_at(model, loc)
            if not (own and (declared or _has_key(data, loc, inner[0]))):
                named = None
        if named:
            # a model-level check that names the field it is about: point at that field's line
            full = (*prefix, *loc, *inner)
            where, msg = _format_loc(full), named.group(2)
            found = [
                lines[full[:k]] for k in range(len(full), 0, -1) if lines and full[:k] in lines
            ]
            head = f"{name}:{found[0]}" if name and found else head
        parts = [p for p in (head, where) if p]
        return f"{' '.join(parts)}: {msg}"

    if first_only:
        return [describe(min(errors, key=order))]
    out: list[str] = []
    for err in sorted(errors, key=lambda e: order(e)[::-1]):
        text = describe(err)
        if text not in out:
            out.append(text)
    return out


def _or_list(tags: str) -> str:
    """pydantic's "'a', 'b', 'c'" as "a, b or c"."""
    names = [t.strip().strip("'") for t in tags.split(",") if t.strip()]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


# tags of the discriminated unions (metric types, lift sources, quantity forms; see
# mlroi.spec.quantity), which pydantic puts in error locations
_UNION_TAGS = {"mean", "proportion", "ratio", "experiment", "manual", "decision"} | {
    "number",
    "range",
    "normal",
    "beta",
    "lognormal",
}
_NAMED_PATH = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*): (.+)$", re.DOTALL)


def _has_key(data: Any, loc: Sequence[str | int], key: Any) -> bool:
    """Whether the mapping at ``loc`` in ``data`` has ``key`` (a key a check refuses, which
    the model no longer declares)."""
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_dict or in_list):
            return False
        node = node[part]
    return isinstance(node, dict) and key in node


def _parse_path(text: str) -> Loc:
    return tuple(
        int(index) if index else key for key, index in re.findall(r"(\w+)|\[(\d+)\]", text)
    )


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def load_model(path: str | Path, model: type[M], *, section: str | None = None) -> M:
    """Read ``path`` (YAML) and validate it as ``model``.

    Args:
        path: the YAML file.
        model: the pydantic model class.
        section: validate only this top-level key (e.g. ``experiment`` inside a case file).

    Raises:
        SpecError: one line naming the file, line, field and problem.
    """
    if not isinstance(path, str | os.PathLike):
        raise SpecError(f"expected the path of a YAML file, got {type(path).__name__}")
    p = Path(path)
    doc = parse(read_text(p), str(p))
    if doc.data is None:
        raise SpecError(f"{p}:1: the file is empty: write the configuration (see `mlroi init`)")
    data, lines = doc.data, doc.lines
    prefix: Loc = ()
    if section is not None:
        if not isinstance(data, dict) or section not in data:
            raise SpecError(f"{p}: no `{section}:` section")
        data, prefix = data[section], (section,)
        if not isinstance(data, dict):
            line = lines.get(prefix, 1)
            raise SpecError(f"{p}:{line} {section}: expected a mapping of keys to values")
    if not isinstance(data, dict):
        raise SpecError(f"{p}:1: expected a mapping of keys to values at the top level")
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        where: dict[str, Any] = {"name": str(p), "lines": lines, "model": model, "prefix": prefix}
        error = SpecError(validation_error_line(exc, data, **where))
        error.problems = tuple(validation_error_lines(exc, data, **where))
        raise error from exc
    # a text a number field read as one (`"inf"`, `"nan"`) is caught here, at its field's line
    dumped = validated.model_dump()
    check_numbers(dumped, prefix, lines, str(p))
    check_no_bool_numbers(data, dumped, prefix, lines, str(p))
    return validated


def locate(path: str | Path, error: MlroiError) -> MlroiError:
    """``error`` with ``path:line`` in front when it starts with a field of the file
    (``decision.score 'scroe' not found ...``): for errors found after loading, e.g. when the
    data is read. Anything else comes back unchanged."""
    message = str(error)
    named = re.match(r"^([A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*)[: ]", message)
    p = Path(path)
    if named is None or not p.exists() or message.startswith(str(p)):
        return error
    try:
        _, lines = _compose(read_text(p), str(p))
    except SpecError:
        return error
    full = _parse_path(named.group(1))
    found = [lines[full[:k]] for k in range(len(full), 0, -1) if full[:k] in lines]
    if not found:
        return error
    located = type(error)(f"{p}:{found[0]} {message}")
    located.__cause__ = error.__cause__
    return located
