"""The exchange keys `assessments` and `discipline`: imported all-or-nothing with every
problem's path, matched on a second import (nothing changes), exported back, and refused by
a period that can no longer change."""

from __future__ import annotations

import copy

import pytest

from thuocdo.core.templatetags.periods import period_name
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Assessment, Ground, Period, ScoreCard
from thuocdo.exchange.exporter import export_document
from thuocdo.exchange.importer import import_document
from thuocdo.exchange.problems import ImportRejected
from thuocdo.measure.scenario import exchange_part

from .helpers import CASES, read

KHT = CASES[7]  # 08_kht_overrides: every kind of ground, assessments with reasons


def _document(path=KHT) -> dict:
    return exchange_part(read(path))


def _problems(document) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        import_document(document)
    return [f"{p.path}: {p.code}" for p in rejected.value.problems]


@pytest.mark.django_db
def test_a_golden_scenario_imports_whole_and_scores_as_expected():
    document = _document()
    report = import_document(document)
    assert report.counts["assessments"].created == len(document["assessments"])
    assert report.counts["discipline"].created == len(document["discipline"])
    assert Ground.objects.filter(kind="corruption", unit__code="HN.CG.TC").exists()
    period = Period.objects.get(label="2026-10")
    services.period_score(period=period)
    expected = {c["official"]: c for c in read(KHT)["expected"]["cards"]}
    for card in ScoreCard.objects.filter(period=period).select_related("official"):
        assert (card.grade or None) == expected[card.official.code]["grade"], card.official.code
    again = import_document(document)
    assert again.counts["assessments"].unchanged == len(document["assessments"])
    assert again.counts["discipline"].unchanged == len(document["discipline"])
    assert not again.changed


@pytest.mark.django_db
def test_export_gives_the_records_back():
    document = _document()
    import_document(document)
    exported = export_document()

    def plain(records):
        return sorted((sorted(r.items()) for r in records), key=repr)

    assert plain(exported["assessments"]) == plain(document["assessments"])
    assert plain(exported["discipline"]) == plain(document["discipline"])


@pytest.mark.django_db
def test_bad_records_are_refused_with_their_paths_and_nothing_is_written():
    document = _document()
    bad = copy.deepcopy(document)
    bad["assessments"][0]["general_points"] = 31
    bad["assessments"][1]["reason"] = ""
    bad["assessments"][2]["official"] = "NOBODY"
    bad["assessments"][3]["period"] = "2026-13"
    bad["assessments"].append(dict(document["assessments"][4]))
    bad["discipline"][0].pop("level")
    bad["discipline"][3].pop("unit")
    bad["discipline"][4]["ground"] = "rumour"
    n = len(document["assessments"])
    assert _problems(bad) == [
        "assessments[0].general_points: number",
        "assessments[1].reason: reason_required",
        "assessments[2].official: unknown_official",
        "assessments[3].period: period",
        f"assessments[{n}].official: duplicate",
        "discipline[0].level: required",
        "discipline[3].unit: required",
        "discipline[4].ground: enum",
    ]
    assert not Assessment.objects.exists() and not Ground.objects.exists()
    assert not Period.objects.exists()


@pytest.mark.django_db
def test_a_locked_period_refuses_assessments():
    document = _document()
    import_document(document)
    Period.objects.filter(label="2026-10").update(status="locked")
    changed = copy.deepcopy(document)
    changed["assessments"][0]["general_points"] = 20
    changed["assessments"][0]["reason"] = "Thêm sai sót"
    before = list(Assessment.objects.values_list("official_id", "general_points"))
    with pytest.raises(ImportRejected, match=period_name("2026-10")):
        import_document(changed)
    assert list(Assessment.objects.values_list("official_id", "general_points")) == before


@pytest.mark.django_db
def test_a_withdrawn_ground_goes_out_and_comes_back_withdrawn():
    """The export writes a withdrawn ground with `withdrawn: true`; imported into an empty
    installation it is withdrawn there too; a document that lists it without saying so
    leaves it withdrawn (an import never restores a ground), and a document that says so
    withdraws a ground that counts."""
    from thuocdo.core.models import AuditEntry

    document = _document()
    import_document(document)
    first = Ground.objects.order_by("on", "id").first()
    services.ground_withdraw(ground=first, reason="Ghi nhầm")
    exported = export_document()["discipline"]
    assert [r.get("withdrawn", False) for r in exported] == [
        g.pk == first.pk for g in Ground.objects.order_by("on", "id")]
    # the same document (without the field): the withdrawal stands, nothing changes
    again = import_document(document)
    assert not again.changed and not Ground.objects.get(pk=first.pk).confirmed
    # the export imported back changes nothing either
    back = import_document({"discipline": exported})
    assert back.counts["discipline"].unchanged == len(exported)
    # a document that says another ground is withdrawn withdraws it, with the import's
    # reason in the audit trail
    second = Ground.objects.exclude(pk=first.pk).order_by("on", "id").first()
    says = copy.deepcopy(exported)
    index = next(i for i, r in enumerate(says) if r["on"] == second.on.isoformat()
                 and not r.get("withdrawn"))
    says[index]["withdrawn"] = True
    report = import_document({"discipline": says})
    assert report.counts["discipline"].updated == 1
    assert not Ground.objects.get(pk=second.pk).confirmed
    assert AuditEntry.objects.filter(action="ground.withdraw",
                                     object_code=str(second.pk)).exists()


@pytest.mark.django_db
def test_withdrawn_must_be_true_or_false():
    document = _document()
    document["discipline"][0]["withdrawn"] = "yes"
    assert "discipline[0].withdrawn: type" in _problems(document)
