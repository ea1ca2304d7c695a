"""The base layout, the home page and the error pages."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_home_needs_login(world, client_for):
    response = client_for(None).get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_home_shows_who_where_and_scope_of_staff(world, client_for):
    """Staff see their position, unit and task group, and that they see their own unit."""
    response = client_for(world.user("staff")).get(reverse("core:home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Lê Văn Cường" in page and "CG.STAFF" in page
    assert "Văn phòng HĐND và UBND quận" in page
    assert "Chuyên môn, nghiệp vụ" in page
    assert "01/01/2025" in page  # since, dd/mm/yyyy
    assert "Your own units" in page
    assert "Units you lead" not in page
    assert "you see everything" not in page


def test_home_puts_a_product_waiting_for_review_after_the_overdue_work(world, client_for,
                                                                       monkeypatch):
    """"Overdue first", and a product submitted for the caller's review is not overdue (as
    the page says and "Việc của tôi" counts): it sat between two overdue tasks by its
    deadline. The deputy reviews one handed in on time, due 02/10, and holds two overdue
    tasks due 05/10 and 09/10."""
    import datetime as dt

    from django.utils import timezone

    from thuocdo.tasks import services

    tz = timezone.get_fixed_timezone(7 * 60)
    product = services.product_create(code="BC", name="Báo cáo", coefficient=1)
    head, deputy, staff = (world.officials[c] for c in ("CG.HEAD", "CG.DEP", "CG.STAFF"))

    def assign(code, due, by, unit, lead):
        return services.task_assign(
            assigned_by=by, title=f"Việc {code}", product=product, lead_unit=unit,
            lead_official=lead, due=dt.date(2026, 10, due), code=code,
            at=dt.datetime(2026, 9, 25, 8, 0, tzinfo=tz), allow_past_due=True)

    review = assign("REVIEW", 2, deputy, world.units["HN.CG.VP"], staff)
    for kind, day in (("accept", 26), ("submit", 30)):
        services.task_act(task=review, kind=kind, actor=staff, data={},
                          at=dt.datetime(2026, 9, day, 9, 0, tzinfo=tz))
    assign("LATE5", 5, head, world.units["HN.CG"], deputy)
    assign("LATE9", 9, head, world.units["HN.CG"], deputy)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 10, 14, 9, 0, tzinfo=tz))
    urgent = client_for(world.user("deputy")).get(reverse("core:home")).context["urgent"]
    assert [t.code for t in urgent] == ["LATE5", "LATE9", "REVIEW"]


def test_home_names_the_most_urgent_work_first(world, client_for, monkeypatch):
    """The home page lists the open tasks the official holds, overdue first (with its working
    days overdue), then the nearest deadlines, a few only, each linked; finished work and
    work held by others are not there. A fixed number of queries, however many tasks."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from thuocdo.core import views
    from thuocdo.tasks import services

    tz = timezone.get_fixed_timezone(7 * 60)
    product = services.product_create(code="BC", name="Báo cáo", coefficient=1)

    def assign(code, due, lead="CG.STAFF"):
        return services.task_assign(
            assigned_by=world.officials["CG.HEAD"], title=f"Việc {code}", product=product,
            lead_unit=world.units["HN.CG.VP"], lead_official=world.officials[lead],
            due=due, code=code, at=dt.datetime(2026, 10, 1, 8, 0, tzinfo=tz),
            allow_past_due=True)

    for code, day in (("LATER", 30), ("SOON", 21), ("LATE", 9), ("LATEST", 31),
                      ("AFTER", 29), ("LATER2", 28)):
        assign(code, dt.date(2026, 10, day))
    done = assign("DONE", dt.date(2026, 10, 2))
    services.task_act(task=done, kind="cancel", actor=world.officials["CG.HEAD"],
                      data={"reason": "Không cần nữa"},
                      at=dt.datetime(2026, 10, 2, 9, 0, tzinfo=tz))
    assign("OTHER", dt.date(2026, 10, 5), lead="CG.STAFF2")
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 10, 14, 9, 0, tzinfo=tz))
    client = client_for(world.user("staff"))
    response = client.get(reverse("core:home"))
    urgent = response.context["urgent"]
    assert [t.code for t in urgent] == ["LATE", "SOON", "LATER2", "AFTER", "LATER"]
    assert len(urgent) == views.URGENT_TASKS
    assert urgent[0].workdays_overdue == 3  # 12, 13, 14 October
    page = response.content.decode()
    assert page.index("Due first") < page.index("Where you work")
    assert f'href="{urgent[0].get_absolute_url()}"' in page
    assert "3 working days overdue" in page and "21/10/2026" in page
    with CaptureQueriesContext(connection) as few:
        views._urgent_work(response.wsgi_request.scope)
    assign("MORE", dt.date(2026, 10, 8))
    with CaptureQueriesContext(connection) as more:
        views._urgent_work(response.wsgi_request.scope)
    assert len(more) == len(few) <= 3  # the scope's unit codes, the tasks, the calendar
    # nothing open: it says so
    page = client_for(world.user("deputy")).get(reverse("core:home")).content.decode()
    assert "Nothing waits on you" in page


