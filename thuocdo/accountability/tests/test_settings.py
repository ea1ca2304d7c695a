"""The detectors' settings: stored thresholds and authority rules reach the engine; bad
values are refused with their name; the admin saves through the services."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from thuocdo.accountability import services
from thuocdo.accountability.adapters import authority_matrix, thresholds_for
from thuocdo.accountability.compute import compute_month
from thuocdo.core.errors import ServiceError
from thuocdo.exchange.importer import import_document
from thuocdo.measure.signals import AuthorityMatrix, Thresholds

GOLDEN = Path(__file__).parents[2] / "measure" / "tests" / "golden" / "signals"


@pytest.mark.django_db
def test_stored_thresholds_are_the_engines_from_their_day():
    assert thresholds_for(dt.date(2026, 10, 1)) == Thresholds()
    services.threshold_set_save(version="2026.2", effective_from=dt.date(2026, 11, 1),
                                values={"silence_workdays": 7, "output_fraction": "0.4"})
    assert thresholds_for(dt.date(2026, 10, 31)) == Thresholds()
    later = thresholds_for(dt.date(2026, 11, 1))
    assert (later.version, later.silence_workdays, float(later.output_fraction)) == (
        "2026.2", 7, 0.4)


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "code"), [
    ({"silence": 7}, "unknown_threshold"),
    ({"silence_workdays": "abc"}, "bad_threshold"),
    ({"silence_workdays": 0}, "bad_threshold"),
    ({"silence_workdays": True}, "bad_threshold"),
    ([], "bad_values"),
])
def test_bad_thresholds_are_refused_by_name(values, code):
    with pytest.raises(ServiceError) as refused:
        services.threshold_set_save(version="x", effective_from=dt.date(2026, 1, 1),
                                    values=values)
    assert refused.value.service_code == code
    assert thresholds_for(dt.date(2026, 6, 1)) == Thresholds()


@pytest.mark.django_db
def test_a_longer_silence_threshold_removes_s8():
    document = json.loads((GOLDEN / "s08_silence.json").read_text(encoding="utf-8"))
    import_document({k: v for k, v in document.items()
                     if k not in {"description", "period", "as_of", "expected"}},
                    on=dt.date(2026, 1, 1))
    as_of = dt.datetime.fromisoformat(document["as_of"])
    assert any(s.code == "S8" for s in compute_month(period="2026-10", as_of=as_of).signals)
    services.threshold_set_save(version="lenient", effective_from=dt.date(2026, 1, 1),
                                values={"silence_workdays": 60})
    assert not any(s.code == "S8"
                   for s in compute_month(period="2026-10", as_of=as_of).signals)


@pytest.mark.django_db
def test_the_authority_matrix_is_editable():
    assert authority_matrix() == AuthorityMatrix.default()
    services.authority_rule_add(position="staff", priority="urgent")
    edited = authority_matrix()
    assert edited.may_decide("staff", "urgent", "BC")
    assert not edited.may_decide("staff", "normal", "BC")  # only what is listed
    with pytest.raises(ServiceError):
        services.authority_rule_add(position="staff", priority="urgent")


@pytest.mark.django_db
def test_the_admin_saves_thresholds_through_the_service(world, client_for):
    from django.urls import reverse

    from thuocdo.accountability.models import ThresholdSet
    from thuocdo.core.models import AuditEntry

    client = client_for(world.user("admin"))
    url = reverse("admin:accountability_thresholdset_add")
    bad = client.post(url, {"version": "v", "effective_from": "2026-01-01",
                            "values": '{"nope": 1}', "basis": ""})
    assert bad.status_code == 200 and "nope" in bad.content.decode()
    assert not ThresholdSet.objects.exists()
    good = client.post(url, {"version": "v", "effective_from": "2026-01-01",
                             "values": '{"reminders": 4}', "basis": "QĐ 1/2026"})
    assert good.status_code == 302
    assert ThresholdSet.objects.get().values == {"reminders": 4}
    assert AuditEntry.objects.filter(action="thresholds_save").count() == 1
