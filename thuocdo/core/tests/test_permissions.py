"""The permission matrix: every route, every role, discovered from the URL configuration.

A route nobody declared fails `test_every_route_is_declared`, so a new page or endpoint
cannot ship without saying who may use it. Declarations live in each app's
`tests/routes.py` (pages) or `tests/api_routes.py` (API) (see `thuocdo.core.testing.RouteSpec`).
"""

from __future__ import annotations

import importlib
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from thuocdo.core.testing import ROLES, RouteSpec

#: Routes that are not ours to declare: Django's admin (guarded by Django itself, checked by
#: the spec for admin:index) and the language switch (POST-only, no data behind it).
IGNORED_NAMESPACES = {"admin"}
IGNORED_ROUTES = {"set_language"}


def discover_routes() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                if namespace and pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}"
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return {
        name for name in names
        if name.split(":")[0] not in IGNORED_NAMESPACES and name not in IGNORED_ROUTES
    }


def declared_routes() -> dict[str, list[RouteSpec]]:
    declared: dict[str, list[RouteSpec]] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("thuocdo."):
            continue
        for module_name in ("routes", "api_routes"):
            try:
                module = importlib.import_module(f"{config.name}.tests.{module_name}")
            except ModuleNotFoundError:
                continue
            for name, specs in module.ROUTES.items():
                declared.setdefault(name, []).extend(specs)
    return declared


DECLARED = declared_routes()
CASES = [
    pytest.param(name, index, role, id=f"{name}[{index}]-{role}")
    for name, specs in sorted(DECLARED.items())
    for index, _spec in enumerate(specs)
    for role in ROLES
]


def test_every_route_is_declared():
    missing = discover_routes() - set(DECLARED)
    assert not missing, f"routes with no permission spec in any tests/routes.py: {sorted(missing)}"


def test_no_stale_declarations():
    stale = set(DECLARED) - discover_routes() - {"admin:index"}
    assert not stale, f"declared routes that do not exist: {sorted(stale)}"


def test_every_spec_names_every_role():
    for name, specs in DECLARED.items():
        for spec in specs:
            assert set(spec.expect) == set(ROLES), f"{name}: expect must name {ROLES}"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "index", "role"), CASES)
def test_route_answers_role(world, client_for, name, index, role):
    spec = DECLARED[name][index]
    kwargs = spec.kwargs(world) if callable(spec.kwargs) else {}
    url = reverse(name, kwargs=kwargs)
    if spec.query:
        url = f"{url}?{spec.query}"
    client = client_for(world.user(role) if role != "anonymous" else None)
    data = spec.data(world) if callable(spec.data) else None
    if spec.method == "get":
        response = client.get(url)
    else:
        response = getattr(client, spec.method)(
            url, data=urlencode(data or {}), content_type="application/x-www-form-urlencoded"
        )
    expected = spec.expect[role]
    assert response.status_code == expected, (
        f"{spec.method.upper()} {url} as {role}: {response.status_code}, expected {expected}"
        + (f" ({spec.note})" if spec.note else "")
    )
