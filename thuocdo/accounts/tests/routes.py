"""Permission specs of the accounts pages."""

from thuocdo.core.testing import ROLES, RouteSpec, page_expect

ROUTES = {
    # The login page is public; a logged-in user is sent on to the home page.
    "accounts:login": [RouteSpec(expect={r: 200 if r == "anonymous" else 302 for r in ROLES})],
    # Logging out is a POST (Django 5): everyone is redirected to the login page.
    "accounts:logout": [RouteSpec(method="post", expect=dict.fromkeys(ROLES, 302))],
    "accounts:password_change": [RouteSpec(expect=page_expect("all"))],
    "accounts:password_change_done": [RouteSpec(expect=page_expect("all"))],
}
