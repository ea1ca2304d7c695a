"""A realistic city in the exchange format, for demos, tests and benchmarks.

`generate_city(officials=N, seed=S)` returns one exchange document (docs/exchange-format.md):
the city (UBND Thành phố Hà Nội), its departments (sở, ban) with their divisions (phòng),
its districts (quận, huyện, thị xã) with their divisions and communes/wards (phường, xã,
thị trấn), task groups, officials (exactly one head per unit, deputies in bigger units,
staff), a product catalogue with conversion coefficients, and Directive 24-CT/TU with the
plans with which every other unit carries out the directive of the unit above it, weeks
(for a few, months) after it.

The structure grows with N: a few hundred officials give a handful of departments and
districts; 100,000 give every department, the 30 districts and ~600 communes. The same
`seed` always gives the same document. Names are composed from Faker's vi_VN name parts
with one `random.Random(seed)`: Faker's own per-call machinery would be ~50x slower, and
100,000 officials must generate in seconds. No two officials of a unit share a full name;
wards and communes bear Hà Nội's names (`DISTRICT_PLACES`), none twice in the city.

`generate_city(..., months=M, start=(2026, 8))` adds M months of task history (`tasks` and
`events`, thuocdo.exchange.generate_history); `write_city(stream, ...)` writes the same
document as JSON without holding the history in memory (a month of a 100,000-official city
is about a million tasks).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import IO

from faker.providers.address.vi_VN import Provider as AddressProvider
from faker.providers.person.vi_VN import Provider as PersonProvider

from thuocdo.core.text import fold
from thuocdo.measure.calendar import WorkCalendar

from .generate_history import DEFAULT_START, HistoryGenerator, iter_history

FORMAT = "thuocdo-exchange/1"
CITY_CODE = "HN"
CITY_NAME = "Hà Nội"
#: `.example` is reserved (RFC 2606): generated addresses can never reach a real mailbox.
EMAIL_DOMAIN = "hanoi.gov.example"
DIRECTIVE_24 = "24-CT/TU"

# -- task groups (nhóm nhiệm vụ tương đồng) ---------------------------------------------

TASK_GROUPS = [
    ("LD", "Lãnh đạo, quản lý"),
    ("TH", "Tổng hợp, tham mưu"),
    ("CM", "Chuyên môn, nghiệp vụ"),
    ("HC", "Hành chính, văn thư"),
    ("TC", "Tài chính, kế toán"),
    ("TT", "Thanh tra, kiểm tra"),
]

# -- product catalogue (sản phẩm and their conversion coefficients) ----------------------

PRODUCTS = [
    ("BC", "Báo cáo", 1.0),
    ("TTR", "Tờ trình", 1.5),
    ("QPPL", "Dự thảo văn bản quy phạm pháp luật", 3.0),
    ("KH", "Kế hoạch", 2.0),
    ("DA", "Đề án", 4.0),
    ("QD", "Quyết định cá biệt", 1.0),
    ("CV", "Công văn", 0.5),
    ("TB", "Thông báo", 0.5),
    ("KLTT", "Kết luận thanh tra, kiểm tra", 3.0),
    ("GQKN", "Văn bản giải quyết khiếu nại, tố cáo", 2.0),
    ("HSTTHC", "Hồ sơ thủ tục hành chính", 0.3),
]

# -- departments (sở, ban ngành) ---------------------------------------------------------
# (code, name, short name used in division names, specialised divisions, their task group)
# Ordered so that a small city still gets a varied handful.

DEPARTMENTS = [
    ("SNV", "Sở Nội vụ", "Sở Nội vụ", "CM", [
        "Phòng Tổ chức, biên chế", "Phòng Công chức, viên chức",
        "Phòng Xây dựng chính quyền và công tác thanh niên", "Phòng Cải cách hành chính",
        "Phòng Thi đua, khen thưởng"]),
    ("STC", "Sở Tài chính", "Sở Tài chính", "TC", [
        "Phòng Quản lý ngân sách", "Phòng Tài chính hành chính sự nghiệp",
        "Phòng Quản lý giá và công sản", "Phòng Tài chính doanh nghiệp",
        "Phòng Tin học và thống kê"]),
    ("TTTP", "Thanh tra Thành phố", "Thanh tra Thành phố", "TT", [
        "Phòng Thanh tra kinh tế - xã hội", "Phòng Giải quyết khiếu nại, tố cáo",
        "Phòng Phòng, chống tham nhũng", "Phòng Giám sát, kiểm tra và xử lý sau thanh tra"]),
    ("SKHDT", "Sở Kế hoạch và Đầu tư", "Sở Kế hoạch và Đầu tư", "CM", [
        "Phòng Tổng hợp, quy hoạch", "Phòng Đăng ký kinh doanh", "Phòng Thẩm định dự án",
        "Phòng Kinh tế đối ngoại", "Phòng Đấu thầu, thẩm định và giám sát đầu tư"]),
    ("VPUB", "Văn phòng UBND Thành phố", "Văn phòng UBND Thành phố", "TH", [
        "Phòng Tổng hợp", "Phòng Kinh tế", "Phòng Đô thị", "Phòng Nội chính",
        "Phòng Kiểm soát thủ tục hành chính"]),
    ("STP", "Sở Tư pháp", "Sở Tư pháp", "CM", [
        "Phòng Xây dựng và kiểm tra văn bản quy phạm pháp luật",
        "Phòng Phổ biến, giáo dục pháp luật", "Phòng Hành chính tư pháp",
        "Phòng Bổ trợ tư pháp"]),
    ("SXD", "Sở Xây dựng", "Sở Xây dựng", "CM", [
        "Phòng Quản lý nhà và thị trường bất động sản", "Phòng Quản lý hoạt động xây dựng",
        "Phòng Kinh tế và vật liệu xây dựng", "Phòng Hạ tầng kỹ thuật"]),
    ("STNMT", "Sở Tài nguyên và Môi trường", "Sở Tài nguyên và Môi trường", "CM", [
        "Phòng Đất đai", "Phòng Quản lý môi trường", "Phòng Tài nguyên nước",
        "Phòng Đo đạc, bản đồ và viễn thám"]),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "Sở Giáo dục và Đào tạo", "CM", [
        "Phòng Giáo dục mầm non", "Phòng Giáo dục tiểu học", "Phòng Giáo dục trung học",
        "Phòng Giáo dục thường xuyên", "Phòng Khảo thí và kiểm định chất lượng"]),
    ("SYT", "Sở Y tế", "Sở Y tế", "CM", [
        "Phòng Nghiệp vụ y", "Phòng Nghiệp vụ dược",
        "Phòng Quản lý hành nghề y dược tư nhân", "Phòng Tổ chức cán bộ"]),
    ("SGTVT", "Sở Giao thông vận tải", "Sở Giao thông vận tải", "CM", [
        "Phòng Quản lý vận tải", "Phòng Quản lý kết cấu hạ tầng giao thông",
        "Phòng Quản lý phương tiện và người lái",
        "Phòng Quản lý chất lượng công trình giao thông"]),
    ("SLDTBXH", "Sở Lao động - Thương binh và Xã hội", "Sở Lao động - Thương binh và Xã hội",
     "CM", ["Phòng Lao động - Việc làm", "Phòng Người có công", "Phòng Bảo trợ xã hội",
            "Phòng Trẻ em và bình đẳng giới"]),
    ("SCT", "Sở Công Thương", "Sở Công Thương", "CM", [
        "Phòng Quản lý thương mại", "Phòng Quản lý công nghiệp", "Phòng Quản lý năng lượng",
        "Phòng Xuất nhập khẩu"]),
    ("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn",
     "Sở Nông nghiệp và Phát triển nông thôn", "CM", [
        "Phòng Kế hoạch", "Phòng Quản lý xây dựng công trình",
        "Phòng Kinh tế hợp tác và phát triển nông thôn"]),
    ("SVHTT", "Sở Văn hóa và Thể thao", "Sở Văn hóa và Thể thao", "CM", [
        "Phòng Quản lý văn hóa", "Phòng Quản lý thể dục thể thao",
        "Phòng Quản lý di sản văn hóa", "Phòng Xây dựng nếp sống văn hóa và gia đình"]),
    ("STTTT", "Sở Thông tin và Truyền thông", "Sở Thông tin và Truyền thông", "CM", [
        "Phòng Báo chí - Xuất bản", "Phòng Bưu chính - Viễn thông", "Phòng Công nghệ thông tin"]),
    ("SKHCN", "Sở Khoa học và Công nghệ", "Sở Khoa học và Công nghệ", "CM", [
        "Phòng Quản lý khoa học", "Phòng Quản lý công nghệ và thị trường công nghệ",
        "Phòng Sở hữu trí tuệ"]),
    ("SQHKT", "Sở Quy hoạch - Kiến trúc", "Sở Quy hoạch - Kiến trúc", "CM", [
        "Phòng Quy hoạch tổng hợp", "Phòng Quy hoạch kiến trúc", "Phòng Hạ tầng kỹ thuật"]),
    ("SDL", "Sở Du lịch", "Sở Du lịch", "CM", [
        "Phòng Quản lý lữ hành", "Phòng Quản lý cơ sở lưu trú", "Phòng Xúc tiến du lịch"]),
    ("SNGV", "Sở Ngoại vụ", "Sở Ngoại vụ", "CM", [
        "Phòng Lãnh sự", "Phòng Hợp tác quốc tế"]),
    ("BDT", "Ban Dân tộc", "Ban Dân tộc", "CM", [
        "Phòng Chính sách dân tộc", "Phòng Tuyên truyền và địa bàn"]),
    ("BQLKCN", "Ban Quản lý các khu công nghiệp và chế xuất", "Ban Quản lý các KCN và chế xuất",
     "CM", ["Phòng Quản lý đầu tư", "Phòng Quản lý doanh nghiệp",
            "Phòng Quản lý quy hoạch và xây dựng"]),
    ("BQLATTP", "Ban Quản lý an toàn thực phẩm", "Ban Quản lý an toàn thực phẩm", "CM", [
        "Phòng Thông tin, truyền thông", "Phòng Nghiệp vụ, thanh tra"]),
    ("BQLDAGT", "Ban Quản lý dự án đầu tư xây dựng công trình giao thông",
     "Ban QLDA công trình giao thông", "CM", [
        "Phòng Kế hoạch - Kỹ thuật", "Phòng Quản lý dự án 1", "Phòng Quản lý dự án 2"]),
]

# -- districts (quận, huyện, thị xã): Hà Nội's thirty ------------------------------------
# (code, kind word, name); codes are fixed, so "HN.Q01" is always Ba Đình.

URBAN = ["Ba Đình", "Hoàn Kiếm", "Tây Hồ", "Long Biên", "Cầu Giấy", "Đống Đa", "Hai Bà Trưng",
         "Hoàng Mai", "Thanh Xuân", "Nam Từ Liêm", "Bắc Từ Liêm", "Hà Đông"]
RURAL = ["Sóc Sơn", "Đông Anh", "Gia Lâm", "Thanh Trì", "Mê Linh", "Ba Vì", "Phúc Thọ",
         "Đan Phượng", "Hoài Đức", "Quốc Oai", "Thạch Thất", "Chương Mỹ", "Thanh Oai",
         "Thường Tín", "Phú Xuyên", "Ứng Hòa", "Mỹ Đức"]


def _districts() -> list[tuple[str, str, str]]:
    """All 30 districts, interleaved (two urban, one rural, ...) so a small city is mixed."""
    urban = [(f"Q{i:02d}", "quận", name) for i, name in enumerate(URBAN, 1)]
    rural = [(f"H{i:02d}", "huyện", name) for i, name in enumerate(RURAL, 1)]
    order: list[tuple[str, str, str]] = []
    while urban or rural:
        order += urban[:2] + rural[:1]
        del urban[:2], rural[:1]
    order.insert(5, ("TX01", "thị xã", "Sơn Tây"))
    return order


DISTRICTS = _districts()

# Divisions (phòng chuyên môn) of a district's people's committee: (name, task group).
# The two last differ between urban districts (quận) and rural ones (huyện, thị xã).
DISTRICT_DIVISIONS = [
    ("Văn phòng HĐND và UBND", "VP"),
    ("Phòng Nội vụ", "CM"),
    ("Phòng Tài chính - Kế hoạch", "TC"),
    ("Thanh tra", "TT"),
    ("Phòng Tư pháp", "CM"),
    ("Phòng Tài nguyên và Môi trường", "CM"),
    ("Phòng Lao động - Thương binh và Xã hội", "CM"),
    ("Phòng Văn hóa và Thông tin", "CM"),
    ("Phòng Giáo dục và Đào tạo", "CM"),
    ("Phòng Y tế", "CM"),
    ("*Phòng Quản lý đô thị|Phòng Kinh tế, Hạ tầng và Đô thị", "CM"),
    ("*Phòng Kinh tế|Phòng Nông nghiệp và Phát triển nông thôn", "CM"),
]

# Staff of a commune (công chức cấp xã) by task group, with weights.
COMMUNE_GROUPS = (("CM", 5), ("HC", 2), ("TC", 2), ("TH", 2))

# Memberships start on a day of 2012-2024 ("since", an addition to the format).
_SINCE_DAYS = [(dt.date(2012, 1, 1) + dt.timedelta(days=i)).isoformat()
               for i in range((dt.date(2024, 12, 31) - dt.date(2012, 1, 1)).days + 1)]

#: agency kinds whose own body is its leadership (chủ tịch/giám đốc and deputies)
_AGENCY_BODIES = frozenset({"city", "department", "district"})


@dataclass
class _Unit:
    code: str
    name: str
    kind: str
    parent: str | None
    weight: float
    group: str  # task group of its staff; "VP" = an office: mixed TH/HC
    size: int = 0
    extra: dict = field(default_factory=dict)


# -- sizes ---------------------------------------------------------------------------------


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


@dataclass(frozen=True)
class Shape:
    """How many of each kind of unit a city of N officials has."""

    departments: int
    department_divisions: int
    districts: int
    district_divisions: int
    communes: int  # per district

    @classmethod
    def for_officials(cls, n: int) -> Shape:
        root = math.sqrt(n)
        shape = cls(
            departments=_clamp(root / 4.5, 3, len(DEPARTMENTS)),
            department_divisions=_clamp(root / 20, 2, 8),
            districts=_clamp(root / 6, 2, len(DISTRICTS)),
            district_divisions=_clamp(root / 25, 3, len(DISTRICT_DIVISIONS)),
            communes=_clamp(root / 16, 2, 22),
        )
        # Tiny cities: shrink until every unit can have a head and, if possible, one more.
        while shape.units * 2 > n and shape.units > cls.smallest().units:
            shape = shape._smaller()
        return shape

    @classmethod
    def smallest(cls) -> Shape:
        return cls(departments=1, department_divisions=1, districts=1, district_divisions=1,
                   communes=1)

    @property
    def units(self) -> int:
        return (1 + self.departments * (1 + self.department_divisions)
                + self.districts * (1 + self.district_divisions + self.communes))

    def _smaller(self) -> Shape:
        fields = ["communes", "district_divisions", "department_divisions", "districts",
                  "departments"]
        values = {name: getattr(self, name) for name in fields}
        biggest = max(fields, key=lambda name: values[name])
        values[biggest] = max(1, values[biggest] - 1)
        return Shape(**values)


# -- names -----------------------------------------------------------------------------------


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


class _Names:
    """Vietnamese full names and e-mail addresses from Faker's vi_VN parts, drawn once."""

    def __init__(self, rng: random.Random, spare: random.Random) -> None:
        p = PersonProvider
        self.rng, self.spare = rng, spare
        self.last = _unique(p.last_names)
        # Nguyễn is far the most common family name; Faker's list is unweighted.
        self.last_weights = list(accumulate(3.0 if name == "Nguyễn" else 1.0
                                            for name in self.last))
        middles = _unique(p.middle_names)
        self.middle_male = [m for m in middles if m not in {"Thị", "Mai", "Mai Bảo"}]
        self.middle_female = ["Thị", "Thị", "Thị", *[m for m in middles
                                                    if m in {"Mai", "Xuân", "Bảo", "Hải"}]]
        self.first_male = _unique([*p.first_names_male, *p.first_names_unisex])
        self.first_female = _unique([*p.first_names_female, *p.first_names_unisex])
        self._folded: dict[str, str] = {}
        self._emails: dict[str, int] = {}

    def fold(self, part: str) -> str:
        folded = self._folded.get(part)
        if folded is None:
            folded = self._folded[part] = fold(part).replace(" ", "")
        return folded

    def _draw(self, rng: random.Random) -> tuple[str, str, str]:
        last = rng.choices(self.last, cum_weights=self.last_weights)[0]
        middles, firsts = ((self.middle_female, self.first_female) if rng.random() < 0.5
                           else (self.middle_male, self.first_male))
        middle = rng.choice(middles)
        first = rng.choice(firsts)
        while first == middle:  # "Nguyễn Bảo Bảo" is not a name
            first = rng.choice(firsts)
        return last, middle, first

    def person(self, taken: set[str]) -> tuple[str, str]:
        """A full name no one in `taken` (the folded names of the unit's officials so far)
        has, and a unique e-mail address (given name + initials, as offices do). A name
        already taken is drawn again from `spare`, so the city's own draws, and every other
        official's name, stay as they were."""
        last, middle, first = self._draw(self.rng)
        name = f"{last} {middle} {first}"
        while fold(name) in taken:
            last, middle, first = self._draw(self.spare)
            name = f"{last} {middle} {first}"
        taken.add(fold(name))
        local = self.fold(first) + self.fold(last)[0] + "".join(
            self.fold(word)[0] for word in middle.split())
        count = self._emails.get(local, 0) + 1
        self._emails[local] = count
        email = f"{local}{count if count > 1 else ''}@{EMAIL_DOMAIN}"
        return name, email


