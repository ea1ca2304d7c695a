"""Permission specs of the exchange API (see thuocdo.core.testing.RouteSpec)."""

from thuocdo.core.testing import ROLES, RouteSpec, api_expect

#: Those who read HN.CG whole in the test world (thuocdo.exchange.selectors).
READERS = {"admin", "board", "inspector", "head", "deputy"}

ROUTES = {
    # The format is public knowledge inside the system: every logged-in user may read it.
    "api:exchange-schema": [
        RouteSpec(expect=api_expect("all")),
        RouteSpec(method="post", expect={r: 403 if r == "anonymous" else 405 for r in ROLES}),
    ],
    # The whole installation for administrators; a unit's part for whoever reads it whole.
    "api:exchange-export": [
        RouteSpec(expect=api_expect({"admin"}, denied=403)),
        RouteSpec(expect=api_expect(READERS, denied=403), query="unit=HN.CG&period=2026-10"),
        RouteSpec(expect=api_expect({"admin"}, denied=403), query="unit=HN.BD"),
        RouteSpec(method="post", expect={r: 403 if r == "anonymous" else 405 for r in ROLES}),
    ],
}
