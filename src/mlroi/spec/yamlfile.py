"""Read a YAML file safely: bounded, strict, and every problem at its line.

A case file is small and written by hand, so anything far outside that is refused with one line
before it can cost memory or time, or hide a mistake:

- a file that is not a readable regular file, larger than :data:`MAX_BYTES`, not UTF-8 (the
  byte offset and line of the first bad byte) or holding control characters;
- nesting deeper than :data:`MAX_DEPTH` (checked while composing, never a ``RecursionError``);
- aliases that expand to more than :data:`MAX_NODES` values (a "billion laughs" file fails at
  the line of the first node too large, with memory bounded by the file's own size), or an alias
  inside the node it names;
- a key given twice in one mapping (both lines named), a key that is a mapping or a list or
  reads as a number, true/false, null or a date;
- a number that is not finite (``.inf``, ``.nan``, ``1e400``) or an integer outside 64 bits;
  a text with half a surrogate pair (``"\\ud800"``).

Only YAML's safe tags are constructed (no Python objects).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlroi.errors import SpecError

MAX_BYTES = 10_000_000
"""Largest file read (10 MB; a case file is a few kilobytes)."""

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (a case file needs fewer than ten levels)."""

MAX_NODES = 100_000
"""Most values (keys, scalars, mappings, lists) a file may hold once its aliases are expanded."""

Loc = tuple[str | int, ...]

