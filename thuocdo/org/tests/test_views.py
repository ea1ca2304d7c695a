"""The organisation pages: unit tree, unit, officials list (search, filters, export), official."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from thuocdo.org import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def official_codes(response) -> list[str]:
    return [o.code for o in response.context["page"].object_list]


# -- unit tree -------------------------------------------------------------------------


def test_tree_of_an_administrator_opens_the_single_root(world, client_for):
    page = client_for(world.user("admin")).get(reverse("org:unit_tree")).content.decode()
    assert "UBND Thành phố Hà Nội" in page
    for name in ("Sở Nội vụ", "UBND quận Cầu Giấy", "UBND quận Ba Đình"):
        assert name in page
    assert "Phòng Tổ chức cán bộ" not in page  # second level stays closed
    assert 'aria-expanded="true"' in page and 'aria-expanded="false"' in page


def test_tree_of_staff_starts_at_their_own_unit(world, client_for):
    page = client_for(world.user("staff")).get(reverse("org:unit_tree")).content.decode()
    assert "Văn phòng HĐND và UBND quận" in page
    assert "UBND Thành phố Hà Nội" not in page
    assert "Ba Đình" not in page


def test_tree_node_opens_and_closes_with_htmx(world, client_for):
    client = client_for(world.user("head"))
    url = reverse("org:unit_node", kwargs={"code": "HN.CG"})
    opened = client.get(url, {"open": "1"}, **HTMX)
    page = opened.content.decode()
    assert opened.status_code == 200
    assert page.lstrip().startswith('<li id="node-')
    assert "UBND phường Dịch Vọng" in page and "Văn phòng HĐND và UBND quận" in page
    assert 'aria-expanded="true"' in page
    closed = client.get(url, {"open": "0"}, **HTMX).content.decode()
    assert "Dịch Vọng" not in closed and 'aria-expanded="false"' in closed


def test_tree_node_without_htmx_goes_to_the_unit_page(world, client_for):
    response = client_for(world.user("head")).get(
        reverse("org:unit_node", kwargs={"code": "HN.CG"}))
    assert response.status_code == 302
    assert response["Location"] == reverse("org:unit_detail", kwargs={"code": "HN.CG"})


def test_tree_node_outside_the_scope_is_404(world, client_for):
    response = client_for(world.user("head")).get(
        reverse("org:unit_node", kwargs={"code": "HN.BD"}), {"open": "1"}, **HTMX)
    assert response.status_code == 404


def test_unit_search_ignores_tones(world, client_for):
    response = client_for(world.user("admin")).get(reverse("org:unit_tree"), {"q": "cau giay"})
    page = response.content.decode()
    assert [u.code for u in response.context["results"]] == ["HN.CG"]
    assert "1 unit matches" in page


def test_unit_search_stays_in_the_scope(world, client_for):
    response = client_for(world.user("head")).get(reverse("org:unit_tree"), {"q": "ubnd"})
    assert {u.code for u in response.context["results"]} == {"HN.CG", "HN.CG.VP", "HN.CG.DV"}


def test_unit_search_with_htmx_returns_the_results_only(world, client_for):
    response = client_for(world.user("admin")).get(
        reverse("org:unit_tree"), {"q": "dich vong"}, **HTMX)
    page = response.content.decode()
    assert "<html" not in page
    assert "UBND phường Dịch Vọng" in page
    assert 'id="unit-status" hx-swap-oob="innerHTML"' in page


# -- unit page -------------------------------------------------------------------------


def test_unit_page_shows_breadcrumb_agency_members_and_children(world, client_for):
    response = client_for(world.user("head")).get(
        reverse("org:unit_detail", kwargs={"code": "HN.CG"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "UBND Thành phố Hà Nội" in page  # ancestor named...
    assert reverse("org:unit_detail", kwargs={"code": "HN"}) not in page  # ...not linked
    assert "This unit is an agency." in page
    assert "Nguyễn Văn Đức" in page and "Trần Thị Bình" in page
    labels = [label for label, _rows in response.context["member_groups"]]
    assert labels == ["Head", "Deputy heads"]
    assert "UBND phường Dịch Vọng" in page  # a child
    assert reverse("org:official_list") + "?unit=HN.CG" in page


def test_a_division_belongs_to_its_agency(world, client_for):
    response = client_for(world.user("admin")).get(
        reverse("org:unit_detail", kwargs={"code": "HN.CG.VP"}))
    assert response.context["agency"].code == "HN.CG"
    page = response.content.decode()
    assert reverse("org:unit_detail", kwargs={"code": "HN.CG"}) in page
    assert "Lê Văn Cường" in page and "Phạm Thị Dung" in page


def test_unit_outside_the_scope_is_404(world, client_for):
    response = client_for(world.user("staff")).get(
        reverse("org:unit_detail", kwargs={"code": "HN.BD.VP"}))
    assert response.status_code == 404


def test_codes_with_a_slash_have_working_links(world, client_for):
    unit = services.unit_create(code="HN/TEST", name="Đơn vị thử", kind="other",
                                parent=world.units["HN"])
    client = client_for(world.user("admin"))
    response = client.get(unit.get_absolute_url())
    assert response.status_code == 200
    assert "Đơn vị thử" in response.content.decode()


# -- officials list --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["nguyen van duc", "NGUYEN VAN DUC", "Nguyễn Văn Đức",
                                   "van duc", "đức"])
def test_search_ignores_tones_and_d(world, client_for, query):
    """"nguyen van duc" finds "Nguyễn Văn Đức"."""
    response = client_for(world.user("head")).get(reverse("org:official_list"), {"q": query})
    assert official_codes(response) == ["CG.HEAD"]
    assert "1 official" in response.content.decode()


def test_search_by_code(world, client_for):
    response = client_for(world.user("head")).get(reverse("org:official_list"),
                                                  {"q": "cg.staff"})
    assert official_codes(response) == ["CG.STAFF", "CG.STAFF2"]


def test_list_stays_in_the_scope(world, client_for):
    response = client_for(world.user("staff")).get(reverse("org:official_list"))
    assert set(official_codes(response)) == {"CG.STAFF", "CG.STAFF2"}


def test_filter_by_unit_with_and_without_subunits(world, client_for):
    client = client_for(world.user("admin"))
    url = reverse("org:official_list")
    tree = official_codes(client.get(url, {"unit": "HN.CG"}))
    assert set(tree) == {"CG.HEAD", "CG.DEP", "CG.STAFF", "CG.STAFF2", "DV.HEAD"}
    only = official_codes(client.get(url, {"unit": "HN.CG", "subunits": "0"}))
    assert set(only) == {"CG.HEAD", "CG.DEP"}


def test_filter_by_position_and_task_group(world, client_for):
    client = client_for(world.user("admin"))
    url = reverse("org:official_list")
    assert set(official_codes(client.get(url, {"position": "head"}))) == {"CG.HEAD", "DV.HEAD"}
    assert set(official_codes(client.get(url, {"task_group": "CM"}))) == {
        "CG.STAFF", "CG.STAFF2", "BD.STAFF"}


def test_filter_active_and_inactive(world, client_for):
    services.official_update(official=world.officials["CG.STAFF2"], is_active=False)
    client = client_for(world.user("head"))
    url = reverse("org:official_list")
    assert "CG.STAFF2" not in official_codes(client.get(url))
    assert official_codes(client.get(url, {"status": "inactive"})) == ["CG.STAFF2"]
    assert "CG.STAFF2" in official_codes(client.get(url, {"status": "all"}))


def test_a_unit_outside_the_scope_is_a_form_error_not_a_leak(world, client_for):
    response = client_for(world.user("staff")).get(
        reverse("org:official_list"), {"unit": "HN.BD.VP"})
    assert response.status_code == 200
    assert response.context["form"].errors["unit"]
    assert "BD.STAFF" not in official_codes(response)
    assert "Đặng Thị Giang" not in response.content.decode()


def test_sorting_by_code(world, client_for):
    client = client_for(world.user("admin"))
    url = reverse("org:official_list")
    codes = official_codes(client.get(url, {"sort": "code"}))
    assert codes == sorted(codes)
    assert official_codes(client.get(url, {"sort": "-code"})) == sorted(codes, reverse=True)
    by_name = client.get(url, {"sort": "name"})
    assert official_codes(by_name)[0] == "BD.STAFF"  # Đặng sorts as "dang"
    assert 'aria-sort="ascending"' in by_name.content.decode()


def test_pagination_and_count(world, client_for):
    for number in range(30):
        official = services.official_create(code=f"VP.{number:02d}", name=f"Cán bộ {number:02d}")
        services.membership_start(official=official, unit=world.units["HN.CG.VP"],
                                  position="staff", start=dt.date(2025, 1, 1))
    client = client_for(world.user("staff"))
    first = client.get(reverse("org:official_list"), {"sort": "code"})
    assert len(official_codes(first)) == 25
    page = first.content.decode()
    assert "32 officials" in page and "page 1 of 2" in page
    assert "?sort=code&amp;page=2" in page
    second = client.get(reverse("org:official_list"), {"sort": "code", "page": "2"})
    assert len(official_codes(second)) == 7


def test_the_list_makes_no_query_per_official(world, client_for):
    """The page's query count does not grow with the number of officials shown."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.user("admin"))
    url = reverse("org:official_list")
    client.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(20):
        official = services.official_create(code=f"N.{number:02d}", name=f"Người {number}")
        services.membership_start(official=official, unit=world.units["HN.CG.DV"],
                                  position="staff", task_group=world.groups["CM"],
                                  start=dt.date(2025, 1, 1))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_htmx_updates_results_count_and_export_link(world, client_for):
    response = client_for(world.user("head")).get(
        reverse("org:official_list"), {"q": "nguyen"}, **HTMX)
    page = response.content.decode()
    assert "<html" not in page and "<form" not in page
    assert 'id="official-count" hx-swap-oob="innerHTML"' in page
    assert 'id="export-link"' in page and "export/officials.xlsx?q=nguyen" in page
    assert "Nguyễn Văn Đức" in page


