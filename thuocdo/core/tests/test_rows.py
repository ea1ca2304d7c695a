"""`core.rows`: raw rows with the two fast converters give what the ORM's converters give,
on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from fractions import Fraction

import pytest

from thuocdo.core.models import AuditEntry
from thuocdo.core.rows import (
    RawDatetime,
    Texts,
    aware,
    content_digest,
    json_value,
    raw_rows,
)
from thuocdo.core.services import audit_record

pytestmark = pytest.mark.django_db


def test_raw_rows_convert_like_the_orm():
    audit_record(action="a.one", object_type="t", object_code="1", changes={})
    audit_record(action="a.two", object_type="t", object_code="2",
                 changes={"lý do": "Chậm 3 ngày", "n": [1, 2.5, None]})
    rows = AuditEntry.objects.order_by("pk").values_list("action", "at", "changes")
    raw = [(action, aware(at), json_value(changes)) for action, at, changes in raw_rows(rows)]
    assert raw == list(rows)
    assert all(at.tzinfo is not None for _a, at, _c in raw)
    text = rows.annotate(at_raw=RawDatetime("at")).values_list("action", "at_raw", "changes")
    assert [(action, aware(at), json_value(changes))
            for action, at, changes in raw_rows(text)] == list(rows)


def test_the_converters_accept_every_form_a_driver_gives():
    moment = dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)
    assert aware("2026-10-01 01:00:00") == moment
    assert aware("2026-10-01 01:00:00.250000") == moment.replace(microsecond=250000)
    assert aware("2026-10-01 08:00:00+07:00") == moment
    assert aware(dt.datetime(2026, 10, 1, 1, 0)) == moment  # noqa: DTZ001 - as SQLite gives
    assert aware(moment) is moment and aware(None) is None
    assert json_value("{}") == {} and json_value('{"a": 1}') == {"a": 1}
    assert json_value({"a": 1}) == {"a": 1} and json_value(None) is None


def test_content_digest_reads_json_as_written():
    """A value written as JSON and read back (lists for tuples, keys in any order) digests
    as the value written; any change in the content gives another digest."""
    written = {"b": [("CG.VP", 3), 4], "a": "Việc nằm im"}
    assert content_digest(written) == content_digest(json.loads(json.dumps(written)))
    assert content_digest(written) != content_digest({**written, "a": "Việc nằm im."})
    assert content_digest([1, [2]]) != content_digest([1, [3]])


def test_texts_parse_each_distinct_text_once_and_share_the_value():
    texts = Texts()
    first = texts.data['{"new_due": "2026-08-20"}']
    assert first == {"new_due": "2026-08-20"}
    assert texts.data['{"new_due": "2026-08-20"}'] is first  # parsed once, shared
    assert texts.data["{}"] == {} and texts.data[None] == {}
    assert texts.moments["2026-08-03 02:15:00+00"] == dt.datetime(2026, 8, 3, 2, 15,
                                                                  tzinfo=dt.UTC)
    assert texts.moments["2026-08-03 02:15:00"].utcoffset() == dt.timedelta(0)  # SQLite's
    assert texts.days["2026-08-31"] == dt.date(2026, 8, 31)
    # a coefficient as the field keeps it: three places, whatever the text (SQLite's REAL)
    assert str(texts.coefficients["1.1"]) == "1.100" and str(texts.coefficients["2"]) == "2.000"
    assert texts.fractions["0.125"] == Fraction(1, 8)
    assert texts.fractions["1.100"] == Fraction(Decimal("1.1"))
    assert texts.kinds["".join(["ext", "end"])] is sys.intern("extend")  # the literal's
