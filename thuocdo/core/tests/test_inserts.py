"""`core.inserts.insert_rows` stores what the ORM would: a naive datetime is made aware in
the default time zone (Django's rule, with its warning), not stored as if it were UTC. On
both databases (THUOCDO_DATABASE_URL: the PostgreSQL path writes with COPY)."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from django.db import connection
from django.utils import timezone

from thuocdo.core.inserts import insert_rows, refresh_statistics
from thuocdo.core.models import AuditEntry

pytestmark = pytest.mark.django_db

VN = dt.timezone(dt.timedelta(hours=7))
FIELDS = ("at", "action", "object_type", "object_code")


def rows(*moments: dt.datetime) -> list[tuple]:
    return [(moment, "test.insert", "core.test", f"R{index}",)
            for index, moment in enumerate(moments)]


def stored() -> list[dt.datetime]:
    return list(AuditEntry.objects.filter(action="test.insert").order_by("object_code")
                .values_list("at", flat=True))


def test_a_naive_datetime_is_vietnam_time_as_django_makes_it():
    naive = dt.datetime(2026, 10, 1, 9, 30)  # noqa: DTZ001 - naive on purpose
    aware = dt.datetime(2026, 10, 1, 9, 30, tzinfo=VN)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        insert_rows(AuditEntry, FIELDS, rows(naive, aware), actor=None, changes={}, reason="")
    assert stored() == [aware, aware]
    # what the ORM stores for the same naive value (with its own warning)
    with pytest.warns(RuntimeWarning):
        entry = AuditEntry.objects.create(action="orm", object_type="core.test")
        AuditEntry.objects.filter(pk=entry.pk).update(at=naive)
    assert AuditEntry.objects.get(pk=entry.pk).at == stored()[0]


def test_a_naive_datetime_given_for_every_row_alike():
    with pytest.warns(RuntimeWarning):
        insert_rows(AuditEntry, ("action", "object_type", "object_code"),
                    [("test.insert", "core.test", "R0")], at=dt.datetime(2026, 10, 1, 23, 0),  # noqa: DTZ001
                    actor=None, changes={}, reason="")
    assert stored() == [dt.datetime(2026, 10, 1, 23, 0, tzinfo=VN)]
    assert timezone.localtime(stored()[0]).date() == dt.date(2026, 10, 1)


def test_aware_datetimes_and_none_pass_without_a_warning():
    utc = dt.datetime(2026, 10, 1, 2, 30, tzinfo=dt.UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        insert_rows(AuditEntry, FIELDS, rows(utc), actor=None, changes={}, reason="")
    assert stored() == [utc]


def _statistics_rows(table: str) -> int:
    """Rows of the planner's statistics about `table`'s columns or indexes."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return 0
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        else:
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = %s", [table])
        return cursor.fetchone()[0]


def test_refresh_statistics_gives_the_planner_statistics_of_the_rows_written():
    table = AuditEntry._meta.db_table
    insert_rows(AuditEntry, FIELDS, rows(*(dt.datetime(2026, 10, 1, tzinfo=VN),) * 50),
                actor=None, changes={}, reason="")
    refresh_statistics()
    assert _statistics_rows(table) > 0
