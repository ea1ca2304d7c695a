"""Permission specs of the organisation pages (see thuocdo.core.testing.RouteSpec).

Units: HN.CG.VP is read by everyone around Cầu Giấy (its staff included) and not by the
outsider; HN.BD.VP only by the administrator and the outsider who works there.
"""

from thuocdo.core.testing import ROLES, RouteSpec, page_expect

CG_SIDE = {"admin", "board", "inspector", "head", "deputy", "staff"}
BD_SIDE = {"admin", "outsider"}


def unit(code):
    return lambda world: {"code": code}


def official(code):
    return lambda world: {"code": code}


ROUTES = {
    "org:unit_tree": [
        RouteSpec(expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"), query="q=cau+giay", note="search"),
    ],
    "org:unit_detail": [
        RouteSpec(kwargs=unit("HN.CG.VP"), expect=page_expect(CG_SIDE)),
        RouteSpec(kwargs=unit("HN.BD.VP"), expect=page_expect(BD_SIDE)),
        RouteSpec(kwargs=unit("HN.CG.DV"), expect=page_expect(CG_SIDE - {"staff"}),
                  note="a sub-unit staff of HN.CG.VP do not belong to"),
    ],
    # Tree nodes answer htmx; a plain visit is redirected to the unit page (302).
    "org:unit_node": [
        RouteSpec(kwargs=unit("HN.CG.VP"), expect=page_expect(CG_SIDE, ok=302)),
        RouteSpec(kwargs=unit("HN.BD.VP"), expect=page_expect(BD_SIDE, ok=302)),
    ],
    "org:official_list": [
        RouteSpec(expect=page_expect("all")),
        RouteSpec(expect=page_expect("all"), query="unit=HN.BD.VP&q=giang",
                  note="a unit outside the scope is a form error, never a leak"),
    ],
    "org:official_export": [
        RouteSpec(expect=page_expect("all")),
        RouteSpec(expect=page_expect(set(ROLES) - {"anonymous", "staff", "outsider"},
                                     denied=302),
                  query="unit=HN.CG&status=all",
                  note="a unit the reader cannot see exports nothing: back to the list"),
    ],
    "org:official_detail": [
        RouteSpec(kwargs=official("CG.STAFF2"), expect=page_expect(CG_SIDE)),
        RouteSpec(kwargs=official("BD.STAFF"), expect=page_expect(BD_SIDE)),
        RouteSpec(kwargs=official("DV.HEAD"), expect=page_expect(CG_SIDE - {"staff"})),
    ],
}
