"""Permission specs of core's and accounts' pages (see thuocdo.core.testing.RouteSpec)."""

from thuocdo.core.testing import ROLES, RouteSpec, page_expect

ROUTES = {
    "core:home": [RouteSpec(expect=page_expect("all"))],
    "core:favicon": [RouteSpec(expect=dict.fromkeys(ROLES, 302),
                               note="a redirect to the static icon, for everyone")],
    # Django's admin: administrators only; everyone else is sent to the admin login page.
    "admin:index": [RouteSpec(expect={role: 200 if role == "admin" else 302 for role in ROLES})],
}
