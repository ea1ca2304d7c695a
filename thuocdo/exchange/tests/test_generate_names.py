"""Names of the generated city, compared as people read them (`fold`: tones, case and spaces
do not count): unit names unique within their parent, commune names (Hà Nội's) unique within
the city, officials' full names unique within their unit; the demo keeps its logins."""

from __future__ import annotations

from collections import Counter

import pytest

from thuocdo.core.management.commands.demo import DEMO_SEED, demo_accounts
from thuocdo.core.text import fold
from thuocdo.exchange import generate
from thuocdo.exchange.generate import generate_city

#: a city big enough for every department, division and district, with 20 communes each
FULL = 100_000


def twins(document: dict) -> list[tuple[str, str]]:
    """(parent, folded name) of every name given to two children of one parent."""
    names = Counter((u["parent"], fold(u["name"])) for u in document["units"])
    return [key for key, count in names.items() if count > 1]


@pytest.mark.parametrize("seed", [0, 7])
def test_no_two_children_of_a_unit_share_a_name(seed):
    assert twins(generate_city(officials=FULL, seed=seed)) == []


def communes(document: dict) -> list[str]:
    """The place name of every commune ("UBND phường Ngọc Hà" → "Ngọc Hà")."""
    return [place(u["name"]) for u in document["units"] if u["kind"] == "commune"]


def place(name: str) -> str:
    for prefix in ("UBND phường ", "UBND xã ", "UBND thị trấn "):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    raise AssertionError(name)


@pytest.mark.parametrize(("officials", "seed"), [(300, DEMO_SEED), (5000, 0), (FULL, 7)])
def test_no_two_communes_of_the_city_share_a_name(officials, seed):
    """Not even under two districts: a user who reads "UBND phường X" knows which it is."""
    names = Counter(fold(name) for name in communes(generate_city(officials=officials,
                                                                  seed=seed)))
    assert names and [name for name, count in names.items() if count > 1] == []


def test_the_communes_bear_names_of_hanoi_of_their_own_district():
    """Hà Nội's wards and communes, the district's own first, never Faker's streets (Hồ Chí
    Minh City's); a town (thị trấn) first in a rural district."""
    city = generate_city(officials=5000, seed=0)
    districts = {u["code"]: u["name"] for u in city["units"] if u["kind"] == "district"}
    hanoi = {fold(name) for names in generate.DISTRICT_PLACES.values()
             for name in generate._split(names)}
    hanoi |= {fold(name) for name in generate._split(generate.SPARE_PLACES)}
    assert {fold(name) for name in communes(city)} <= hanoi
    first = {u["parent"]: u["name"] for u in reversed(city["units"]) if u["kind"] == "commune"}
    assert first["HN.Q01"] == "UBND phường Ngọc Hà"  # Ba Đình
    assert first["HN.Q02"] == "UBND phường Tràng Tiền"  # Hoàn Kiếm
    assert first["HN.H01"] == "UBND thị trấn Sóc Sơn"
    assert districts["HN.H01"] == "UBND huyện Sóc Sơn"


def test_a_city_bigger_than_hanoi_numbers_its_last_communes_once():
    """A city with more communes than Hà Nội's names numbers the rest across the city."""
    numbered = [name for name in communes(generate_city(officials=FULL, seed=0))
                if name.isdigit()]
    assert numbered == [str(n) for n in range(1, len(numbered) + 1)]


@pytest.mark.parametrize(("officials", "seed"), [(300, DEMO_SEED), (5000, 0), (FULL, 7)])
def test_no_two_officials_of_a_unit_share_a_full_name(officials, seed):
    city = generate_city(officials=officials, seed=seed)
    names = Counter((o["unit"], fold(o["name"])) for o in city["officials"])
    assert [key for key, count in names.items() if count > 1] == []


def test_the_demo_logins_and_the_city_stay_the_same():
    """Unique names are made by drawing again from a spare stream: the city's own draws do
    not move, so the demo's logins, the units and every official's code, unit and position
    stay as they were; only a unit's second "Bùi Thị Mai" is another person."""
    city = generate_city(officials=300, seed=DEMO_SEED)
    logins = {a.role: (a.email, a.official_code, a.official_name) for a in demo_accounts(city)}
    assert logins == {
        "admin": ("admin@hanoi.gov.example", "", ""),
        "board": ("tochuc@hanoi.gov.example", "CB000030", "Hoàng Hải Vi"),
        "inspector": ("thanhtra@hanoi.gov.example", "CB000090", "Hoàng Bảo Chi"),
        "head": ("dungnb2@hanoi.gov.example", "CB000127", "Nguyễn Bảo Dũng"),
        "deputy": ("ngocpt@hanoi.gov.example", "CB000128", "Phạm Thị Ngọc"),
        "staff": ("maibt@hanoi.gov.example", "CB000135", "Bùi Thị Mai"),
    }
    assert [o["name"] for o in city["officials"] if o["unit"] == "HN.Q01.P01"].count(
        "Bùi Thị Mai") == 1
    assert city == generate_city(officials=300, seed=DEMO_SEED)