_INT_BOUND = 2**63
_STR = "tag:yaml.org,2002:str"
_KINDS = {
    "tag:yaml.org,2002:int": "number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "true/false",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "date",
}
_INT_CHARS = 30
_INT = "tag:yaml.org,2002:int"
_HUGE = "tag:mlroi,2026:huge-int"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass
class YamlDocument:
    """A file's data and where each value came from."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    """Line (1-based) of each key or item, by its path (``("metrics", 0, "column")``)."""


class _Problem(yaml.MarkedYAMLError):
    """A bound or rule of :mod:`mlroi.spec.yamlfile`, at a mark."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _Loader(yaml.SafeLoader):
    """The safe loader, composing with bounds: depth, expanded size, keys; ``1e5`` is a number
    (as in YAML 1.2 and JSON), so that ``1e400`` is caught as not finite at its line."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def _next_event(self) -> Any:
        return self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self._next_event()
            node = super().compose_node(parent, index)
            if node is not None and id(node) not in self._sizes:
                raise _Problem(
                    f"alias *{event.anchor} is inside the node it names: a value cannot "
                    "contain itself",
                    event.start_mark,
                )
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Problem(
                f"nested more than {MAX_DEPTH} levels deep: a case file needs far fewer; "
                "check the brackets and the indentation",
                self._next_event().start_mark,
            )
        node = super().compose_node(parent, index)
        self._depth -= 1
        if node is None:
            return None
        if node.tag == _INT and len(node.value) > _INT_CHARS:
            node.tag = _HUGE  # never converted (slow, or refused by Python); reported by field
        if isinstance(node, yaml.MappingNode):
            _check_keys(node)
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        size = 1 + sum(self._sizes[id(c)] for c in children)
        if size > MAX_NODES:
            raise _Problem(
                f"more than {MAX_NODES:,} values from here on (each alias `*name` counted in "
                "full): a configuration needs far fewer; write the values out, or use fewer "
                "aliases",
                node.start_mark,
            )
        self._sizes[id(node)] = size
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # e.g. a date 2026-13-01
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            shown = repr(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
            raise _Problem(f"cannot read {shown}: {problem}", node.start_mark) from exc


@dataclass(frozen=True)
class _Huge:
    """An integer too long to convert, in place of its value until it is reported."""

    chars: int


_Loader.add_constructor(_HUGE, lambda _, node: _Huge(len(node.value)))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _check_keys(node: yaml.MappingNode) -> None:
    seen: dict[str, yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            kind = "mapping" if isinstance(key, yaml.MappingNode) else "list"
            raise _Problem(
                f"a key must be a plain name, not a {kind}: check for a stray `?` or braces "
                "`{...}` / brackets `[...]` before a colon",
                key.start_mark,
            )
        if key.tag == _MERGE:
            continue
        if key.tag != _STR:
            kind = _KINDS.get(key.tag, "value")
            raise _Problem(
                f"key {key.value!r} reads as a {kind}, not a name: quote it "
                f'("{key.value}": ...) or rename it',
                key.start_mark,
            )
        first = seen.setdefault(key.value, key)
        if first is not key:
            raise _Problem(
                f"key {key.value!r} is given twice in the same mapping (lines "
                f"{first.start_mark.line + 1} and {key.start_mark.line + 1}): keep one",
                key.start_mark,
            )


def read_text(path: Path) -> str:
    """The text of ``path``: a regular file, at most :data:`MAX_BYTES`, UTF-8.

    Raises:
        SpecError: missing, a folder, unreadable, too large, or not UTF-8 (with the line and
            byte offset of the first bad byte).
    """
    if "\x00" in str(path):
        raise SpecError(f"file not found: {str(path)!r} holds a NUL character")
    if not path.exists():
        raise SpecError(f"file not found: {path}")
    if path.is_dir():
        raise SpecError(f"{path}: is a folder, not a file: give the path of the YAML file")
    if not path.is_file():
        raise SpecError(f"{path}: not a regular file: give the path of a YAML file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SpecError(
                f"{path}: {size:,} bytes is too large for a configuration file "
                f"(at most {MAX_BYTES:,}): is it a data file?"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecError(
            f"{path}:{line}: not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x}): "
            "is it a binary file? Save the configuration as UTF-8 YAML"
        ) from exc
    return text.removeprefix("\ufeff")


def parse(text: str, name: str) -> YamlDocument:
    """Compose and construct ``text`` (the file ``name``) under the bounds of this module.

    Raises:
        SpecError: one line, ``name:line: invalid YAML: problem``.
    """
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise SpecError(f"{name}{_where(exc, text)}: invalid YAML: {_problem(exc)}") from exc
    finally:
        if loader is not None:
            loader.dispose()
    doc = YamlDocument(data)
    if node is not None:
        _walk(node, (), doc.lines)
        check_numbers(data, (), doc.lines, name)
    return doc


def peek(path: Path) -> Any:
    """The data of ``path`` when it reads cleanly under the bounds of this module, else
    ``None``: for a first look at a file's shape, before the loader reads it (and reports any
    problem at its line)."""
    try:
        return parse(read_text(path), str(path)).data
    except SpecError:
        return None


def _where(exc: yaml.YAMLError, text: str) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f":{mark.line + 1}"
    position = getattr(exc, "position", None)  # a ReaderError: a character YAML does not allow
    if isinstance(position, int):
        return f":{text.count(chr(10), 0, position) + 1}"
    return ""


def _problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return (
            f"control character {exc.character!r} is not allowed (is it a binary file?); "
            "save the configuration as plain text"
        )
    problem = str(getattr(exc, "problem", None) or str(exc).splitlines()[0])
    context = getattr(exc, "context", None)
    if context and problem.startswith("but "):  # "expected a single document ..., but found"
        problem = f"{context}, {problem}"
    return " ".join(problem.split())


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.tag == _MERGE:
                continue
            child = (*loc, str(key.value))
            _walk(value, child, lines)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), lines)


def check_numbers(data: Any, loc: Loc, lines: dict[Loc, int], name: str) -> None:
    """Every number finite, every integer within 64 bits and every text encodable, else the
    field's line.

    Args:
        data: values as read (or as validated: a text such as ``"inf"`` read as a number).
        loc: the path of ``data`` in the file.
        lines: each path's line.
        name: the file, for the message.

    Raises:
        SpecError: ``name:line field: expected a finite number, got an infinite one``.
    """
    stack: list[tuple[Any, Loc]] = [(data, loc)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, (*at, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*at, i)) for i, v in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise SpecError(
                    f"{_located(name, at, lines)}: the text holds an invalid character "
                    f"(\\u{ord(value[exc.start]):04x}, half of a surrogate pair): remove it"
                ) from exc
        elif isinstance(value, float) and not math.isfinite(value):
            got = "an infinite one (too large?)" if math.isinf(value) else "not-a-number"
            raise SpecError(f"{_located(name, at, lines)}: expected a finite number, got {got}")
        elif isinstance(value, _Huge):
            raise SpecError(
                f"{_located(name, at, lines)}: a {value.chars}-character number is out of range "
                "(at most 19 digits)"
            )
        elif isinstance(value, int) and not -_INT_BOUND <= value < _INT_BOUND:
            digits = len(str(abs(value)))
            raise SpecError(
                f"{_located(name, at, lines)}: a {digits}-digit number is out of range "
                "(at most 19 digits)"
            )


def _located(name: str, loc: Loc, lines: dict[Loc, int]) -> str:
    found = [lines[loc[:k]] for k in range(len(loc), -1, -1) if loc[:k] in lines]
    head = f"{name}:{found[0]}" if found else name
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else ("." if where else "") + part
    return f"{head} {where}" if where else head


def check_no_bool_numbers(
    raw: Any, validated: Any, loc: Loc, lines: dict[Loc, int], name: str
) -> None:
    """No ``true``/``false`` (YAML 1.1 also reads ``yes``, ``no``, ``on``, ``off`` so) taken as
    the number 1 or 0: pydantic turns a bool into a number field's 1 or 0 without a word.

    Args:
        raw: values as read.
        validated: the same values as validated (``model_dump()``).
        loc: the path of ``raw`` in the file.
        lines: each path's line.
        name: the file, for the message.

    Raises:
        SpecError: ``name:line field: expected a number, got true ...``.
    """
    stack: list[tuple[Any, Any, Loc]] = [(raw, validated, loc)]
    while stack:
        value, seen, at = stack.pop()
        if isinstance(value, bool):
            if isinstance(seen, int | float) and not isinstance(seen, bool):
                raise SpecError(
                    f"{_located(name, at, lines)}: expected a number, got {str(value).lower()}"
                    " (YAML reads true/false, yes/no and on/off as true or false): write the"
                    " number"
                )
        elif isinstance(value, dict) and isinstance(seen, dict):
            stack.extend(
                (v, seen[str(k)], (*at, str(k))) for k, v in value.items() if str(k) in seen
            )
        elif isinstance(value, list) and isinstance(seen, list | tuple) and len(value) == len(seen):
            stack.extend((v, w, (*at, i)) for i, (v, w) in enumerate(zip(value, seen, strict=True)))
