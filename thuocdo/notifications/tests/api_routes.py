"""Permission specs of the notifications API (see thuocdo.core.testing.RouteSpec).

Every logged-in user has an inbox (empty without an official); a notification is marked
read only by its recipient (CG.STAFF: the "staff" role): anyone else gets 404.
"""

from thuocdo.core.testing import ROLES, RouteSpec, api_expect

NOT_ALLOWED = {role: 403 if role == "anonymous" else 405 for role in ROLES}


def staff_notification(world):
    from thuocdo.notifications.tests.helpers import notification_for

    return {"notification_id": notification_for(world, "CG.STAFF").pk}


ROUTES = {
    "api:notification-list": [
        RouteSpec(expect=api_expect("all")),
        RouteSpec(expect=api_expect("all"), query="unread=true"),
        RouteSpec(expect=api_expect("all", ok=400, denied=400), query="unread=maybe",
                  note="a bad filter value is a 400"),
        RouteSpec(method="post", expect=NOT_ALLOWED),
    ],
    "api:notification-read": [
        RouteSpec(method="post", kwargs=staff_notification, expect=api_expect({"staff"})),
        RouteSpec(kwargs=staff_notification, expect=NOT_ALLOWED, note="POST only"),
    ],
    "api:notification-read-all": [
        RouteSpec(method="post", expect=api_expect("all")),
        RouteSpec(expect=NOT_ALLOWED, note="POST only"),
    ],
}
