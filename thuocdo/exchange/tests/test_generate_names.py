"""Unit names of the generated city are unique within their parent, compared as people read
them (`fold`: tones, case and spaces do not count), whatever Faker's place names hold; the
city keeps its size and shape."""

from __future__ import annotations

from collections import Counter

import pytest

from thuocdo.core.text import fold
from thuocdo.exchange import generate
from thuocdo.exchange.generate import Shape, generate_city

#: a city big enough for every department, division and district, with 20 communes each
FULL = 100_000


def twins(document: dict) -> list[tuple[str, str]]:
    """(parent, folded name) of every name given to two children of one parent."""
    names = Counter((u["parent"], fold(u["name"])) for u in document["units"])
    return [key for key, count in names.items() if count > 1]


def shape(document: dict) -> list[tuple]:
    return [(u["code"], u["kind"], u["parent"]) for u in document["units"]]


@pytest.mark.parametrize("seed", [0, 7])
def test_no_two_children_of_a_unit_share_a_name(seed):
    assert twins(generate_city(officials=FULL, seed=seed)) == []


def test_two_spellings_of_one_place_never_name_two_communes_of_a_district(monkeypatch):
    """Faker's lists may hold one place twice ("Hòa Bình" and "Hoà Bình", "An  Phú"): it is
    drawn once per district, and when the places run out the communes are numbered. The
    same seed gives the same city, with the units and officials of the city built from
    Faker's own lists."""
    reference = generate_city(officials=FULL, seed=3)
    monkeypatch.setattr(generate.AddressProvider, "communes",
                        ("Hòa Bình", "Hoà Bình", "An  Phú", "Phường 5"))
    monkeypatch.setattr(generate.AddressProvider, "streets", ("An Phú", "HÒA BÌNH", "Tân An"))
    city = generate_city(officials=FULL, seed=3)
    assert twins(city) == []
    district = [u["name"] for u in city["units"] if u["parent"] == "HN.Q01"
                and u["kind"] == "commune"]
    assert len(district) == Shape.for_officials(FULL).communes == 20
    assert {fold(n) for n in district} == {
        "ubnd phuong hoa binh", "ubnd phuong an phu", "ubnd phuong tan an",
        *(f"ubnd phuong {n}" for n in range(1, 18))}
    assert city == generate_city(officials=FULL, seed=3)
    assert shape(city) == shape(reference)
    assert ([(o["unit"], o["position"]) for o in city["officials"]]
            == [(o["unit"], o["position"]) for o in reference["officials"]])