#: Wards and communes of each district, as Hà Nội named them before the 2025 reform (the
#: districts' own), in the order they are given: a rural district's first is its town
#: (thị trấn), Sơn Tây's alternate wards and communes. A name another district took first is
#: skipped (Hà Nội has a few twins: Minh Khai, Quang Trung...), so no two communes of the
#: city share a name.
DISTRICT_PLACES = {
    "Ba Đình": "Ngọc Hà, Giảng Võ, Kim Mã, Đội Cấn, Điện Biên, Quán Thánh, Trúc Bạch, Phúc Xá, "
               "Vĩnh Phúc, Cống Vị, Liễu Giai, Nguyễn Trung Trực, Ngọc Khánh, Thành Công",
    "Hoàn Kiếm": "Tràng Tiền, Hàng Bài, Cửa Nam, Hàng Bạc, Hàng Trống, Lý Thái Tổ, Hàng Gai, "
                 "Hàng Đào, Hàng Bồ, Hàng Buồm, Hàng Mã, Đồng Xuân, Cửa Đông, Phúc Tân, "
                 "Chương Dương, Hàng Bông, Trần Hưng Đạo, Phan Chu Trinh",
    "Tây Hồ": "Quảng An, Nhật Tân, Tứ Liên, Yên Phụ, Bưởi, Thụy Khuê, Xuân La, Phú Thượng",
    "Long Biên": "Ngọc Lâm, Bồ Đề, Gia Thụy, Long Biên, Thạch Bàn, Phúc Đồng, Việt Hưng, "
                 "Đức Giang, Thượng Thanh, Ngọc Thụy, Giang Biên, Phúc Lợi, Sài Đồng, Cự Khối",
    "Cầu Giấy": "Dịch Vọng, Dịch Vọng Hậu, Quan Hoa, Nghĩa Đô, Nghĩa Tân, Mai Dịch, Yên Hòa, "
                "Trung Hòa",
    "Đống Đa": "Văn Miếu, Quốc Tử Giám, Cát Linh, Hàng Bột, Văn Chương, Khâm Thiên, Thổ Quan, "
               "Ô Chợ Dừa, Láng Thượng, Láng Hạ, Nam Đồng, Trung Phụng, Quang Trung, Trung Liệt, "
               "Phương Liên, Thịnh Quang, Trung Tự, Kim Liên, Phương Mai, Ngã Tư Sở, "
               "Khương Thượng",
    "Hai Bà Trưng": "Nguyễn Du, Bạch Đằng, Phạm Đình Hổ, Lê Đại Hành, Đồng Nhân, Phố Huế, "
                    "Đống Mác, Thanh Lương, Thanh Nhàn, Cầu Dền, Bách Khoa, Đồng Tâm, Vĩnh Tuy, "
                    "Bạch Mai, Quỳnh Mai, Quỳnh Lôi, Minh Khai, Trương Định",
    "Hoàng Mai": "Tương Mai, Tân Mai, Giáp Bát, Định Công, Đại Kim, Hoàng Văn Thụ, Mai Động, "
                 "Vĩnh Hưng, Thanh Trì, Lĩnh Nam, Thịnh Liệt, Trần Phú, Hoàng Liệt, Yên Sở",
    "Thanh Xuân": "Nhân Chính, Thượng Đình, Khương Trung, Khương Mai, Thanh Xuân Trung, "
                  "Phương Liệt, Hạ Đình, Khương Đình, Thanh Xuân Bắc, Thanh Xuân Nam, Kim Giang",
    "Nam Từ Liêm": "Mỹ Đình, Cầu Diễn, Xuân Phương, Phương Canh, Tây Mỗ, Mễ Trì, Phú Đô, "
                   "Đại Mỗ, Trung Văn",
    "Bắc Từ Liêm": "Cổ Nhuế, Xuân Đỉnh, Xuân Tảo, Đông Ngạc, Đức Thắng, Thụy Phương, Phúc Diễn, "
                   "Phú Diễn, Minh Khai, Tây Tựu, Thượng Cát, Liên Mạc",
    "Hà Đông": "Nguyễn Trãi, Quang Trung, Mộ Lao, Văn Quán, Vạn Phúc, Yết Kiêu, La Khê, Phú La, "
               "Phúc La, Hà Cầu, Yên Nghĩa, Kiến Hưng, Phú Lãm, Phú Lương, Dương Nội, Đồng Mai, "
               "Biên Giang",
    "Sơn Tây": "Lê Lợi, Đường Lâm, Phú Thịnh, Thanh Mỹ, Ngô Quyền, Xuân Sơn, Quang Trung, "
               "Kim Sơn, Sơn Lộc, Sơn Đông, Xuân Khanh, Cổ Đông, Trung Hưng, Viên Sơn, "
               "Trung Sơn Trầm",
    "Sóc Sơn": "Sóc Sơn, Phù Linh, Tiên Dược, Mai Đình, Phú Cường, Thanh Xuân, Minh Phú, "
               "Hiền Ninh, Kim Lũ, Trung Giã, Bắc Sơn, Nam Sơn, Hồng Kỳ, Minh Trí, Tân Hưng, "
               "Bắc Phú, Tân Minh, Quang Tiến, Tân Dân, Việt Long, Xuân Giang, Đức Hòa, "
               "Đông Xuân, Phú Minh, Phù Lỗ, Xuân Thu",
    "Đông Anh": "Đông Anh, Cổ Loa, Uy Nỗ, Xuân Nộn, Thụy Lâm, Bắc Hồng, Nguyên Khê, Nam Hồng, "
                "Tiên Dương, Vân Hà, Vân Nội, Liên Hà, Việt Hùng, Kim Nỗ, Kim Chung, Dục Tú, "
                "Đại Mạch, Vĩnh Ngọc, Hải Bối, Xuân Canh, Võng La, Tàm Xá, Mai Lâm, Đông Hội",
    "Gia Lâm": "Trâu Quỳ, Bát Tràng, Đa Tốn, Kiêu Kỵ, Phù Đổng, Ninh Hiệp, Đình Xuyên, Yên "
               "Thường, Yên Viên, Dương Hà, Trung Mầu, Lệ Chi, Cổ Bi, Đặng Xá, Phú Thị, "
               "Dương Quang, Dương Xá, Đông Dư, Kim Lan, Văn Đức",
    "Thanh Trì": "Văn Điển, Tân Triều, Thanh Liệt, Tả Thanh Oai, Hữu Hòa, Tam Hiệp, Yên Mỹ, "
                 "Vĩnh Quỳnh, Ngũ Hiệp, Duyên Hà, Ngọc Hồi, Đại Áng, Liên Ninh, Đông Mỹ",
    "Mê Linh": "Chi Đông, Quang Minh, Đại Thịnh, Kim Hoa, Thạch Đà, Tiến Thắng, Tự Lập, "
               "Thanh Lâm, Tam Đồng, Vạn Yên, Chu Phan, Tiến Thịnh, Mê Linh, Văn Khê, "
               "Hoàng Kim, Tiền Phong, Tráng Việt",
    "Ba Vì": "Tây Đằng, Cổ Đô, Tản Hồng, Vạn Thắng, Châu Sơn, Phong Vân, Phú Đông, Phú Phương, "
             "Phú Châu, Thái Hòa, Đồng Thái, Phú Sơn, Minh Châu, Vật Lại, Chu Minh, Tòng Bạt, "
             "Cẩm Lĩnh, Sơn Đà, Đông Quang, Tiên Phong, Thụy An, Cam Thượng, Thuần Mỹ, "
             "Tản Lĩnh, Ba Trại, Minh Quang, Ba Vì, Vân Hòa, Yên Bài, Khánh Thượng",
    "Phúc Thọ": "Phúc Thọ, Vân Phúc, Vân Nam, Xuân Đình, Sen Phương, Võng Xuyên, Thọ Lộc, "
                "Long Xuyên, Thượng Cốc, Hát Môn, Tích Giang, Thanh Đa, Trạch Mỹ Lộc, Phúc Hòa, "
                "Ngọc Tảo, Phụng Thượng, Tam Thuấn, Hiệp Thuận, Liên Hiệp",
    "Đan Phượng": "Phùng, Trung Châu, Thọ An, Thọ Xuân, Hồng Hà, Liên Hồng, Hạ Mỗ, Liên Trung, "
                  "Phương Đình, Thượng Mỗ, Tân Hội, Tân Lập, Đan Phượng, Đồng Tháp, Song Phượng",
    "Hoài Đức": "Trạm Trôi, Đức Thượng, Dương Liễu, Di Trạch, Cát Quế, Sơn Đồng, Vân Canh, "
                "Đắc Sở, Lại Yên, Tiền Yên, Song Phương, An Khánh, An Thượng, Vân Côn, La Phù, "
                "Đông La",
    "Quốc Oai": "Quốc Oai, Sài Sơn, Phượng Cách, Yên Sơn, Ngọc Liệp, Ngọc Mỹ, Liệp Tuyết, "
                "Thạch Thán, Đồng Quang, Phú Cát, Tuyết Nghĩa, Nghĩa Hương, Cộng Hòa, Tân Phú, "
                "Đại Thành, Phú Mãn, Cấn Hữu, Tân Hòa, Hòa Thạch, Đông Yên",
    "Thạch Thất": "Liên Quan, Đại Đồng, Cẩm Yên, Lại Thượng, Phú Kim, Hương Ngải, Canh Nậu, "
                  "Kim Quan, Dị Nậu, Bình Yên, Chàng Sơn, Thạch Hòa, Cần Kiệm, Hữu Bằng, "
                  "Phùng Xá, Tân Xã, Thạch Xá, Bình Phú, Hạ Bằng, Đồng Trúc, Yên Trung, "
                  "Yên Bình, Tiến Xuân",
    "Chương Mỹ": "Chúc Sơn, Xuân Mai, Phụng Châu, Tiên Phương, Đông Sơn, Đông Phương Yên, "
                 "Phú Nghĩa, Trường Yên, Ngọc Hòa, Thủy Xuân Tiên, Thanh Bình, Trung Hòa, "
                 "Đại Yên, Thụy Hương, Tốt Động, Lam Điền, Tân Tiến, Nam Phương Tiến, Hợp Đồng, "
                 "Hoàng Diệu, Hữu Văn, Quảng Bị, Mỹ Lương, Thượng Vực, Hồng Phong, Đồng Phú",
    "Thanh Oai": "Kim Bài, Cự Khê, Bích Hòa, Mỹ Hưng, Cao Viên, Bình Minh, Tam Hưng, "
                 "Thanh Cao, Thanh Thùy, Thanh Mai, Thanh Văn, Đỗ Động, Kim An, Kim Thư, "
                 "Phương Trung, Tân Ước, Dân Hòa, Liên Châu, Cao Dương, Xuân Dương, Hồng Dương",
    "Thường Tín": "Thường Tín, Ninh Sở, Nhị Khê, Duyên Thái, Khánh Hà, Hòa Bình, Văn Bình, "
                  "Hiền Giang, Hồng Vân, Vân Tảo, Liên Phương, Văn Phú, Tự Nhiên, Hà Hồi, "
                  "Thư Phú, Quất Động, Thắng Lợi, Dũng Tiến, Thống Nhất, Nghiêm Xuyên, Tô Hiệu, "
                  "Văn Tự, Vạn Điểm, Minh Cường",
    "Phú Xuyên": "Phú Xuyên, Hồng Minh, Phượng Dực, Nam Tiến, Tri Trung, Đại Thắng, Phú Túc, "
                 "Văn Hoàng, Hồng Thái, Hoàng Long, Nam Phong, Nam Triều, Sơn Hà, Chuyên Mỹ, "
                 "Khai Thái, Phúc Tiến, Vân Từ, Tri Thủy, Đại Xuyên, Phú Yên, Bạch Hạ, "
                 "Quang Lãng, Châu Can, Minh Tân",
    "Ứng Hòa": "Vân Đình, Viên An, Viên Nội, Hoa Sơn, Quảng Phú Cầu, Trường Thịnh, Cao Thành, "
               "Liên Bạt, Sơn Công, Đồng Tiến, Phương Tú, Trung Tú, Đồng Tân, Tảo Dương Văn, "
               "Vạn Thái, Minh Đức, Hòa Lâm, Hòa Xá, Trầm Lộng, Kim Đường, Hòa Nam, Hòa Phú",
    "Mỹ Đức": "Đại Nghĩa, Hương Sơn, Thượng Lâm, Tuy Lai, Phúc Lâm, Mỹ Thành, Bột Xuyên, An Mỹ, "
              "Hồng Sơn, Lê Thanh, Xuy Xá, Phù Lưu Tế, Đại Hưng, Vạn Kim, Đốc Tín, Hùng Tiến, "
              "An Tiến, Hợp Tiến, Hợp Thanh, An Phú",
}
#: Hà Nội's ward names of the 2025 reform not among the districts' own, for a district whose
#: own are used up (a city bigger than its list): none is the name of a district.
SPARE_PLACES = ("Cửa Nam, Ô Chợ Dừa, Láng, Văn Miếu - Quốc Tử Giám, Hồng Hà, Tùng Thiện, "
                "Từ Liêm, Yên Hòa, Phú Thượng, Xuân Phương, Thượng Cát, Tây Mỗ, Đại Mỗ, "
                "Khương Đình, Phương Liệt, Vĩnh Hưng, Tương Mai, Lĩnh Nam, Hoàng Liệt, "
                "Yên Sở, Bạch Mai, Vĩnh Tuy, Phúc Lợi, Việt Hưng, Bồ Đề, Nghĩa Đô, Dương Nội, "
                "Yên Nghĩa, Phú Lương, Kiến Hưng, Tây Tựu, Phú Diễn, Đông Ngạc, Xuân Đỉnh")


