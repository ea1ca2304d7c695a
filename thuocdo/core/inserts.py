"""Bulk writes for the set-based services: new rows written without `bulk_create`'s
per-field preparation (`insert_rows`).

A month's signals, or a month's score cards, are tens or hundreds of thousands of new rows;
`bulk_create` builds a model instance for each and sends every value through its field.
Here the caller gives plain tuples, only the columns that need it are adapted as Django
would, and on PostgreSQL the rows are streamed with COPY as text written here.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

#: rows in one INSERT statement of `insert_rows` (fewer where the backend takes fewer)
INSERT_ROWS = 500


def insert_rows(model: type[models.Model], fields: Sequence[str],
                 rows: Iterable[Sequence[object]], **same: object) -> None:
    """INSERT new rows of `model`: `fields` in each row, the values in `same` in every row.

    `bulk_create` sends every value of every row through its model field and assembles the
    SQL again for each batch: for a month's hundred thousand signals that cost ten times
    the writing itself. Here only the columns that need it are adapted as Django does
    (dates and datetimes once per distinct value, a naive datetime made aware in the
    default time zone with Django's warning, JSON as Django writes it); text, numbers,
    booleans and ids go as they are. On PostgreSQL the rows are streamed with COPY as text
    written here (the driver's COPY would dump each of the millions of values through a
    Python call); elsewhere they go many to a statement (as many as the backend takes, up
    to `INSERT_ROWS`), the same statement executed for every full batch. Only for plain new
    rows: no defaults are filled in (every column is given), no `save()`, no model signals.
    """
    names = (*fields, *same)
    meta = model._meta
    columns = {name: cast(models.Field, meta.get_field(name)) for name in names}
    quote = connection.ops.quote_name
    # Only the model's own table and column names, quoted, are in the SQL text; values are
    # parameters (or COPY data).
    target = (f"{quote(meta.db_table)} "
              f"({', '.join(quote(cast(str, columns[name].column)) for name in names)})")
    if connection.vendor == "postgresql":
        tail = "".join("\t" + ("\\N" if value is None else
                               _copy_escaped(_copy_writer(columns[name])(value)))
                       for name, value in same.items())
        _copy_rows(target, [_copy_writer(columns[name]) for name in fields], tail + "\n",
                   rows)
        return
    adapted = [(index, adapt) for index, adapt in
               enumerate(_db_adapter(columns[name]) for name in fields) if adapt is not None]
    constants = tuple(value if adapt is None else adapt(value) for adapt, value in
                      zip((_db_adapter(columns[name]) for name in same), same.values(),
                          strict=True))
    prepared: list[tuple] = []
    for row in rows:
        if adapted:
            row = list(row)
            for index, adapt in adapted:
                row[index] = adapt(row[index])
        prepared.append((*row, *constants))
    if not prepared:
        return
    per = max(1, min(INSERT_ROWS, connection.ops.bulk_batch_size(names, prepared)))
    one = f"({', '.join(['%s'] * len(names))})"

    def statement(count: int) -> str:
        return f"INSERT INTO {target} VALUES {', '.join([one] * count)}"  # noqa: S608

    def flat(batch: list[tuple]) -> list[Any]:
        return [value for row in batch for value in row]

    full = len(prepared) - len(prepared) % per
    with connection.cursor() as cursor:
        if full:
            cursor.executemany(statement(per), [flat(prepared[start:start + per])
                                                for start in range(0, full, per)])
        if full < len(prepared):
            cursor.execute(statement(len(prepared) - full), flat(prepared[full:]))


#: rows of COPY text sent to PostgreSQL at once
COPY_ROWS = 5000


def _copy_escaped(value: str) -> str:
    """`value` in COPY's text format: a backslash, and the characters that end a column or
    a row, escaped. Replaced one after the other, not with `str.translate`, which looks up
    every character in Python: a card's JSON (its Vietnamese escaped as \\uXXXX, so never
    clean) is thousands of characters."""
    return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def _copy_rows(target: str, writers: Sequence[Callable[[Any], str]], tail: str,
               rows: Iterable[Sequence[object]]) -> None:
    """`insert_rows` on PostgreSQL: COPY in its text format, each row's columns written by
    `writers` (unescaped), then `tail` (the columns every row has alike, and the row's
    end), `COPY_ROWS` rows at a time, column by column (`_copy_column`: a column of plain
    texts or numbers is written without a Python call per value). A batch is escaped only
    when it needs it, which its text tells by counting (escaping each value costs more
    than writing it, and a signal's texts hardly ever hold a backslash, a tab or a line
    end): a tab, a backslash or a line end in a value adds to the batch's count of them."""
    columns = [_copy_column(write) for write in writers]
    tabs = len(writers) - 1 + tail.count("\t")
    backslashes = tail.count("\\")
    ends = tail.count("\n") + tail.count("\r")
    with connection.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for batch in _batches(rows, COPY_ROWS):
            values = list(zip(*batch, strict=True))
            nulls = sum(column.count(None) for column in values)
            text = tail.join(map("\t".join, zip(*(
                write(column) for write, column in zip(columns, values, strict=True)),
                strict=True))) + tail
            n = len(batch)
            if (text.count("\t") != tabs * n or text.count("\\") != backslashes * n + nulls
                    or text.count("\n") + text.count("\r") != ends * n):
                text = "".join(_copy_escaped_row(writers, row) + tail for row in batch)
            copy.write(text)


