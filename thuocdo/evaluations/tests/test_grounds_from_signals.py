"""The KHT grounds list shows the confirmed S14 records as grounds (they count by
themselves, `adapters.signal_grounds`; the board's form no longer records kind "signal"):
read-only rows marked as coming from the signal, linking to its page, under the filter
"Confirmed signal" and in the unfiltered list, scoped and filtered as the recorded grounds,
paginated with them in date order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from thuocdo.accountability.models import SignalRecord
from thuocdo.evaluations import selectors, services, views
from thuocdo.evaluations.models import Ground

from .test_confirmed_signals import _s14, _this_month

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LIST = reverse("evaluations:ground_list")


def _discipline(world, on: dt.date, official="CG.STAFF2") -> Ground:
    return services.ground_record(actor=world.user("board"), kind="discipline",
                                  official=world.officials[official], on=on,
                                  level="reprimand", reason="Quyết định kỷ luật")


def test_a_confirmed_s14_is_listed_as_a_ground_under_its_filter_and_all(world, client_for):
    on, _label = _this_month()
    signal = _s14(world, on=on)
    _s14(world, on=on, decision="accept", official="CG.STAFF2")  # accepted: no ground
    _s14(world, on=on - dt.timedelta(days=1), decision=None)  # not yet decided: no ground
    url = reverse("accountability:signal_detail", kwargs={"pk": signal.pk})
    client = client_for(world.user("board"))
    for query in ({"kind": "signal"}, {}, {"year": on.year}, {"unit": "HN.CG.VP"}):
        response = client.get(LIST, query)
        html = response.content.decode()
        assert response.context["page"].paginator.count == 1, query
        assert f'id="signal-ground-{signal.pk}"' in html
        assert f'href="{url}"' in html, "its signal's page"
        assert "from the signal: counts by itself" in html
        assert "confirmed as a breach by Nguyễn Văn Đức (CG.HEAD)" in html
        assert "Vi phạm đã rõ" in html
        assert "Correct the reason" not in html and "Withdraw" not in html, "read-only"
    for query in ({"kind": "discipline"}, {"year": on.year - 1}, {"unit": "HN.CG.DV"}):
        response = client.get(LIST, query)
        assert response.context["page"].paginator.count == 0, query
        assert f'id="signal-ground-{signal.pk}"' not in response.content.decode()


def test_the_records_are_scoped_as_the_recorded_grounds(world, client_for):
    """A confirmed S14 about an official of another district: the board of HN.CG does not
    list it; the administrator does."""
    on, _label = _this_month()
    signal = _s14(world, on=on)
    SignalRecord.objects.filter(pk=signal.pk).update(official=world.officials["BD.STAFF"],
                                                     unit=world.units["HN.BD.VP"])
    board = client_for(world.user("board")).get(LIST, {"kind": "signal"})
    assert board.context["page"].paginator.count == 0
    admin = client_for(world.user("admin")).get(LIST, {"kind": "signal"})
    assert admin.context["page"].paginator.count == 1
    assert f'id="signal-ground-{signal.pk}"' in admin.content.decode()


def test_the_records_are_paginated_with_the_grounds_by_date(world, client_for, monkeypatch):
    """Newest first; a record after the recorded grounds of its day; each page as long as
    the page size, the whole list once over the pages."""
    monkeypatch.setattr(views, "GROUNDS_PAGE_SIZE", 2)
    on, _label = _this_month()
    signal = _s14(world, on=on)
    older = [_discipline(world, on - dt.timedelta(days=n)) for n in (40, 50, 60)]
    same_day = _discipline(world, on, official="CG.HEAD")
    client = client_for(world.user("board"))
    seen = []
    for number in (1, 2, 3):
        page = client.get(LIST, {"page": number}).context["page"]
        assert page.paginator.count == 5
        seen += [("signal", g.signal_id) if isinstance(g, selectors.SignalGround)
                 else ("ground", g.pk) for g in page.object_list]
    assert seen == [("ground", same_day.pk), ("signal", signal.pk),
                    *(("ground", g.pk) for g in older)]


def test_the_export_holds_the_rows_the_list_shows(world, client_for):
    """The records are in the export too, where the list puts them, with who confirmed
    them; a filter the list refuses exports nothing and says why."""
    import io

    from openpyxl import load_workbook

    on, _label = _this_month()
    _s14(world, on=on)
    _discipline(world, on, official="CG.HEAD")
    client = client_for(world.user("board"))
    export = reverse("evaluations:ground_export")
    for query, expected in (({}, ["CG.HEAD", "CG.STAFF"]), ({"kind": "signal"}, ["CG.STAFF"]),
                            ({"kind": "discipline"}, ["CG.HEAD"])):
        listed = client.get(LIST, query).context["page"].object_list
        sheet = load_workbook(io.BytesIO(client.get(export, query).content)).active
        rows = [r for r in sheet.iter_rows(values_only=True) if r[0] and r[4]][1:]
        assert [r[4] for r in rows] == expected, query
        assert [g.official.code for g in listed] == expected, query
    [row] = [r for r in load_workbook(io.BytesIO(client.get(
        export, {"kind": "signal"}).content)).active.iter_rows(values_only=True)
        if r[3] == "S14"]
    assert row[0].date() == on and row[1:8] == (
        "Confirmed signal", None, "S14", "CG.STAFF", "Lê Văn Cường",
        "Văn phòng HĐND và UBND quận", "HN.CG.VP")
    assert row[8].endswith(" — Vi phạm đã rõ"), "what the record found, then the decision"
    assert row[9] == "Nguyễn Văn Đức (CG.HEAD)" and row[10] is not None and row[13] == "yes"
    response = client.get(export, {"year": "twenty"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?year=twenty"


def test_a_recorded_ground_repeating_a_record_says_it_counts_through_it(world, client_for):
    """A board's ground of kind "signal" for the same official, signal and day as a
    confirmed record (recorded before records counted by themselves) is that record again:
    the scoring counts it once (`adapters.kht_grounds`), so the list and the export say it
    counts through the record, with a link to it; a ground of another day counts itself."""
    import io

    from openpyxl import load_workbook

    on, _label = _this_month()
    signal = _s14(world, on=on)
    official = world.officials["CG.STAFF"]
    same = services.ground_record(actor=world.user("board"), kind="signal", signal="S14",
                                  official=official, on=on, reason="S14 đã xác nhận")
    other_day = dt.date(on.year, 1, 1) if on.month > 1 or on.day > 1 else dt.date(on.year, 1, 2)
    other = services.ground_record(actor=world.user("board"), kind="signal", signal="S14",
                                   official=official, on=other_day, reason="Hồ sơ khác")
    assert selectors.grounds_repeating_records(
        list(Ground.objects.select_related("official"))) == {same.pk: signal.pk}
    client = client_for(world.user("board"))
    html = client.get(LIST, {"kind": "signal"}).content.decode()
    row = html.split(f'id="ground-{same.pk}"')[1].split("</tr>")[0]
    assert "counts once, through it" in row
    assert reverse("accountability:signal_detail", kwargs={"pk": signal.pk}) in row
    assert "counts once" not in html.split(f'id="ground-{other.pk}"')[1].split("</tr>")[0]
    sheet = load_workbook(io.BytesIO(client.get(reverse("evaluations:ground_export"),
                                                {"kind": "signal"}).content)).active
    counts = {r[8]: r[13] for r in sheet.iter_rows(values_only=True) if r[3] == "S14"}
    assert counts == {"S14 đã xác nhận": "through the signal record", "Hồ sơ khác": "yes",
                      next(k for k in counts if k.endswith("Vi phạm đã rõ")): "yes"}


def test_the_export_names_the_system_where_the_list_does(world, client_for):
    """A ground recorded without a person (by the demo, a job) reads "the system" in the
    list's and in the export's "Recorded by"."""
    import io

    from openpyxl import load_workbook

    on, _label = _this_month()
    services.ground_record(actor=None, kind="discipline", official=world.officials["CG.STAFF2"],
                           on=on, level="reprimand", reason="Quyết định kỷ luật")
    client = client_for(world.user("board"))
    assert "the system, " in client.get(LIST).content.decode()
    sheet = load_workbook(io.BytesIO(client.get(reverse("evaluations:ground_export")).content)
                          ).active
    [row] = [r for r in sheet.iter_rows(values_only=True) if r[4] == "CG.STAFF2"]
    assert row[9] == "the system"