def _split(names: str) -> list[str]:
    return [name.strip() for name in names.split(",")]


class _Places:
    """The place names of the city's communes: each district's own (`DISTRICT_PLACES`) in
    order, then Hà Nội's spare ward names (`SPARE_PLACES`), then numbers ("phường 12")
    counted across the city; no name is given twice in the city (compared folded: tones,
    case and spaces do not count). Deterministic: no draw."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.spare = _split(SPARE_PLACES)
        self.number = 0

    def _take(self, name: str) -> bool:
        folded = fold(name)
        if folded in self.used:
            return False
        self.used.add(folded)
        return True

    def district(self, district: str, count: int) -> list[str]:
        names: list[str] = []
        for name in _split(DISTRICT_PLACES.get(district, "")):
            if len(names) < count and self._take(name):
                names.append(name)
        while len(names) < count and self.spare:
            name = self.spare.pop(0)
            if self._take(name):
                names.append(name)
        while len(names) < count:
            self.number += 1
            if self._take(str(self.number)):
                names.append(str(self.number))
        return names


def _faker_place_count() -> int:
    """How many place names the first generator drew a district's communes from (Faker's
    vi_VN communes and streets, each once, none with a digit)."""
    seen: set[str] = set()
    for name in (*AddressProvider.communes, *AddressProvider.streets):
        name = " ".join(name.split())
        if not any(ch.isdigit() for ch in name) and name not in {"Pasteur",
                                                                 "Alexandre de Rhodes"}:
            seen.add(fold(name))
    return len(seen)


def _keep_draws(rng: random.Random, pool: int, count: int) -> None:
    """Advance `rng` as the first generator's draw of `count` place names out of `pool` did
    (`random.sample` draws the same for any population of that size), so every official
    keeps the name, e-mail address and code they had: the demo's logins stay the same."""
    rng.sample(range(pool), min(count, pool))