def test_the_list_form_is_wired_for_live_search(world, client_for):
    page = client_for(world.user("head")).get(reverse("org:official_list")).content.decode()
    assert 'hx-trigger="input changed delay:300ms, submit"' in page
    assert 'hx-target="#official-results"' in page
    assert '<label for="id_q">' in page


# -- export ----------------------------------------------------------------------------


def read_sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment;" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    return list(sheet.iter_rows()), sheet


def test_export_has_the_filtered_rows_with_dates_dd_mm_yyyy(world, client_for):
    response = client_for(world.user("head")).get(
        reverse("org:official_export"), {"q": "nguyen van duc"})
    rows, _sheet = read_sheet(response)
    header = [cell.value for cell in rows[0]]
    assert header[:2] == ["Code", "Full name"] and header[-1] == "Since"
    assert len(rows) == 2
    values = [cell.value for cell in rows[1]]
    assert values[:3] == ["CG.HEAD", "Nguyễn Văn Đức", "cg.head@example.vn"]
    assert "UBND quận Cầu Giấy" in values and "Head" in values
    since = rows[1][-1]
    assert since.value.date() == dt.date(2025, 1, 1)
    assert since.number_format == "DD/MM/YYYY"


def test_export_follows_the_scope_and_filters(world, client_for):
    response = client_for(world.user("staff")).get(reverse("org:official_export"))
    rows, _sheet = read_sheet(response)
    assert {row[0].value for row in rows[1:]} == {"CG.STAFF", "CG.STAFF2"}
    response = client_for(world.user("admin")).get(
        reverse("org:official_export"), {"unit": "HN.CG", "subunits": "0", "sort": "code"})
    rows, _sheet = read_sheet(response)
    assert [row[0].value for row in rows[1:]] == ["CG.DEP", "CG.HEAD"]


