"""Permission specs of the inbox pages (see thuocdo.core.testing.RouteSpec).

Everyone logged in has an inbox (empty, with an explanation, without an official); a
notification is opened only by its recipient (CG.STAFF here: the "staff" role), anyone else
gets 404. Opening redirects to the task (302).
"""

from thuocdo.core.testing import RouteSpec, page_expect


def staff_notification(world):
    from thuocdo.notifications.tests.helpers import notification_for

    return {"pk": notification_for(world, "CG.STAFF").pk}


ROUTES = {
    "notifications:inbox": [
        RouteSpec(expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"), query="show=unread&page=2", note="filter, paging"),
    ],
    "notifications:mark_all_read": [
        RouteSpec(method="post", expect=page_expect("all", ok=302)),
        RouteSpec(expect=page_expect("all", ok=405, denied=405), note="POST only"),
    ],
    "notifications:open": [
        RouteSpec(kwargs=staff_notification, expect=page_expect({"staff"}, ok=302)),
    ],
}
