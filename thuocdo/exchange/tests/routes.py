"""Permission specs of the exchange pages (see thuocdo.core.testing.RouteSpec).

Import and export are for administrators only (thuocdo.exchange.selectors says why):
every other role gets 403 with the reason, anonymous the login page.
"""

from thuocdo.core.testing import RouteSpec, page_expect

ADMIN = {"admin"}

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
        RouteSpec(expect=page_expect(ADMIN, denied=403)),
    ],
    "exchange:export_download": [
        RouteSpec(expect=page_expect(ADMIN, denied=403), query="format=json"),
        RouteSpec(expect=page_expect(ADMIN, denied=403), query="format=xlsx"),
        RouteSpec(expect=page_expect(ADMIN, ok=400, denied=403), query="format=csv",
                  note="an unknown format: the page says so"),
    ],
}
