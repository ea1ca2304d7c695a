"""Permission specs of the organisation's API (see thuocdo.core.testing.RouteSpec).

Scopes in the test world: board, inspector, head and deputy read the subtree of HN.CG;
staff (CG.STAFF) read their own unit HN.CG.VP; the outsider (BD.STAFF) reads HN.BD.VP.
Anonymous callers get 403 (session authentication comes first). Every endpoint is GET-only:
other methods get 405 for every logged-in role (anonymous: 403, checked first).
"""

from thuocdo.core.testing import ROLES, RouteSpec, api_expect

CG_READERS = {"admin", "board", "inspector", "head", "deputy"}
NOT_ALLOWED = {role: 403 if role == "anonymous" else 405 for role in ROLES}


def unit(code):
    return lambda world: {"code": code}


official = unit

ROUTES = {
    "api:unit-list": [
        RouteSpec(expect=api_expect("all"), note="each role gets its own scope's units"),
        RouteSpec(expect=api_expect("all"), query="kind=division&search=van+phong"),
        RouteSpec(method="post", expect=NOT_ALLOWED, note="read-only API"),
    ],
    "api:unit-detail": [
        RouteSpec(kwargs=unit("HN.CG.VP"), expect=api_expect(CG_READERS | {"staff"}),
                  note="inside staff's scope"),
        RouteSpec(kwargs=unit("HN.CG"), expect=api_expect(CG_READERS),
                  note="staff read their unit, not the district above it"),
        RouteSpec(kwargs=unit("HN.BD.VP"), expect=api_expect({"admin", "outsider"}),
                  note="outside staff's scope"),
        RouteSpec(kwargs=unit("HN.NOPE"), expect=api_expect(set())),
        RouteSpec(kwargs=unit("HN.CG.VP"), method="put", expect=NOT_ALLOWED),
        RouteSpec(kwargs=unit("HN.CG.VP"), method="delete", expect=NOT_ALLOWED),
    ],
    "api:unit-children": [
        RouteSpec(kwargs=unit("HN.CG"), expect=api_expect(CG_READERS)),
        RouteSpec(kwargs=unit("HN.CG.VP"), expect=api_expect(CG_READERS | {"staff"})),
        RouteSpec(kwargs=unit("HN.SNV"), expect=api_expect({"admin"})),
    ],
    "api:unit-members": [
        RouteSpec(kwargs=unit("HN.CG.VP"), expect=api_expect(CG_READERS | {"staff"})),
        RouteSpec(kwargs=unit("HN.BD.VP"), expect=api_expect({"admin", "outsider"})),
    ],
    "api:official-list": [
        RouteSpec(expect=api_expect("all"), note="each role gets its own scope's officials"),
        RouteSpec(expect=api_expect("all"),
                  query="search=nguyen+van+duc&position=head&active=all&ordering=-name"),
        RouteSpec(expect=api_expect({"admin", "board", "inspector", "head", "deputy"},
                                    denied=400),
                  query="unit=HN.CG", note="a unit outside the scope is an unknown unit"),
        RouteSpec(method="post", expect=NOT_ALLOWED),
    ],
    "api:official-detail": [
        RouteSpec(kwargs=official("CG.STAFF2"), expect=api_expect(CG_READERS | {"staff"}),
                  note="a colleague in staff's unit"),
        RouteSpec(kwargs=official("DV.HEAD"), expect=api_expect(CG_READERS),
                  note="outside staff's scope, inside the district's"),
        RouteSpec(kwargs=official("BD.STAFF"), expect=api_expect({"admin", "outsider"}),
                  note="outside the district; the outsider reads themself"),
        RouteSpec(kwargs=official("CG.STAFF2"), method="put", expect=NOT_ALLOWED),
        RouteSpec(kwargs=official("CG.STAFF2"), method="delete", expect=NOT_ALLOWED),
    ],
    "api:official-memberships": [
        RouteSpec(kwargs=official("CG.STAFF"), expect=api_expect(CG_READERS | {"staff"})),
        RouteSpec(kwargs=official("BD.STAFF"), expect=api_expect({"admin", "outsider"})),
    ],
    "api:task-group-list": [
        RouteSpec(expect=api_expect("all"), note="a catalogue: every logged-in user"),
        RouteSpec(method="post", expect=NOT_ALLOWED),
    ],
}
