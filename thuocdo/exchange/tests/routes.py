"""Permission specs of the exchange pages (see thuocdo.core.testing.RouteSpec).

Import is for administrators only, and so is the export of the whole installation; a
unit's part is exported by whoever reads it whole (its leaders, the board, inspectors granted
it: HN.CG in the test world), not by staff (thuocdo.exchange.selectors says why). Refused
roles get 403 with the reason, anonymous the login page.
"""

from thuocdo.core.testing import RouteSpec, page_expect

ADMIN = {"admin"}
#: Those who read HN.CG whole in the test world.
READERS = {"admin", "board", "inspector", "head", "deputy"}

ROUTES = {
    "exchange:import": [
        RouteSpec(expect=page_expect(ADMIN, denied=403)),
        RouteSpec(method="post", data=lambda world: {"on": "01/06/2026"},
                  expect=page_expect(ADMIN, ok=400, denied=403),
                  note="no file: the form says so, nothing is checked or written"),
    ],
    "exchange:import_confirm": [
        RouteSpec(method="post", data=lambda world: {"token": "not-a-token"},
                  expect=page_expect(ADMIN, ok=400, denied=403),
                  note="no sound token and no file: back to the upload form, nothing written"),
    ],
    "exchange:export": [
        RouteSpec(expect=page_expect(READERS, denied=403)),
    ],
    "exchange:export_download": [
        RouteSpec(expect=page_expect(ADMIN, denied=403), query="format=json",
                  note="the whole installation"),
        RouteSpec(expect=page_expect(ADMIN, denied=403), query="format=xlsx"),
        RouteSpec(expect=page_expect(READERS, denied=403), query="format=json&unit=HN.CG"),
        RouteSpec(expect=page_expect(READERS, denied=403),
                  query="format=xlsx&unit=HN.CG.VP&period=2026-10"),
        RouteSpec(expect=page_expect(ADMIN, denied=403), query="format=json&unit=HN.BD",
                  note="a unit outside the caller's subtree"),
        RouteSpec(expect=page_expect(READERS, ok=400, denied=403),
                  query="format=csv&unit=HN.CG",
                  note="an unknown format: the page says so"),
    ],
}