# -- the tree ----------------------------------------------------------------------------------


def _department_divisions(short: str, specialised: list[str], group: str, count: int):
    generic = [(f"Văn phòng {short}", "VP"), (f"Phòng Kế hoạch - Tài chính, {short}", "TC"),
               (f"Thanh tra {short}", "TT")]
    if short == "Thanh tra Thành phố":
        generic = [("Văn phòng Thanh tra Thành phố", "VP")]
    special = [(name, group) for name in specialised]
    mixed: list[tuple[str, str]] = []
    while generic or special:  # Văn phòng, a speciality, finance, a speciality, inspection...
        if generic:
            mixed.append(generic.pop(0))
        if special:
            mixed.append(special.pop(0))
    return mixed[:count]


def _tree(shape: Shape, rng: random.Random) -> list[_Unit]:
    units = [_Unit(CITY_CODE, f"UBND Thành phố {CITY_NAME}", "city", None, 0.5, "TH")]
    for code, name, short, group, specialised in DEPARTMENTS[: shape.departments]:
        dcode = f"{CITY_CODE}.{code}"
        body_group = "TT" if group == "TT" else "TH"  # an inspectorate's staff inspect
        units.append(_Unit(dcode, name, "department", CITY_CODE, 0.4, body_group))
        divisions = _department_divisions(short, specialised, group, shape.department_divisions)
        for i, (division, dgroup) in enumerate(divisions, 1):
            weight = 1.5 if dgroup == "VP" else 1.0
            units.append(_Unit(f"{dcode}.P{i:02d}", division, "division", dcode, weight, dgroup))
    places, faker_places = _Places(), _faker_place_count()
    for code, word, name in DISTRICTS[: shape.districts]:
        dcode = f"{CITY_CODE}.{code}"
        urban = word == "quận"
        full = f"{word} {name}"
        units.append(_Unit(dcode, f"UBND {full}", "district", CITY_CODE, 0.4, "TH",
                           extra={"place": full}))
        for i, (division, dgroup) in enumerate(DISTRICT_DIVISIONS[: shape.district_divisions], 1):
            if division.startswith("*"):
                urban_name, rural_name = division[1:].split("|")
                division = urban_name if urban else rural_name
            label = f"{division} {full}"
            units.append(_Unit(f"{dcode}.P{i:02d}", label, "division", dcode, 1.0, dgroup))
        _keep_draws(rng, faker_places, shape.communes)
        names = places.district(name, shape.communes)
        counters: dict[str, int] = {}
        for i, commune in enumerate(names):
            if urban or (word == "thị xã" and i % 2 == 0):
                prefix, kind_word = "PH", "phường"
            elif word == "huyện" and i == 0:
                prefix, kind_word = "TT", "thị trấn"
            else:
                prefix, kind_word = "X", "xã"
            counters[prefix] = counters.get(prefix, 0) + 1
            units.append(_Unit(f"{dcode}.{prefix}{counters[prefix]:02d}",
                               f"UBND {kind_word} {commune}", "commune", dcode, 1.2, "COMMUNE"))
    return units


