"""The exchange key `quota_exceptions` (an addition to the contract): approved exceptions to
the HTXS quota imported through the board's services (each write audited), checked whole
before anything is written by the services' own rules with every problem's path, matched by
agency and days on a second import (nothing changes), exported back the same, and refused
where a period that can no longer change would take them."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import jsonschema
import pytest
from django.utils import translation

from thuocdo.core.models import AuditEntry
from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Period, QuotaException, ScoreCard
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.files import read_path, write_path
from thuocdo.exchange.importer import import_document
from thuocdo.exchange.problems import ImportRejected
from thuocdo.exchange.schema import exchange_schema
from thuocdo.measure.scenario import exchange_part
from thuocdo.org.models import Unit

from .helpers import CASES, read

pytestmark = pytest.mark.django_db

#: the day these documents are imported on
SINCE = dt.date(2026, 1, 1)

REASON = "Đơn vị dẫn đầu phong trào thi đua năm 2026"
UNITS = [
    {"code": "HN", "name": "UBND Thành phố Hà Nội", "kind": "city", "parent": None},
    {"code": "HN.BD", "name": "UBND quận Ba Đình", "kind": "district", "parent": "HN"},
    {"code": "HN.CG", "name": "UBND quận Cầu Giấy", "kind": "district", "parent": "HN"},
    {"code": "HN.CG.VP", "name": "Văn phòng HĐND và UBND quận", "kind": "division",
     "parent": "HN.CG"},
]
#: in the export's order: by agency code, then first day
EXCEPTIONS = [
    {"agency": "HN.BD", "valid_from": "2026-12-01", "valid_to": "2026-12-31", "share": 0.275,
     "decision": "88/QĐ-UBND", "decided_on": "2026-11-02", "reason": "Dẫn đầu khối quận"},
    {"agency": "HN.CG", "valid_from": "2026-01-01", "valid_to": "2026-06-30", "share": 0.3,
     "decision": "7/QĐ-UBND", "decided_on": "2026-01-05", "reason": REASON},
    {"agency": "HN.CG", "valid_from": "2026-10-01", "valid_to": "2026-12-31", "share": 0.4,
     "decision": "15/QĐ-UBND", "decided_on": "2026-09-15", "reason": REASON},
]


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def document(**more) -> dict:
    return copy.deepcopy({"format": "thuocdo-exchange/1", "units": UNITS,
                          "quota_exceptions": EXCEPTIONS} | more)


def problems(document) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        import_document(document, on=SINCE)
    return [f"{p.path}: {p.code}" for p in rejected.value.problems]


def stored() -> list[tuple]:
    return list(QuotaException.objects.order_by("pk").values_list(
        "agency__code", "valid_from", "valid_to", "share", "decision", "decided_on",
        "reason"))


def test_export_import_into_an_empty_database_export_gives_the_same():
    given = document()
    report = import_document(given, on=SINCE)
    assert (report.counts["quota_exceptions"].created,
            report.counts["quota_exceptions"].updated) == (3, 0)
    assert stored()[2] == ("HN.CG", dt.date(2026, 10, 1), dt.date(2026, 12, 31),
                           Decimal("0.4"), "15/QĐ-UBND", dt.date(2026, 9, 15), REASON)
    # each recorded through the service: audited with its reason
    assert AuditEntry.objects.filter(action="quota_exception.record").count() == 3
    exported = export_document()
    assert exported["quota_exceptions"] == given["quota_exceptions"]
    assert exported["units"] == given["units"]
    # imported again: nothing changes, nothing is audited
    entries = AuditEntry.objects.count()
    again = import_document(exported, on=SINCE)
    assert again.counts["quota_exceptions"].unchanged == 3
    assert not again.changed
    assert AuditEntry.objects.count() == entries
    assert export_document() == exported


def test_what_the_board_recorded_goes_out_and_comes_back(world, tmp_path):
    services.quota_exception_record(
        actor=world.user("board"), agency=world.units["HN.CG"],
        valid_from=dt.date(2026, 12, 1), valid_to=dt.date(2026, 12, 31), share="0.2525",
        decision="15/QĐ-UBND", decided_on=dt.date(2026, 11, 20), reason=REASON)
    exported = export_document()
    assert exported["quota_exceptions"] == [
        {"agency": "HN.CG", "valid_from": "2026-12-01", "valid_to": "2026-12-31",
         "share": 0.2525, "decision": "15/QĐ-UBND", "decided_on": "2026-11-20",
         "reason": REASON}]
    before = stored()
    QuotaException.objects.all().delete()
    # through a workbook too: the same records come back
    write_path(exported, tmp_path / "city.xlsx")
    report = import_document(read_path(tmp_path / "city.xlsx"), on=SINCE)
    assert report.counts["quota_exceptions"].created == 1
    assert stored() == before
    assert export_document() == exported


@pytest.mark.usefixtures("english")
def test_a_changed_record_changes_the_stored_exception_with_the_import_as_reason():
    import_document(document(), on=SINCE)
    changed = document()
    changed["quota_exceptions"][2].update(share=0.45, decision="16/QĐ-UBND")
    report = import_document(changed, on=SINCE)
    assert (report.counts["quota_exceptions"].updated,
            report.counts["quota_exceptions"].unchanged) == (1, 2)
    entry = AuditEntry.objects.get(action="quota_exception.change")
    assert entry.reason == "Changed by the imported exchange document."
    assert entry.changes == {"share": ["0.4000", "0.4500"],
                             "decision": ["15/QĐ-UBND", "16/QĐ-UBND"]}
    assert export_document()["quota_exceptions"] == changed["quota_exceptions"]


@pytest.mark.usefixtures("english")
def test_bad_records_are_refused_with_their_paths_and_nothing_is_written():
    bad = document()
    records = bad["quota_exceptions"]
    wrong = [
        {"share": 0.2},                                   # not above the rubric's 20%
        {"share": 1.5},
        {"share": 0.33333},                               # more than 4 decimals
        {"share": "0.3"},                                 # not a number
        {"agency": "HN.CG.VP"},                           # a division, not an agency
        {"agency": "HN.NOPE"},
        {"valid_to": "2026-09-30"},                       # before valid_from
        {"decided_on": "2026-13-01"},
        {"decided_on": "2099-01-01"},                     # in the future
        {"decision": ""},
        {"reason": " "},
        {"colour": "red"},
    ]
    base = {"agency": "HN.BD", "valid_from": "2027-01-01", "valid_to": "2027-12-31",
            "share": 0.3, "decision": "1/QĐ-UBND", "decided_on": "2026-11-01",
            "reason": REASON}
    for n, change in enumerate(wrong):
        # each on its own year, so they do not overlap one another
        year = 2030 + n
        records.append(base | {"valid_from": f"{year}-01-01", "valid_to": f"{year}-12-31"}
                       | change)
    records.append(dict(records[0]))                  # the same agency and days twice
    records.append(records[0] | {"valid_from": "2026-12-15", "valid_to": "2027-01-15"})
    missing = dict(base, valid_from="2050-01-01", valid_to="2050-12-31")
    del missing["reason"]
    records.append(missing)
    bad["units"].append({"code": "HN.NEW", "name": "Phòng mới", "kind": "division",
                         "parent": "HN.CG"})
    records.append(base | {"agency": "HN.NEW"})       # the document's unit, not an agency
    path = "quota_exceptions"
    assert problems(bad) == [
        f"{path}[3].share: exception_share",
        f"{path}[4].share: exception_share",
        f"{path}[5].share: exception_share",
        f"{path}[6].share: type",
        f"{path}[7].agency: exception_agency",
        f"{path}[8].agency: unknown_unit",
        f"{path}[9].valid_to: exception_span",
        f"{path}[10].decided_on: date",
        f"{path}[11].decided_on: exception_decided_on",
        f"{path}[12].decision: exception_decision",
        f"{path}[13].reason: reason_required",
        f"{path}[14].colour: unknown_field",
        f"{path}[15].valid_from: duplicate",
        f"{path}[16].valid_from: exception_overlap",
        f"{path}[17].reason: required",
        f"{path}[18].agency: exception_agency",
    ]
    assert not QuotaException.objects.exists()
    assert not Unit.objects.exists()


@pytest.mark.usefixtures("english")
def test_an_overlap_with_a_stored_exception_is_refused_as_the_service_refuses_it():
    import_document(document(), on=SINCE)
    overlapping = document()
    overlapping["quota_exceptions"] = [
        EXCEPTIONS[2] | {"valid_from": "2026-11-01", "valid_to": "2027-03-31"}]
    with pytest.raises(ImportRejected) as rejected:
        import_document(overlapping, on=SINCE)
    (problem,) = rejected.value.problems
    assert (problem.path, problem.code) == ("quota_exceptions[0].valid_from",
                                            "exception_overlap")
    assert "15/QĐ-UBND" in problem.message  # the service's message names the one stored
    assert len(stored()) == 3


def test_a_period_approved_or_later_is_never_touched():
    import_document(document(), on=SINCE)
    september = services.period_open(label="2026-09")
    Period.objects.filter(pk=september.pk).update(status="published")
    # a new exception that a published period would take
    refused = document()
    refused["quota_exceptions"].append(
        EXCEPTIONS[0] | {"valid_from": "2026-09-01", "valid_to": "2026-09-30"})
    assert problems(refused) == ["quota_exceptions[3].valid_from: period_fixed"]
    with pytest.raises(ImportRejected) as rejected:
        import_document(refused, on=SINCE)
    assert period_name("2026-09")[1:] in rejected.value.problems[0].message  # named
    assert not rejected.value.notes  # checked whole: nothing waits for a later run
    # a change of one it takes: HN.CG's January–June exception, the June quarter approved
    quarter = services.period_open(label="2026-Q2")
    Period.objects.filter(pk=quarter.pk).update(status="approved")
    changed = document()
    changed["quota_exceptions"][1]["share"] = 0.35
    assert problems(changed) == ["quota_exceptions[1].valid_from: period_fixed"]
    # the same records again change nothing, so the fixed periods do not refuse them
    assert not import_document(document(), on=SINCE).changed
    assert stored()[1][3] == Decimal("0.3")


def test_the_golden_case_with_an_exception_imports_whole_and_scores_as_expected():
    case = next(path for path in CASES if path.name.startswith("14_"))
    golden = read(case)
    report = import_document(exchange_part(golden))
    assert report.counts["quota_exceptions"].created == 1
    period = Period.objects.get(label="2026-10")
    services.period_score(period=period)
    expected = {c["official"]: c["grade"] for c in golden["expected"]["cards"]}
    grades = {card.official.code: card.grade or None for card in
              ScoreCard.objects.filter(period=period).select_related("official")}
    assert grades == expected
    assert export_document()["quota_exceptions"] == golden["quota_exceptions"]


def test_the_schema_describes_the_key():
    validator = jsonschema.Draft202012Validator(exchange_schema())
    validator.validate(document())
    for change in ({"share": "0.3"}, {"share": 2}, {"valid_to": "31/12/2026"},
                   {"colour": "red"}):
        bad = document()
        bad["quota_exceptions"][0].update(change)
        assert not validator.is_valid(bad), change
    missing = document()
    del missing["quota_exceptions"][0]["decision"]
    assert not validator.is_valid(missing)
