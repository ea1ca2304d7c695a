"""The server-rendered SVG charts: well-formed, escaped, scaled, with a title per part."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from thuocdo.core.charts import Series, horizontal_stacked_bars, vertical_stacked_bars

SERIES = [Series("a", "Đúng hạn", "#2e7d32"), Series("b", "Quá hạn <late>", "#a4141c")]
NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def test_horizontal_bars_are_scaled_to_the_largest_row_and_escaped():
    svg = horizontal_stacked_bars(rows=[("Phòng <A> & B", {"a": 3, "b": 1}), ("C", {"a": 2})],
                                  series=SERIES, title="Việc theo đơn vị", width=600)
    root = _parse(svg)
    bars = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert len(bars) == 3  # zero parts are not drawn
    widths = [float(r.get("width")) for r in bars]
    assert abs(sum(widths[:2]) - 600 + 250 + 50) < 0.5  # the largest row fills the plot
    assert abs(widths[2] / sum(widths[:2]) - 0.5) < 0.01
    titles = [r.find(f"{NS}title").text for r in bars]
    assert "Phòng <A> & B: Đúng hạn 3" in titles
    assert root.get("role") == "img" and root.get("aria-label") == "Việc theo đơn vị"


def test_vertical_bars_stack_bottom_up_and_survive_no_data():
    svg = vertical_stacked_bars(columns=[("10/26", {"a": 4, "b": 4}), ("11/26", {})],
                                series=SERIES, title="12 tháng")
    root = _parse(svg)
    bars = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [r.find(f"{NS}title").text for r in bars] == ["10/26: Đúng hạn 4",
                                                         "10/26: Quá hạn <late> 4"]
    assert float(bars[1].get("y")) < float(bars[0].get("y"))
    empty = _parse(vertical_stacked_bars(columns=[], series=SERIES, title="trống"))
    assert empty.tag == f"{NS}svg"