def test_home_of_a_head_lists_the_led_subtree(world, client_for):
    page = client_for(world.user("head")).get(reverse("core:home")).content.decode()
    assert "Units you lead, with their sub-units" in page
    assert reverse("org:unit_detail", kwargs={"code": "HN.CG"}) in page
    assert "Head" in page


def test_home_of_an_inspector_names_the_inspected_subtree(world, client_for):
    page = client_for(world.user("inspector")).get(reverse("core:home")).content.decode()
    assert "Units you inspect (read only)" in page
    assert "UBND quận Cầu Giấy" in page
    assert "Inspector" in page
    assert "Your account is not linked to an official." in page


def test_home_of_the_board(world, client_for):
    page = client_for(world.user("board")).get(reverse("core:home")).content.decode()
    assert "organisation board" in page
    assert "UBND quận Cầu Giấy" in page


def test_home_of_an_administrator_says_everything(world, client_for):
    page = client_for(world.user("admin")).get(reverse("core:home")).content.decode()
    assert "you see everything" in page
    assert reverse("admin:index") in page


def test_layout_is_accessible_and_complete(world, client_for):
    """Skip link, landmarks, navigation, user name, language switch, logout as POST."""
    page = client_for(world.user("staff")).get(reverse("core:home")).content.decode()
    assert '<html lang="en">' in page
    assert 'class="skip-link" href="#main"' in page
    assert '<main id="main"' in page and "<header" in page and "<nav" in page
    assert "<footer" in page
    for name in ("core:home", "org:unit_tree", "org:official_list"):
        assert f'href="{reverse(name)}"' in page
    assert 'aria-current="page"' in page  # the home link
    assert reverse("admin:index") not in page  # not an administrator
    assert f'action="{reverse("accounts:logout")}"' in page
    assert f'action="{reverse("set_language")}"' in page
    assert 'name="language" value="vi"' in page and 'name="language" value="en"' in page
    assert "Lê Văn Cường" in page
    assert "thuocdo/css/thuocdo.css" in page
    assert "django_htmx/htmx-2.min.js" in page
    assert "//cdn" not in page and "googleapis" not in page


def test_the_default_language_is_vietnamese(world, client_for, settings):
    settings.LANGUAGE_CODE = "vi"
    page = client_for(world.user("staff")).get(reverse("core:home")).content.decode()
    assert '<html lang="vi">' in page


def test_language_switch_sets_english(world, client_for, settings):
    settings.LANGUAGE_CODE = "vi"
    client = client_for(world.user("staff"))
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(reverse("core:home")).content.decode()


def test_assets_come_from_installed_packages():
    assert finders.find("thuocdo/css/thuocdo.css")
    assert finders.find("django_htmx/htmx-2.min.js")


def test_404_page_uses_the_layout(world, client_for):
    response = client_for(world.user("staff")).get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and 'class="skip-link"' in page


def test_500_page_renders_without_a_request():
    page = render_to_string("500.html")
    assert "Something went wrong" in page
    assert "thuocdo/css/thuocdo.css" in page


def test_403_page_renders(rf):
    page = render_to_string("403.html", {"request": rf.get("/")})
    assert "Access denied" in page


def test_403_page_says_the_reason_a_service_gave(rf):
    """A view that turns a service's refusal into a 403 passes its message: the page shows
    it (escaped) instead of the general sentence."""
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get("/")
    response = permission_denied(request, PermissionDenied("Chỉ trưởng đơn vị <b>duyệt</b>."))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Chỉ trưởng đơn vị &lt;b&gt;duyệt&lt;/b&gt;." in page
    assert "Your account may not do this." not in page
    assert "Your account may not do this." in permission_denied(
        request, PermissionDenied()).content.decode()


