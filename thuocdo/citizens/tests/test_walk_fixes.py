"""What a browser walk of the citizens' pages found: the notes typed on a dossier's step
shown in its staff log (never on the public page), each log line saying who acted and who
holds the dossier, the holder shown with their own unit, and the service index's export
refusing wrong filters as the other exports do."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from thuocdo.citizens import services

from . import factories
from .test_dossier_portal import returned

pytestmark = pytest.mark.django_db
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _staff_page(client, dossier) -> str:
    response = client.get(reverse("citizens:dossier_detail", kwargs={"code": dossier.code}))
    assert response.status_code == 200
    return response.content.decode()


def _log(page: str) -> str:
    return page[page.index('class="timeline"'):page.index("</ol>", page.index('class="timeline"'))]


# -- 1. notes of a move and of the result --------------------------------------------------


def test_the_staff_log_shows_the_notes_of_a_move_and_of_the_result(world, client_for):
    """Stored in the event's data, the notes were shown nowhere."""
    dossier = returned(world)
    log = _log(_staff_page(client_for(world.users["head"]), dossier))
    assert "Note: Ghi chú nội bộ: kiểm tra kỹ" in log
    assert "Note: Ghi chú nội bộ: trả qua bưu điện" in log


def test_the_public_page_keeps_the_notes_internal(world, client):
    """docs/citizens.md: the applicant's page shows never "a note of a move or of the
    result"."""
    dossier = returned(world)
    page = client.post("/phan-anh/ho-so/", {"code": dossier.code, "key": factories.KEY})
    assert page.status_code == 200
    assert "Ghi chú nội bộ" not in page.content.decode()


# -- 5. who acted, who holds -----------------------------------------------------------------


def test_each_log_line_labels_who_acted_and_who_holds(world, client_for):
    """The walker read "Nguyễn Bảo Dũng · Nguyễn Bảo Dũng" without knowing which was which."""
    dossier = factories.dossier(world, "D-LOG", received_at=dt.datetime(2026, 10, 1, 9,
                                                                        tzinfo=VN))
    services.dossier_move(user=world.users["staff"], dossier=dossier,
                          to_official=world.officials["CG.STAFF2"])
    log = _log(_staff_page(client_for(world.users["head"]), dossier))
    received, moved = log.split('timeline__event--')[1:3]
    assert "by Lê Văn Cường (CG.STAFF)" in received
    assert "Holder: Lê Văn Cường (CG.STAFF)" in received
    assert "by Lê Văn Cường (CG.STAFF)" in moved
    assert "Holder: Phạm Thị Dung (CG.STAFF2)" in moved


# -- 6. the holder with their own unit --------------------------------------------------------


def test_a_district_head_holding_a_ward_dossier_is_shown_with_the_district(world, client_for):
    """Received by the district's head for a ward, the dossier showed "Nguyễn Văn Đức, UBND
    phường Dịch Vọng", as if the head worked at the ward."""
    procedure = services.procedure_create(
        code="P-DV", name="Chứng thực bản sao", processing_days=3,
        steps=[("Tiếp nhận", world.units["HN.CG.DV"], 1),
               ("Giải quyết", world.units["HN.CG.DV"], 2)])
    dossier, _key = services.dossier_receive(
        user=world.users["head"], procedure=procedure, applicant="Trần Văn Nam",
        channel="counter")
    assert dossier.holder_unit == world.units["HN.CG.DV"]
    page = _staff_page(client_for(world.users["head"]), dossier)
    held = page[page.index('id="dossier-holder"'):]
    held = held[held.index(">") + 1:held.index("</dd>")]
    assert held == "Nguyễn Văn Đức (CG.HEAD), UBND quận Cầu Giấy", held
    # a member of the holding unit is shown with it
    moved = factories.dossier(world, "D-HOLD")
    page = _staff_page(client_for(world.users["head"]), moved)
    held = page[page.index('id="dossier-holder"'):]
    assert held[held.index(">") + 1:held.index("</dd>")] == (
        "Lê Văn Cường (CG.STAFF), Văn phòng HĐND và UBND quận")


# -- 2. the service index's export and page with wrong filters ---------------------------------


@pytest.mark.parametrize("query", [
    "unit=HN.CG&start=32/01/2026",
    "unit=HN.CG&start=2026-10-31&end=2026-10-01",
    "unit=HN.BD&start=2026-10-01&end=2026-10-31",  # a unit the head may not see
])
def test_the_index_export_refuses_wrong_filters_as_the_other_exports(world, client_for, query):
    client = client_for(world.users["head"])
    page = client.get(f"/citizens/index/?{query}")
    assert page.status_code == 400, "the page shows the error on its field"
    assert "No unit to show." not in page.content.decode()
    export = client.get(f"/citizens/index/export.xlsx?{query}")
    assert export.status_code == 302
    target = urlsplit(export["Location"])
    assert target.path == "/citizens/index/" and parse_qs(target.query) == parse_qs(query)
    said = [str(m) for m in get_messages(export.wsgi_request)]
    assert any(m.startswith("Nothing was exported: correct these filters first.")
               for m in said), said


def test_procedures_of_the_same_name_are_told_apart_by_their_receiving_unit(world):
    """Wards offer the same procedure under the same name: the receive form's choices say
    which unit receives each (its first step's), not only its code."""
    from thuocdo.citizens.forms import DossierReceiveForm
    from thuocdo.citizens.models import Procedure
    from thuocdo.citizens.tests.factories import procedure

    procedure(world, "P-CG"), procedure(world, "P-BD")
    form = DossierReceiveForm(procedures=Procedure.objects.all())
    labels = [label for value, label in form.fields["procedure"].choices if value]
    name = "Cấp giấy phép xây dựng nhà ở riêng lẻ"
    assert labels == [f"{name} — {world.units['HN.BD.VP'].name} (P-BD)",
                      f"{name} — {world.units['HN.CG.VP'].name} (P-CG)"]