def test_a_filter_that_is_not_valid_lists_and_exports_nothing(world, client_for):
    """A unit the reader cannot see (or none at all) narrows to nothing, never to everyone:
    the list shows the error on the field, the export goes back to it (core/filters.py)."""
    client = client_for(world.user("staff"))
    listed = client.get(reverse("org:official_list"), {"unit": "HN.BD.VP"})
    assert official_codes(listed) == [] and "unit" in listed.context["form"].errors
    response = client.get(reverse("org:official_export"), {"unit": "NOPE"})
    assert response.status_code == 302
    assert response["Location"] == reverse("org:official_list") + "?unit=NOPE"
    said = " ".join(str(m) for m in client.get(response["Location"]).context["messages"])
    assert said.startswith("Nothing was exported") and "Unit:" in said


def test_export_keeps_formula_like_text_as_text(world, client_for):
    official = services.official_create(code="X.1", name="=HYPERLINK(\"http://x\")")
    services.membership_start(official=official, unit=world.units["HN.CG.VP"],
                              position="staff", start=dt.date(2025, 1, 1))
    response = client_for(world.user("admin")).get(reverse("org:official_export"),
                                                   {"q": "x.1"})
    rows, _sheet = read_sheet(response)
    assert rows[1][1].data_type == "s"


def test_export_keeps_officials_with_no_current_position(world, client_for):
    services.official_create(code="FREE.1", name="Chưa Xếp Chỗ")
    response = client_for(world.user("admin")).get(reverse("org:official_export"),
                                                   {"q": "chua xep cho"})
    rows, _sheet = read_sheet(response)
    assert len(rows) == 2
    assert [cell.value for cell in rows[1]][:2] == ["FREE.1", "Chưa Xếp Chỗ"]
    assert rows[1][5].value is None


# -- official page ---------------------------------------------------------------------


def test_official_page_shows_contacts_and_full_history(world, client_for):
    official = world.officials["CG.STAFF"]
    services.official_update(official=official, phone="0912 345 678")
    services.official_place(official=official, unit=world.units["HN.CG.DV"], position="deputy",
                            task_group=world.groups["TH"], on=dt.date(2025, 7, 1))
    response = client_for(world.user("head")).get(official.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "cg.staff@example.vn" in page and "0912 345 678" in page
    assert [row["membership"].unit.code for row in response.context["history"]] == [
        "HN.CG.DV", "HN.CG.VP"]
    assert [row["membership"].unit.code for row in response.context["current"]] == [
        "HN.CG.DV"]
    assert "01/07/2025" in page and "30/06/2025" in page and "01/01/2025" in page


def test_official_outside_the_scope_is_404(world, client_for):
    response = client_for(world.user("staff")).get(
        world.officials["BD.STAFF"].get_absolute_url())
    assert response.status_code == 404