def test_a_form_posted_without_csrf_gets_a_friendly_page(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()


def test_every_page_has_the_ruler_icon(world, client_for):
    """The icon is one of our static files (no 404 for it on every page): linked from the
    layout, served by WhiteNoise, and /favicon.ico leads to it for browsers that ask."""
    assert finders.find("thuocdo/favicon.svg")
    for user in (None, world.user("staff")):
        client = client_for(user)
        page = client.get(reverse("accounts:login") if user is None
                          else reverse("core:home")).content.decode()
        assert '<link rel="icon" href="/static/thuocdo/favicon.svg" type="image/svg+xml">' \
            in page
    response = client_for(None).get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/thuocdo/favicon.svg"
    icon = client_for(None).get("/static/thuocdo/favicon.svg")
    assert icon.status_code == 200 and icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


def test_the_overdue_counter_and_the_list_count_the_same_work(world, client_for, monkeypatch):
    """The head holds one task past its deadline (guidance asked of him) and reviews one
    handed in late: the counter says 1 overdue, the list marks 1, and both say what they
    count (work held past its deadline; reviews are not included)."""
    import datetime as dt

    from django.utils import timezone

    from thuocdo.tasks import services

    tz = timezone.get_fixed_timezone(7 * 60)
    product = services.product_create(code="BC", name="Báo cáo", coefficient=1)

    def at(day):
        return dt.datetime(2026, 10, day, 9, 0, tzinfo=tz)

    def task(code):
        made = services.task_assign(
            assigned_by=world.officials["CG.HEAD"], title=f"Việc {code}", product=product,
            lead_unit=world.units["HN.CG.VP"], lead_official=world.officials["CG.STAFF"],
            due=dt.date(2026, 10, 9), code=code, at=at(1), allow_past_due=True)
        services.task_act(task=made, kind="accept", actor=world.officials["CG.STAFF"],
                          at=at(2))
        return made

    services.task_act(task=task("ASKED"), kind="guidance_request",
                      actor=world.officials["CG.STAFF"], at=at(5),
                      data={"to_official": "CG.HEAD", "question": "?"})
    services.task_act(task=task("REVIEW"), kind="submit", actor=world.officials["CG.STAFF"],
                      at=at(12))
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    response = client_for(world.user("head")).get(reverse("core:home"))
    marked = [t.code for t in response.context["urgent"] if getattr(t, "workdays_overdue", 0)]
    assert marked == ["ASKED"]
    assert response.context["my_work_counts"]["overdue"] == len(marked) == 1
    page = response.content.decode()
    assert page.count("urgent-list__item--overdue") == 1
    assert "overdue in your hands (reviews not included)" in page
    assert "products submitted to you for review are not counted as overdue" in page
    assert "Handed in after the deadline, waiting for your review" in page


def test_a_form_s_address_opened_as_a_page_says_so_in_the_site_s_page(world, client_for):
    """Reloaded, opened in a new tab, or the language switched on a refused form's page:
    Django's 405 had an empty body, which the browser showed as its own bare error. The
    site's page says what happened, with a way back into the site (never out of it); the
    status and the Allow header stay (the API's 405 stays JSON: test_api)."""
    client = client_for(world.user("staff"))
    url = reverse("tasks:task_act", kwargs={"kind": "accept", "code": "ANY"})
    response = client.get(url, HTTP_REFERER="http://testserver/tasks/task/ANY/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    page = response.content.decode()
    assert "This address takes a form" in page and 'class="skip-link"' in page
    assert 'href="http://testserver/tasks/task/ANY/"' in page
    outside = client.get(url, HTTP_REFERER="https://elsewhere.example/").content.decode()
    assert "elsewhere.example" not in outside and "Back to the previous page" not in outside
    itself = client.get(url, HTTP_REFERER=f"http://testserver{url}").content.decode()
    assert "Back to the previous page" not in itself


def test_the_language_switch_on_a_refused_form_s_page_goes_back_to_where_it_was_sent(
        world, client_for):
    """A refused form is shown at the form's address (a POST): switching the language
    there went to that address, a 405. It goes back to the page the form was sent from."""
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().post("/tasks/act/accept/T1/",
                                    HTTP_REFERER="http://testserver/tasks/task/T1/")
    html = Template('{% include "includes/language_switch.html" %}').render(
        Context({"request": request}))
    assert 'name="next" value="http://testserver/tasks/task/T1/"' in html
    page = RequestFactory().get("/tasks/task/T1/?tab=log")
    html = Template('{% include "includes/language_switch.html" %}').render(
        Context({"request": page}))
    assert 'name="next" value="/tasks/task/T1/?tab=log"' in html


def test_the_portal_s_error_pages_lead_back_to_the_portal(db, client):
    """A citizen has no account: a page of the portal not found, or a form's address
    reloaded there, led to the staff's home and its login."""
    client.cookies["django_language"] = "en"
    missing = client.get("/phan-anh/no-such-page/")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert 'href="/phan-anh/"' in page and "your account" not in page
    reloaded = client.get(reverse("portal:rate"))
    assert reloaded.status_code == 405
    assert 'href="/phan-anh/"' in reloaded.content.decode()