def _batches(rows: Iterable[Sequence[object]], size: int) -> Iterator[list]:
    """`rows` as lists of at most `size` (none empty)."""
    found = iter(rows)
    while batch := list(itertools.islice(found, size)):
        yield batch


def _copy_escaped_row(writers: Sequence[Callable[[Any], str]], row: Sequence[object]) -> str:
    """One row's columns in COPY's text format, each value escaped (NULL stays \\N)."""
    return "\t".join("\\N" if value is None else _copy_escaped(write(value))
                     for write, value in zip(writers, row, strict=True))


def _copy_column(write: Callable[[Any], str]) -> Callable[[tuple], Sequence[str]]:
    """How a whole column of a batch is written by `write` (`_copy_writer`), unescaped:
    texts as they are and whole numbers by `str`, without a Python call per value;
    booleans looked up; the rest (dates, JSON, other types) value by value."""
    if write is _copy_text:
        def text_column(column: tuple) -> Sequence[str]:
            kinds = set(map(type, column))
            if kinds <= {str}:
                return column
            if kinds <= {int}:
                return list(map(str, column))
            return [_NULL if value is None else value if type(value) is str else str(value)
                    for value in column]

        return text_column
    if write is _copy_boolean:
        def boolean_column(column: tuple) -> Sequence[str]:
            if set(map(type, column)) <= {bool, type(None)}:
                return list(map(_BOOLEANS.__getitem__, column))
            return list(map(_copy_boolean, column))

        return boolean_column
    return lambda column: list(map(write, column))


_NULL = "\\N"
_BOOLEANS = {True: "t", False: "f", None: _NULL}


def _copy_writer(field: models.Field) -> Callable[[Any], str]:
    """How a value of `field` is written in COPY's text format (what Django would send),
    not yet escaped (`_copy_rows`)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def write_json(value: Any) -> str:
            return "\\N" if value is None else _json_text(value, encoder)

        return write_json
    if isinstance(field, models.DateTimeField | models.DateField):
        adapt = cast(Callable[[Any], Any], _db_adapter(field))

        @functools.lru_cache(maxsize=1024)
        def write_moment(value: Any) -> str:
            value = adapt(value)
            return "\\N" if value is None else (
                value.isoformat() if isinstance(value, dt.date) else str(value))

        return write_moment
    if isinstance(field, models.BooleanField):
        return _copy_boolean
    return _copy_text


def _copy_boolean(value: Any) -> str:
    return "\\N" if value is None else ("t" if value else "f")


def _copy_text(value: Any) -> str:
    """A text or a number in COPY's text format, not yet escaped."""
    return "\\N" if value is None else value if type(value) is str else str(value)


def _json_text(value: Any, encoder: type | None) -> str:
    """A JSON field's value as Django writes it (`json.dumps` with the field's encoder); a
    list of whole numbers, as a signal's events are, written directly, alike."""
    if encoder is None and type(value) is list and all(type(item) is int for item in value):
        return f"[{', '.join(map(str, value))}]"
    return json.dumps(value, cls=encoder)


def _aware(value: Any, field: models.Field) -> Any:
    """A naive datetime made aware as Django's `DateTimeField.get_prep_value` does: in the
    default time zone (TIME_ZONE, Vietnam), with the same RuntimeWarning; written as it
    is, it would be stored as if it were UTC, seven hours off."""
    if (settings.USE_TZ and isinstance(value, dt.datetime)
            and timezone.is_naive(value)):
        warnings.warn(
            f"insert_rows: {field.model.__name__}.{field.name} received a naive datetime "
            f"({value}) while time zone support is active.", RuntimeWarning, stacklevel=2)
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _db_adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How the backend wants a value of `field` (None: as it is)."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        def adapt_moment(value: Any) -> Any:
            return ops.adapt_datetimefield_value(_aware(value, field))

        return functools.lru_cache(maxsize=1024)(adapt_moment)
    if isinstance(field, models.DateField):
        return functools.lru_cache(maxsize=1024)(ops.adapt_datefield_value)
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        if connection.vendor == "postgresql":
            def adapt_json(value: Any) -> Any:
                return None if value is None else ops.adapt_json_value(value, encoder)
        else:  # the text `adapt_json_value` gives, written faster for a list of numbers
            def adapt_json(value: Any) -> Any:
                return None if value is None else _json_text(value, encoder)

        return adapt_json
    return None


#: Rows a bulk load (an import) must create before the planner's statistics are refreshed
#: (`refresh_statistics`); fewer leave them to the database's own upkeep.
STATISTICS_AFTER_ROWS = 10_000


def refresh_statistics() -> None:
    """Refresh the query planner's statistics of every table, as after any bulk load.

    Without them the planner guesses: PostgreSQL, whose autovacuum may be off or not yet
    run, took a freshly imported month of 60,000 tasks for a hundred and read each part of
    the organisation's work through the whole month's index (measured in
    docs/benchmarks.md). PostgreSQL's `ANALYZE` samples each table; SQLite's is bounded by
    `analysis_limit` (rows looked at per index), as its documentation advises for large
    databases. Outside a transaction it commits by itself; inside one, with it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute("ANALYZE")
