"""Input checks shared by every analysis: columns exist and have a usable type, binary flags
read as 0/1, rows that break a rule are counted in the backend.

One message format for a missing column (the role, the name, the closest existing name, the
columns there are, and how to fix it), whichever analysis finds it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from mlroi.errors import DataError

_NUMERIC = ("int", "uint", "float", "decimal", "boolean")

TRUE_WORDS = ("1", "true", "t", "yes", "y")
"""Strings read as 1 in a binary column (compared after trimming and lower-casing)."""

FALSE_WORDS = ("0", "false", "f", "no", "n")
"""Strings read as 0 in a binary column."""


def missing_column(role: str, column: str, names: Sequence[str]) -> str:
    """One line: which column is missing, the closest existing name, and the names there are."""
    close = difflib.get_close_matches(column, list(names), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"{role} {column!r} not found{hint}; the table has {_list(names)}:"
        " fix the name in the configuration or in the source"
    )


def _list(names: Sequence[str]) -> str:
    shown = ", ".join(names[:12])
    return f"[{shown}{', ...' if len(names) > 12 else ''}]"


def require_columns(table: Any, columns: Iterable[tuple[str, str]], *, prefix: str = "") -> None:
    """Fail with one line for the first ``(role, column)`` that ``table`` lacks.

    Args:
        table: an Ibis table.
        columns: pairs of what the column is for ("unit column") and its name.
        prefix: where in the case the name was given (``"decision."``), put before the message.
    """
    names = list(table.schema().names)
    for role, column in columns:
        if column not in names:
            raise DataError(prefix + missing_column(role, column, names))


def require_numeric(table: Any, columns: Iterable[str], role: str = "metric column") -> None:
    """Fail with one line when a column is missing or holds neither numbers nor booleans."""
    schema = table.schema()
    names = list(schema.names)
    for col in columns:
        if col not in names:
            raise DataError(missing_column(role, col, names))
        dtype = str(schema[col]).lower().lstrip("!")
        if not dtype.startswith(_NUMERIC):
            raise DataError(
                f"{role} {col!r} has type {dtype}, expected a number: cast it to a numeric type"
                " in the source"
            )


def require_type(table: Any, column: str, what: str, *, binary: bool) -> None:
    """A column exists and holds numbers; a ``binary`` flag may also hold booleans or yes/no
    strings (see :func:`binary`)."""
    require_columns(table, [(what, column)])
    dtype = table[column].type()
    if binary and (dtype.is_boolean() or dtype.is_string()):
        return
    if not dtype.is_numeric() or dtype.is_boolean():
        allowed = "0/1 numbers, booleans or yes/no strings" if binary else "numbers"
        raise DataError(f"column {column!r} ({what}) has type {dtype}; it must hold {allowed}")


def require_readable(table: Any, columns: Iterable[str], field: str) -> None:
    """Fail with one line for the first column an expression of ``field`` reads that holds
    neither numbers, booleans nor strings (a date, a timestamp...): the backend would cast it
    to a number without complaint, or fail with a driver message that names no column."""
    require_columns(table, [(f"column read by {field}", c) for c in columns])
    for column in columns:
        dtype = table[column].type()
        if not (dtype.is_numeric() or dtype.is_boolean() or dtype.is_string()):
            raise DataError(
                f"{field}: column {column!r} has type {dtype}; a value expression reads numbers,"
                " booleans or yes/no strings: cast it in the source or change the expression"
            )


def binary(column: Any) -> Any:
    """A binary flag as an integer 0/1 expression; NULL where the value is not a binary value.

    Reads 0/1 numbers, booleans (through ``CASE``: PostgreSQL has no cast from boolean to an
    integer), and strings such as ``yes``/``no`` or ``true``/``false`` (see
    :data:`TRUE_WORDS`). A number other than 0 or 1 stays as it is, so that a check can count
    it (``~binary(c).isin([0, 1])``).
    """
    import ibis

    dtype = column.type()
    if dtype.is_boolean():
        return ibis.cases((column, 1), (~column, 0), else_=ibis.null()).cast("int64")
    if dtype.is_string():
        word = column.strip().lower()
        return ibis.cases(
            (word.isin(TRUE_WORDS), 1), (word.isin(FALSE_WORDS), 0), else_=ibis.null()
        ).cast("int64")
    return column


def not_binary(column: Any) -> Any:
    """True where ``column`` is NULL or holds something other than a binary value."""
    import ibis

    return ibis.ifelse(binary(column).isin([0, 1]), False, True)


def check_binary_words(table: Any, columns: Sequence[str], role: str = "metric column") -> None:
    """Fail with one line when a text column meant as 0/1 holds a word :func:`binary` does not
    read (one small query, made only when some 0/1 column is text).

    Raises:
        DataError: names the column, how many rows hold another word, and the words read.
    """
    if not columns:
        return
    from mlroi.backend.execute import fetch_one

    counts = {
        f"__bad{i}": count(table[c].notnull() & not_binary(table[c])) for i, c in enumerate(columns)
    }
    row = fetch_one(
        table.aggregate(__rows=table.count(), **counts), "the check of the yes/no columns"
    )
    for i, column in enumerate(columns):
        bad = int(row[f"__bad{i}"] or 0)
        if bad:
            raise DataError(
                f"{role} {column!r}: {bad:,} of {int(row['__rows']):,} values are not one of"
                f" {', '.join(TRUE_WORDS)} (1) or {', '.join(FALSE_WORDS)} (0): map them in the"
                " source"
            )


def binary_counts(column: Any) -> tuple[Any, Any]:
    """Aggregates counting a binary column's NULLs and its values :func:`binary` cannot read."""
    return column.isnull().sum(), count(column.notnull() & not_binary(column))


def refuse_binary_problems(
    column: str, what: str, one: str, *, nulls: int, bad: int, rows: int
) -> None:
    """Raise the one message for NULL or unreadable values of a binary column.

    Args:
        column: the column's name.
        what: what its values are, plural ("labels", "treatment flags").
        one: what 1 means ("positive", "treated").
        nulls, bad, rows: the counts from :func:`binary_counts` and the table's rows.
    """
    if nulls:
        raise DataError(
            f"column {column!r}: {nulls:,} of {rows:,} {what} are NULL; fill them (1 = {one},"
            " 0 = not) or filter those rows out"
        )
    if bad:
        raise DataError(
            f"column {column!r}: {bad:,} of {rows:,} {what} are not 0 or 1; use 0/1, booleans"
            f" or yes/no (1 = {one})"
        )


def refuse_bad_scores(column: str, bad: int, rows: int) -> None:
    """Raise the one message for NULL, NaN or infinite scores."""
    if bad:
        raise DataError(
            f"column {column!r}: {bad:,} of {rows:,} scores are NULL, NaN or infinite; "
            "drop or impute them before the analysis"
        )


def count(condition: Any) -> Any:
    """The number of rows where ``condition`` holds (an aggregate)."""
    import ibis

    return ibis.ifelse(condition, 1, 0).sum()


def nonfinite(value: Any) -> Any:
    """True where a numeric value is NaN or infinite (NULL where it is NULL).

    ``x - x`` is 0 for every finite ``x`` and NaN for NaN and for an infinity, and NaN differs
    from 0 on every engine. Not ``isnan``: DuckDB answers ``isnan`` on a Parquet column from
    the file's statistics, which leave NaN out, and so finds none.
    """
    as_float = value.cast("float64")
    return (as_float - as_float) != 0
