"""The detectors' settings: stored thresholds reach the engine; bad values are refused with
their name and what they may be; a saved version is only read; the admin saves through the
services. The authority matrix's versions: test_authority_matrix.py."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from dataclasses import fields
from fractions import Fraction
from pathlib import Path

import pytest
from django.utils import translation

from thuocdo.accountability import services
from thuocdo.accountability.adapters import thresholds_for
from thuocdo.accountability.compute import compute_month
from thuocdo.accountability.models import THRESHOLD_BOUNDS, threshold_values_clean
from thuocdo.core.errors import ServiceError
from thuocdo.exchange.importer import import_document
from thuocdo.measure.scenario import exchange_part
from thuocdo.measure.signals import AuthorityMatrix, Thresholds

GOLDEN = Path(__file__).parents[2] / "measure" / "tests" / "golden" / "signals"


@pytest.mark.django_db
def test_stored_thresholds_are_the_engines_from_their_day():
    assert thresholds_for(dt.date(2026, 10, 1)) == Thresholds()
    services.threshold_set_add(version="2026.2", effective_from=dt.date(2026, 11, 1),
                               values={"silence_workdays": 7, "output_fraction": "0.4"})
    assert thresholds_for(dt.date(2026, 10, 31)) == Thresholds()
    later = thresholds_for(dt.date(2026, 11, 1))
    assert (later.version, later.silence_workdays, float(later.output_fraction)) == (
        "2026.2", 7, 0.4)


@pytest.mark.django_db
def test_one_threshold_version_a_day():
    """As for the authority matrix: which of two versions from one day is in force would
    depend on the collation of their names; the second is refused, naming the first."""
    from thuocdo.accountability.models import ThresholdSet

    services.threshold_set_add(version="2026.2", effective_from=dt.date(2026, 12, 1),
                               values={"silence_workdays": 7})
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        services.threshold_set_add(version="2026.3", effective_from=dt.date(2026, 12, 1),
                                   values={"silence_workdays": 8})
    assert (refused.value.service_code, refused.value.field) == ("version_same_day",
                                                                 "effective_from")
    assert "“2026.2” already comes into force on 01/12/2026" in refused.value.service_message
    assert not ThresholdSet.objects.filter(version="2026.3").exists()


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
        services.threshold_set_add(version="x", effective_from=dt.date(2026, 1, 1),
                                   values=values)
    assert refused.value.service_code == code
    assert thresholds_for(dt.date(2026, 6, 1)) == Thresholds()


@pytest.mark.django_db
def test_a_longer_silence_threshold_removes_s8():
    document = json.loads((GOLDEN / "s08_silence.json").read_text(encoding="utf-8"))
    import_document(exchange_part(document))
    as_of = dt.datetime.fromisoformat(document["as_of"])
    assert any(s.code == "S8" for s in compute_month(period="2026-10", as_of=as_of).signals)
    services.threshold_set_add(version="lenient", effective_from=dt.date(2026, 1, 1),
                               values={"silence_workdays": 60})
    assert not any(s.code == "S8"
                   for s in compute_month(period="2026-10", as_of=as_of).signals)


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


@pytest.mark.django_db
def test_the_thresholds_admin_says_the_defaults_and_which_version_is_in_force(
        world, client_for):
    from django.conf import settings
    from django.urls import reverse

    client = client_for(world.user("admin"))
    form = client.get(reverse("admin:accountability_thresholdset_add")).content.decode()
    assert "silence_workdays = 5" in form and "reminders = 3" in form
    services.threshold_set_add(version="old", effective_from=dt.date(2026, 1, 1), values={})
    services.threshold_set_add(version="now", effective_from=dt.date(2026, 2, 1), values={})
    services.threshold_set_add(version="later", effective_from=dt.date(2999, 1, 1),
                               values={})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    listing = client.get(reverse("admin:accountability_thresholdset_changelist")
                         ).content.decode()
    rows = {version: listing.split(f">{version}<", 1)[1].split("</tr>", 1)[0]
            for version in ("old", "now", "later")}
    assert "replaced" in rows["old"] and "in force" in rows["now"]
    assert "not yet in force" in rows["later"]


# -- thresholds: every value of its type, within its bounds ---------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "allowed"), [
    # the reviewer's: a count past any sense (the nightly job died: year 10000) ...
    ({"silence_workdays": 99999999999999999999999, "reminders": 2.5},
     "“silence_workdays” must be a whole number from 1 to 250"),
    # ... and a count that is no whole number
    ({"silence_workdays": 2.5}, "“silence_workdays” must be a whole number from 1 to 250"),
    ({"reminders": "2.5"}, "“reminders” must be a whole number from 1 to 100"),
    ({"transfers": 101}, "“transfers” must be a whole number from 1 to 100"),
    ({"waiting_min_peers": -3}, "“waiting_min_peers” must be a whole number from 1 to 1000"),
    ({"proposal_share": 1.5}, "“proposal_share” must be a number more than 0 and at most 1"),
    ({"output_fraction": 0}, "“output_fraction” must be a number more than 0 and at most 1"),
    ({"waiting_ratio": "0.5"}, "“waiting_ratio” must be a number from 1 to 100"),
    ({"waiting_ratio": float("inf")}, "“waiting_ratio” must be a number from 1 to 100"),
    ({"waiting_min_share": None}, "“waiting_min_share” must be a number more than 0"),
])
def test_a_threshold_out_of_its_type_or_bounds_is_refused_saying_what_it_may_be(
        values, allowed):
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        services.threshold_set_add(version="bad", effective_from=dt.date(2026, 1, 1),
                                   values=values)
    assert (refused.value.service_code, refused.value.field) == ("bad_threshold", "values")
    assert allowed in refused.value.service_message
    assert thresholds_for(dt.date(2026, 6, 1)) == Thresholds()


@pytest.mark.django_db
def test_whole_numbers_are_stored_as_such_and_reach_the_engine():
    row = services.threshold_set_add(
        version="2026.2", effective_from=dt.date(2026, 1, 1),
        values={"silence_workdays": 7.0, "reminders": "4", "proposal_share": 0.25,
                "waiting_ratio": "2.5", "output_fraction": 1})
    row.refresh_from_db()
    assert row.values == {"silence_workdays": 7, "reminders": 4, "proposal_share": 0.25,
                          "waiting_ratio": "2.5", "output_fraction": 1}
    engine = thresholds_for(dt.date(2026, 6, 1))
    assert (engine.silence_workdays, engine.reminders, engine.waiting_ratio) == (
        7, 4, Fraction(5, 2))


def test_every_threshold_has_bounds_that_hold_its_default():
    """A threshold added to the engine gets its bounds here, and the defaults are sound."""
    names = {f.name for f in fields(Thresholds)} - {"version", "effective_from"}
    assert set(THRESHOLD_BOUNDS) == names
    defaults = Thresholds()
    as_given = {name: str(getattr(defaults, name)) for name in names}
    assert threshold_values_clean(as_given).keys() == names


@pytest.mark.django_db
def test_a_version_comes_into_force_in_a_year_a_period_may_take():
    with pytest.raises(ServiceError) as refused:
        services.threshold_set_add(version="far", effective_from=dt.date(9999, 12, 31),
                                   values={})
    assert refused.value.service_code == "effective_from_range"


# -- thresholds: a saved version is only read ----------------------------------------------


@pytest.mark.django_db
def test_a_saved_version_is_read_not_changed_in_the_admin(world, client_for):
    from django.urls import reverse

    from thuocdo.accountability.admin import ThresholdSetForm
    from thuocdo.accountability.models import ThresholdSet

    row = services.threshold_set_add(version="2026.2", effective_from=dt.date(2026, 1, 1),
                                     values={"reminders": 4})
    client = client_for(world.user("admin"))
    change = reverse("admin:accountability_thresholdset_change", args=[row.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="values"' not in page.content.decode()
    response = client.post(change, {"version": "2026.2", "effective_from": "2026-01-01",
                                    "values": '{"reminders": 9}', "basis": ""})
    assert response.status_code == 403
    form = ThresholdSetForm({"version": "2026.2", "effective_from": "2026-01-01",
                             "values": '{"reminders": 9}', "basis": ""}, instance=row)
    with translation.override("en"):
        assert not form.is_valid() and "not changed once saved" in str(form.errors)
    assert ThresholdSet.objects.get(pk=row.pk).values == {"reminders": 4}


@pytest.mark.django_db
def test_a_version_no_signal_was_computed_under_may_be_removed(world, client_for):
    from django.urls import reverse

    from thuocdo.accountability.models import SignalRecord, ThresholdSet
    from thuocdo.core.models import AuditEntry

    client = client_for(world.user("admin"))
    mistake = services.threshold_set_add(version="oops", effective_from=dt.date(2026, 1, 1),
                                         values={"reminders": 4})
    delete = reverse("admin:accountability_thresholdset_delete", args=[mistake.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not ThresholdSet.objects.filter(version="oops").exists()
    entry = AuditEntry.objects.get(action="thresholds_remove", object_code="oops")
    assert entry.actor == world.user("admin") and entry.changes["values"] == {"reminders": 4}

    used = services.threshold_set_add(version="2026.2", effective_from=dt.date(2026, 1, 1),
                                      values={"reminders": 4})
    signal = SignalRecord.objects.create(
        key="S9|2026-10|T|||x", code="S9", period="2026-10", raised_on=dt.date(2026, 10, 1),
        subject_kind="task", unit=world.units["HN"], explanation="…",
        first_seen=dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
        last_seen=dt.datetime(2026, 10, 2, tzinfo=dt.UTC), thresholds="2026.2")
    delete = reverse("admin:accountability_thresholdset_delete", args=[used.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    with pytest.raises(ServiceError) as refused:
        services.threshold_set_remove(row=used)
    assert refused.value.service_code == "thresholds_in_use"
    assert ThresholdSet.objects.filter(version="2026.2").exists() and signal.pk


@pytest.mark.django_db
def test_the_admin_refuses_the_reviewers_thresholds_naming_the_key(
        world, client_for, settings):
    from django.urls import reverse

    from thuocdo.accountability.models import ThresholdSet

    settings.LANGUAGE_CODE = "en"
    client = client_for(world.user("admin"))
    url = reverse("admin:accountability_thresholdset_add")
    response = client.post(url, {
        "version": "huge", "effective_from": "2026-01-01", "basis": "",
        "values": '{"silence_workdays": 99999999999999999999999, "reminders": 2.5}'})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["values"] == [
        "Threshold “silence_workdays” must be a whole number from 1 to 250."]
    assert not ThresholdSet.objects.exists()


# -- the authority matrix (versions: test_authority_matrix.py) --------------------------


def test_the_migration_writes_frozen_rows_equal_to_today_s_default():
    """A data migration is frozen: 0006 writes its own rows, not the live default's. The
    rows are today's default: should the default change, this fails, and the change gets
    its own migration (0006 stays as it is)."""
    import inspect

    migration = importlib.import_module(
        "thuocdo.accountability.migrations.0006_authority_matrix_stored_whole")
    assert "thuocdo" not in "".join(
        line for line in inspect.getsource(migration).splitlines()
        if line.startswith(("import ", "from ")))
    assert [{"position": position, "priority": priority, "product": "*"}
            for position, priority in migration.DEFAULT_ROWS] == \
        AuthorityMatrix.default().to_rows()


@pytest.mark.django_db
def test_a_version_may_not_come_into_force_in_a_month_already_computed(world):
    """October's signals are stored: a version in force from 15/10 (or 1/9) would change
    them when the month is computed again, so it is refused, naming the first day allowed;
    from 1/11 it is taken. Signals recorded by hand (S14) do not count as computed."""
    from thuocdo.accountability.models import SignalRecord, ThresholdSet

    def store(code: str, period: str) -> None:
        SignalRecord.objects.create(
            key=f"{code}|{period}|x", code=code, period=period,
            raised_on=dt.date(int(period[:4]), int(period[5:]), 1), subject_kind="task",
            unit=world.units["HN"], explanation="…",
            first_seen=dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
            last_seen=dt.datetime(2026, 10, 2, tzinfo=dt.UTC), thresholds="2026.1")

    store("S14", "2026-12")
    store("S8", "2026-10")
    for day in (dt.date(2026, 10, 15), dt.date(2026, 9, 1)):
        with translation.override("en"), pytest.raises(ServiceError) as refused:
            services.threshold_set_add(version="late", effective_from=day,
                                       values={"silence_workdays": 9})
        assert refused.value.service_code == "effective_from_computed"
        assert "computed up to 10/2026" in str(refused.value)
        assert "from 01/11/2026 on" in str(refused.value)
    assert not ThresholdSet.objects.filter(version="late").exists()
    services.threshold_set_add(version="next", effective_from=dt.date(2026, 11, 1),
                               values={"silence_workdays": 9})


@pytest.mark.django_db
def test_values_that_are_not_json_are_refused_in_the_admin_s_words(world):
    """Django's own "Enter a valid JSON." is English in this catalogue: the form says what
    to write, in Vietnamese."""
    from thuocdo.accountability.admin import ThresholdSetForm

    form = ThresholdSetForm({"version": "x", "effective_from": "2026-01-01",
                             "values": "not json", "basis": ""})
    with translation.override("vi"):
        assert not form.is_valid()
        assert "dạng đối tượng JSON" in str(form.errors["values"])
