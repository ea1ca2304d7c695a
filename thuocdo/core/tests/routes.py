"""Permission specs of core's and accounts' pages (see thuocdo.core.testing.RouteSpec)."""

from thuocdo.core.testing import ROLES, RouteSpec, page_expect

ROUTES = {
    "core:home": [RouteSpec(expect=page_expect("all"))],
    # Django's admin: administrators only; everyone else is sent to the admin login page.
    "admin:index": [RouteSpec(expect={role: 200 if role == "admin" else 302 for role in ROLES})],
}
