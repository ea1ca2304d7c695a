"""Permission specs of the exchange API (see thuocdo.core.testing.RouteSpec)."""

from thuocdo.core.testing import ROLES, RouteSpec, api_expect

ROUTES = {
    # The format is public knowledge inside the system: every logged-in user may read it.
    "api:exchange-schema": [
        RouteSpec(expect=api_expect("all")),
        RouteSpec(method="post", expect={r: 403 if r == "anonymous" else 405 for r in ROLES}),
    ],
}