def _allocate(units: list[_Unit], total: int) -> None:
    """Give every unit a head and share the rest by weight (largest remainder, no ties left
    to chance), after a floor of 3 for leadership bodies and 2 for the others when N allows."""
    if total < len(units):
        raise ValueError(f"{total} officials cannot staff {len(units)} units")
    floors = [3 if u.kind in _AGENCY_BODIES else 2 for u in units]
    if sum(floors) > total:
        floors = [2] * len(units)
    if sum(floors) > total:
        floors = [1] * len(units)
    rest = total - sum(floors)
    weights = sum(u.weight for u in units)
    shares = [rest * u.weight / weights for u in units]
    sizes = [floor + int(share) for floor, share in zip(floors, shares, strict=True)]
    left = total - sum(sizes)
    order = sorted(range(len(units)), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in order[:left]:
        sizes[i] += 1
    for unit, size in zip(units, sizes, strict=True):
        unit.size = size


def _deputies(unit: _Unit) -> int:
    n = unit.size
    if unit.kind in _AGENCY_BODIES:  # a people's committee or a department always has a vice
        return 0 if n < 2 else 1 if n < 8 else 2 if n < 20 else 3
    return 0 if n < 5 else 1 if n < 15 else 2 if n < 40 else 3


def _staff_group(unit: _Unit, rng: random.Random) -> str:
    if unit.group == "VP":
        return "TH" if rng.random() < 0.5 else "HC"
    if unit.group == "COMMUNE":
        return rng.choices([g for g, _w in COMMUNE_GROUPS], [w for _g, w in COMMUNE_GROUPS])[0]
    return unit.group


#: Directive 24-CT/TU's date (7/8/2023) and the working days a unit takes to answer the
#: directive it carries out with its own plan: most within a few weeks, one in six
#: months later ("trên nóng, dưới lạnh": the cascade shows who answered late)
DIRECTIVE_24_ISSUED = dt.date(2023, 8, 7)
PLAN_WORKDAYS = ((5, 25), (30, 60))
LATE_PLAN_CHANCE = 1 / 6


def _directives(units: list[_Unit], rng: random.Random) -> list[dict]:
    """Directive 24-CT/TU of the city, and the plan with which every other unit carries
    out the directive of the unit above it (a department or district the directive, a
    division or commune its department's or district's plan), a plausible number of
    working days after it (`PLAN_WORKDAYS`), so that a directive's cascade shows each unit
    below answering within weeks (or, for a few, months)."""
    calendar = WorkCalendar.vietnam([2023, 2024])
    directives = [
        {"code": DIRECTIVE_24,
         "title": ("Chỉ thị về tăng cường kỷ luật, kỷ cương, trách nhiệm trong giải quyết công "
                   "việc; khắc phục tình trạng né tránh, đùn đẩy, sợ trách nhiệm"),
         "issued_by": CITY_CODE, "issued_on": DIRECTIVE_24_ISSUED.isoformat()},
    ]
    answered = {CITY_CODE: directives[0]}
    names = {unit.code: unit.name for unit in units}
    for unit in units:
        above = answered.get(unit.parent or "")
        if above is None:
            continue
        low, high = PLAN_WORKDAYS[1 if rng.random() < LATE_PLAN_CHANCE else 0]
        issued = calendar.add_workdays(dt.date.fromisoformat(above["issued_on"]),
                                       rng.randint(low, high))
        suffix = unit.code.split(".", 1)[1].replace(".", "-")
        if unit.kind == "district":
            code = f"{rng.randint(100, 399)}/KH-UBND-{suffix}"
            title = (f"Kế hoạch thực hiện Chỉ thị số {DIRECTIVE_24} trên địa bàn "
                     f"{unit.extra['place']}")
        elif unit.kind == "department":
            code = f"{rng.randint(100, 399)}/KH-{suffix}"
            title = f"Kế hoạch thực hiện Chỉ thị số {DIRECTIVE_24} của {unit.name}"
        else:
            code = (f"{rng.randint(1, 199)}/KH-"
                    f"{'UBND-' if unit.kind == 'commune' else ''}{suffix}")
            title = (f"Kế hoạch thực hiện Kế hoạch số {above['code']} của "
                     f"{names[unit.parent]}")  # type: ignore[index]
        plan = {"code": code, "title": title, "issued_by": unit.code,
                "issued_on": issued.isoformat(), "answers": above["code"]}
        directives.append(plan)
        answered[unit.code] = plan
    return directives


def generate_city(*, officials: int, seed: int = 0, months: int = 0,
                  start: tuple[int, int] = DEFAULT_START,
                  until: dt.datetime | None = None) -> dict:
    """A realistic city of `officials` officials in the exchange format (deterministic).

    With `months`, it also has that many months of task history from `start` (year, month):
    `tasks` and `events` (see thuocdo.exchange.generate_history), cut at `until` if given.
    """
    document = _generate_org(officials=officials, seed=seed)
    if months:
        tasks: list[dict] = []
        events: list[dict] = []
        for task, history in iter_history(document, months=months, start=start, seed=seed,
                                          until=until):
            tasks.append(task)
            events.extend(history)
        document["tasks"] = tasks
        document["events"] = events
    return document


def write_city(output: IO[str], *, officials: int, seed: int = 0, months: int = 0,
               start: tuple[int, int] = DEFAULT_START, until: dt.datetime | None = None,
               ) -> dict[str, int]:
    """Write `generate_city(...)`'s document to the text stream `output` as JSON, one record
    per line, without holding the history in memory: tasks are written as they are made and
    their events go to a temporary file that is copied in after them. Returns the number of
    records of each key."""
    document = _generate_org(officials=officials, seed=seed)
    # Made first: it refuses bad arguments before anything is written.
    history = (HistoryGenerator(document, months=months, start=start, seed=seed, until=until)
               if months else None)
    counts = {key: len(value) for key, value in document.items() if isinstance(value, list)}
    output.write("{\n")
    output.write(f'"format": {json.dumps(document.pop("format"))}')
    for key, records in document.items():
        _write_list(output, key, (_ENCODER.encode(r) for r in records))
    if history is not None:
        counts["tasks"] = counts["events"] = 0
        with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
            def tasks() -> Iterator[str]:
                separator = ""
                for task, events in history:
                    counts["tasks"] += 1
                    yield _ENCODER.encode(task)
                    if events:
                        # One encoding per task, one event per line (each begins with
                        # "task", and a quote inside a string is escaped, so the split
                        # point cannot occur in a value).
                        text = _ENCODER.encode(events)[1:-1]
                        spool.write(separator + text.replace(_EVENT_JOIN, _EVENT_LINE))
                        separator = ",\n"
                        counts["events"] += len(events)

            _write_list(output, "tasks", tasks())
            spool.seek(0)
            output.write(',\n"events": [\n')
            shutil.copyfileobj(spool, output, 1 << 20)
            output.write("\n]")
    output.write("\n}\n")
    return counts


_ENCODER = json.JSONEncoder(ensure_ascii=False)
_EVENT_JOIN = '}, {"task": '
_EVENT_LINE = '},\n{"task": '


def _write_list(output: IO[str], key: str, lines: Iterable[str]) -> None:
    output.write(f',\n"{key}": [')
    separator = "\n"
    for line in lines:
        output.write(separator)
        output.write(line)
        separator = ",\n"
    output.write("\n]")


def _generate_org(*, officials: int, seed: int) -> dict:
    """The city without history."""
    if officials < Shape.smallest().units:
        raise ValueError(f"a city needs at least {Shape.smallest().units} officials")
    rng = random.Random(seed)
    units = _tree(Shape.for_officials(officials), rng)
    _allocate(units, officials)
    names = _Names(rng, random.Random(f"{seed}:names"))
    people: list[dict] = []
    number = 0
    for unit in units:
        deputies = _deputies(unit)
        taken: set[str] = set()  # no two officials of a unit share a full name
        for i in range(unit.size):
            number += 1
            name, email = names.person(taken)
            if i == 0:
                position, group = "head", "LD"
            elif i <= deputies:
                position, group = "deputy", "LD"
            else:
                position, group = "staff", _staff_group(unit, rng)
            people.append({"code": f"CB{number:06d}", "name": name, "unit": unit.code,
                           "position": position, "task_group": group,
                           "since": _SINCE_DAYS[rng.randrange(len(_SINCE_DAYS))], "email": email})
    return {
        "format": FORMAT,
        "units": [{"code": u.code, "name": u.name, "parent": u.parent, "kind": u.kind}
                  for u in units],
        "task_groups": [{"code": code, "name": name} for code, name in TASK_GROUPS],
        "officials": people,
        "products": [{"code": code, "name": name, "coefficient": coefficient}
                     for code, name, coefficient in PRODUCTS],
        "directives": _directives(units, rng),
    }
