"""Bulk reads for the set-based adapters: a queryset's rows as the database driver returns
them, without the ORM's per-value converters.

Reading a month of events through `.values_list()` spends most of its time in Django's
converters (on SQLite, parsing every timestamp and making it aware, decoding every JSON
value), one Python call per value. Here the ORM still builds the query (tables, joins,
filters, order), but the rows come straight from the cursor and the caller converts only
the columns that need it, with the fast converters below; or it selects them as text
(`AsText`) and parses each distinct text once (`Parsed`), for values that repeat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connections
from django.db.models import Func, QuerySet


def raw_rows(queryset: QuerySet, *, chunk: int = 5000) -> Iterator[tuple]:
    """The rows of a `.values_list()` queryset, as the driver returns them (columns in the
    order of `values_list`), fetched `chunk` at a time."""
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows


class RawDatetime(Func):
    """A DateTimeField selected for `raw_rows` in the form `aware` reads fastest: on SQLite
    the stored text (a column's declared type would have the driver parse it with Django's
    converter, naive, then `aware` set its zone: ten times the work of reading the text
    with its offset), elsewhere the column as it is."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)",
                           **extra_context)


class AsText(Func):
    """A column selected for `raw_rows` as text on every backend, for a reader that parses
    each distinct value once: a month's events fall on a few distinct minutes and days
    (a DateTimeField's text: SQLite's as stored, PostgreSQL's with its offset; read with
    `text_datetime`), and PostgreSQL's driver would otherwise run Django's Python time zone
    loader on every row."""

    template = "CAST(%(expressions)s AS TEXT)"


def text_datetime(value: str | None) -> dt.datetime | None:
    """A DateTimeField's `AsText` value as an aware datetime: SQLite's text is UTC without
    an offset, PostgreSQL's (in its default ISO DateStyle) carries its offset."""
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class Parsed(dict):
    """Texts and what they parse to, each distinct text parsed once, on its first lookup
    (`parsed[text]`): for the columns read with `AsText`, whose values repeat from row to
    row. Holds at most `limit` texts (emptied when full)."""

    def __init__(self, parse: Callable[[Any], Any], limit: int = 200_000) -> None:
        super().__init__()
        self.parse = parse
        self.limit = limit

    def __missing__(self, text: Any) -> Any:
        if len(self) >= self.limit:
            self.clear()
        value = self[text] = self.parse(text)
        return value


#: a task's coefficient, as its field keeps it (`Task.coefficient`: three decimal places)
COEFFICIENT = Decimal("0.001")


class Texts:
    """The values of a month's tasks and events read as text (`AsText`), each parsed once
    for all the parts read in a process: a month's events fall on a few tens of thousands
    of distinct minutes and carry a few tens of thousands of distinct data, in every part.
    The values are shared by the rows that have them; nothing changes them (the engines
    only read)."""

    def __init__(self) -> None:
        self.moments = Parsed(text_datetime)
        self.days = Parsed(dt.date.fromisoformat)
        #: as the ORM gives a coefficient: to the field's three decimal places
        self.coefficients = Parsed(lambda text: Decimal(text).quantize(COEFFICIENT))
        #: the same as exact fractions, as the scoring engine reads them
        self.fractions = Parsed(lambda text: Fraction(self.coefficients[text]))
        self.data = Parsed(lambda text: json_value(text) or {})
        #: event kinds as the engines' literals, so comparing them is comparing pointers
        self.kinds = Parsed(sys.intern)


def aware(value: Any) -> dt.datetime | None:
    """A DateTimeField's raw value as an aware datetime. Django stores UTC: SQLite returns
    it naive (its driver parses declared timestamps) or as text without an offset,
    PostgreSQL aware."""
    if isinstance(value, str):
        try:  # Django's text on SQLite: UTC, written without its offset
            return dt.datetime.fromisoformat(value + "+00:00")
        except ValueError:  # text that carries its offset
            value = dt.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def json_value(value: Any) -> Any:
    """A JSONField's raw value: SQLite returns the JSON text, PostgreSQL (jsonb) the decoded
    value already. The empty object, by far the most frequent, is not parsed."""
    if isinstance(value, str | bytes):
        return {} if value == "{}" else json.loads(value)
    return value


def content_digest(value: Any) -> bytes:
    """A short digest of a JSON-ready value (its canonical JSON: sorted keys, tuples as
    lists), to tell whether a stored row's content changed without holding the content:
    a JSON value read back from the database and the value that was written digest alike."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()
