"""The city generator: deterministic, well-formed, realistic, growing with N."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from thuocdo.exchange.generate import DIRECTIVE_24, FORMAT, Shape, generate_city


@pytest.fixture(scope="module")
def city() -> dict:
    return generate_city(officials=5_000, seed=7)


def test_same_seed_gives_the_same_city():
    """A seed fixes the whole document; another seed gives other people."""
    assert generate_city(officials=400, seed=1) == generate_city(officials=400, seed=1)
    assert (generate_city(officials=400, seed=1)["officials"]
            != generate_city(officials=400, seed=2)["officials"])


def test_document_has_the_format_and_the_built_keys(city):
    assert city["format"] == FORMAT
    assert set(city) == {"format", "units", "task_groups", "officials", "products",
                         "directives"}


def test_exactly_the_requested_number_of_officials(city):
    assert len(city["officials"]) == 5_000
    assert len(generate_city(officials=123, seed=0)["officials"]) == 123


def test_every_unit_has_exactly_one_head(city):
    heads = Counter(o["unit"] for o in city["officials"] if o["position"] == "head")
    assert set(heads) == {u["code"] for u in city["units"]}
    assert set(heads.values()) == {1}


def test_bigger_units_have_one_to_three_deputies(city):
    sizes = Counter(o["unit"] for o in city["officials"])
    deputies = Counter(o["unit"] for o in city["officials"] if o["position"] == "deputy")
    assert max(deputies.values()) <= 3
    for unit, size in sizes.items():
        if size >= 15:
            assert 1 <= deputies[unit] <= 3, unit


def test_codes_and_emails_are_unique(city):
    for key in ("units", "task_groups", "officials", "products", "directives"):
        codes = [record["code"] for record in city[key]]
        assert len(codes) == len(set(codes)), key
    emails = [o["email"] for o in city["officials"]]
    assert len(emails) == len(set(emails))
    assert city["officials"][0]["code"] == "CB000001"


def test_every_reference_resolves(city):
    units = {u["code"] for u in city["units"]}
    groups = {g["code"] for g in city["task_groups"]}
    directives = {d["code"] for d in city["directives"]}
    roots = [u for u in city["units"] if u["parent"] is None]
    assert [u["code"] for u in roots] == ["HN"]
    seen = set()
    for unit in city["units"]:  # parents come before their children
        assert unit["parent"] is None or unit["parent"] in seen
        seen.add(unit["code"])
    for official in city["officials"]:
        assert official["unit"] in units
        assert official["task_group"] in groups
    for directive in city["directives"]:
        assert directive["issued_by"] in units
        assert directive.get("answers") in directives | {None}


def test_codes_are_hierarchical(city):
    for unit in city["units"]:
        if unit["parent"]:
            assert unit["code"].startswith(unit["parent"] + ".")
    codes = {u["code"] for u in city["units"]}
    assert {"HN", "HN.SNV", "HN.SNV.P01", "HN.Q01", "HN.Q01.P03"} <= codes


def test_unit_kinds_and_names_fit_the_tree(city):
    by_code = {u["code"]: u for u in city["units"]}
    for unit in city["units"]:
        parent = by_code.get(unit["parent"])
        if unit["kind"] == "city":
            assert unit["name"] == "UBND Thành phố Hà Nội"
        elif unit["kind"] in {"department", "district"}:
            assert parent["kind"] == "city"
        elif unit["kind"] == "commune":
            assert parent["kind"] == "district"
            assert unit["name"].split()[1] in {"phường", "xã", "thị"}
        else:
            assert unit["kind"] == "division"
            assert parent["kind"] in {"department", "district"}


def test_leaders_are_in_the_leadership_group_and_staff_fit_their_unit(city):
    by_code = {u["code"]: u for u in city["units"]}
    for official in city["officials"]:
        if official["position"] in {"head", "deputy"}:
            assert official["task_group"] == "LD"
        elif by_code[official["unit"]]["name"].startswith("Thanh tra"):
            assert official["task_group"] == "TT"


def test_names_are_vietnamese():
    from faker.providers.person.vi_VN import Provider

    document = generate_city(officials=300, seed=0)
    for official in document["officials"]:
        last, *_middle, first = official["name"].split()
        assert last in Provider.last_names
        assert first in (*Provider.first_names_male, *Provider.first_names_female,
                         *Provider.first_names_unisex)


def test_directive_24_and_the_plans_that_answer_it(city):
    directives = {d["code"]: d for d in city["directives"]}
    assert directives[DIRECTIVE_24]["issued_by"] == "HN"
    assert directives[DIRECTIVE_24]["issued_on"] == "2023-08-07"
    plans = [d for d in city["directives"] if d.get("answers") == DIRECTIVE_24]
    assert any(d["issued_by"].startswith("HN.Q") for d in plans)


def test_every_unit_answers_the_directive_above_it_within_weeks(city):
    """Each unit but the city carries out the directive of the unit above it (the city's
    24-CT/TU, a department's or district's plan) with its own plan, a plausible number of
    working days later, most within five weeks: the cascade of a directive never shows a
    unit answering years later with the first task of the generated history."""

    from thuocdo.measure.calendar import WorkCalendar

    calendar = WorkCalendar.vietnam([2023, 2024])
    units = {u["code"]: u for u in city["units"]}
    plans = {d["issued_by"]: d for d in city["directives"] if d.get("answers")}
    directives = {d["code"]: d for d in city["directives"]}
    assert set(plans) == set(units) - {"HN"}
    days = []
    for unit, plan in plans.items():
        above = directives[plan["answers"]]
        assert above["issued_by"] == units[unit]["parent"]
        days.append(calendar.workdays_between(dt.date.fromisoformat(above["issued_on"]),
                                              dt.date.fromisoformat(plan["issued_on"])))
    assert min(days) >= 5 and max(days) <= 60
    assert sum(d <= 25 for d in days) > 0.7 * len(days)


def test_products_have_positive_coefficients(city):
    names = {p["name"] for p in city["products"]}
    assert {"Báo cáo", "Tờ trình", "Kế hoạch", "Công văn"} <= names
    assert all(p["coefficient"] > 0 for p in city["products"])


@pytest.mark.parametrize(("small", "big"), [(300, 5_000), (5_000, 100_000)])
def test_sizes_scale_with_the_number_of_officials(small, big):
    a, b = Shape.for_officials(small), Shape.for_officials(big)
    assert a.units < b.units
    assert a.departments <= b.departments and a.districts <= b.districts
    assert a.communes <= b.communes


def test_shape_of_a_few_hundred_and_of_a_hundred_thousand():
    few, many = Shape.for_officials(300), Shape.for_officials(100_000)
    assert 3 <= few.departments <= 6 and 2 <= few.districts <= 5
    assert many.departments >= 20 and many.districts == 30
    assert many.districts * many.communes >= 300


def test_tiny_cities_still_have_a_head_everywhere():
    for n in (6, 7, 20, 60):
        document = generate_city(officials=n, seed=0)
        heads = [o for o in document["officials"] if o["position"] == "head"]
        assert len(heads) == len(document["units"]) <= n
    with pytest.raises(ValueError, match="at least"):
        generate_city(officials=5)


@pytest.mark.django_db
def test_the_exchange_validator_accepts_the_city():
    """The generated document is one the importer would take as it is."""
    validation = pytest.importorskip("thuocdo.exchange.validation")
    problems = validation.validate_document(generate_city(officials=1_000, seed=3))
    assert problems == []


def test_given_name_is_not_the_middle_name_again(city):
    for official in city["officials"]:
        words = official["name"].split()
        assert words[-1] != words[-2], official["name"]
