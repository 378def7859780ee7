"""The dashboard's charts: SVG drawn on the server, well-formed, named for screen readers,
labels escaped, bars and lines where their figures put them."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from gazette.support.charts import BOTTOM, HEIGHT, TOP, Chart, Series, format_value, scale

NS = {"svg": "http://www.w3.org/2000/svg"}
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))


def stacked() -> Chart:
    return Chart(
        key="received-usd",
        title="Received per month, USD",
        description="One-time and recurring, stacked.",
        categories=["January 2026", "February 2026", "March 2026"],
        axis_labels=["Jan 2026", "Feb", "Mar"],
        series=[
            Series("One-time", [Decimal("30"), Decimal("0"), Decimal("10.50")]),
            Series("Recurring", [Decimal("10"), Decimal("20"), Decimal("0")]),
        ],
        kind="stacked",
        unit="USD",
    )


def test_a_chart_names_itself_for_screen_readers():
    svg = parse(stacked())
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "received-usd-title received-usd-desc"
    assert svg.find("svg:title", NS).get("id") == "received-usd-title"
    assert svg.find("svg:title", NS).text == "Received per month, USD"
    assert svg.find("svg:desc", NS).text == "One-time and recurring, stacked."
    assert "style" not in str(stacked().svg)


def test_stacked_bars_stand_on_each_other_in_proportion():
    svg = parse(stacked())
    bars = svg.findall("svg:g[@class='gz-chart__plot']/svg:rect", NS)
    # Zero values draw nothing: four bars for six values.
    assert len(bars) == 4
    tips = [bar.find("svg:title", NS).text for bar in bars]
    assert tips == [
        "January 2026, One-time: 30.00 USD",
        "January 2026, Recurring: 10.00 USD",
        "February 2026, Recurring: 20.00 USD",
        "March 2026, One-time: 10.50 USD",
    ]
    # The axis tops at 40 (the tallest stack): heights are value / 40 of the plot.
    heights = [float(bar.get("height")) for bar in bars]
    assert heights == pytest.approx([PLOT_HEIGHT * v / 40 for v in (30, 10, 20, 10.5)], abs=0.02)
    january_one_time, january_recurring = bars[0], bars[1]
    assert january_one_time.get("x") == january_recurring.get("x")
    top_of_lower = float(january_one_time.get("y"))
    bottom_of_upper = float(january_recurring.get("y")) + float(january_recurring.get("height"))
    assert bottom_of_upper == pytest.approx(top_of_lower, abs=0.02)
    assert [bar.get("class") for bar in bars[:2]] == ["gz-chart__series-0", "gz-chart__series-1"]


def test_the_table_beside_a_stacked_chart_holds_its_figures_and_totals():
    assert stacked().rows() == [
        ("January 2026", ["30.00", "10.00"], "40.00"),
        ("February 2026", ["0.00", "20.00"], "20.00"),
        ("March 2026", ["10.50", "0.00"], "10.50"),
    ]


def test_grouped_bars_stand_side_by_side_and_counts_stay_whole():
    chart = Chart(
        key="gifts",
        title="New and cancelled",
        description="Counts.",
        categories=["May", "June"],
        series=[Series("New", [3, 1]), Series("Cancelled", [1, 0])],
        kind="grouped",
    )
    bars = parse(chart).findall("svg:g[@class='gz-chart__plot']/svg:rect", NS)
    assert len(bars) == 3
    assert float(bars[0].get("x")) < float(bars[1].get("x"))
    assert bars[0].get("y") != bars[1].get("y")
    assert chart.rows() == [("May", ["3", "1"], ""), ("June", ["1", "0"], "")]
    ticks = [t.text for t in parse(chart).findall("svg:g[@class='gz-chart__grid']/svg:text", NS)]
    assert ticks == ["0", "1", "2", "3"]  # no half gifts on the axis


def test_a_line_chart_joins_a_point_for_each_month():
    chart = Chart(
        key="mrr-eur",
        title="MRR, EUR",
        description="Monthly recurring revenue.",
        categories=["April", "May", "June"],
        series=[Series("Monthly recurring revenue", [Decimal("10"), Decimal("20"), Decimal(0)])],
        kind="line",
        unit="EUR",
    )
    svg = parse(chart)
    line = svg.find("svg:g[@class='gz-chart__plot']/svg:polyline", NS)
    points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    assert len(points) == 3 and points[0][0] < points[1][0] < points[2][0]
    assert points[2][1] == HEIGHT - BOTTOM  # zero sits on the axis
    assert points[1][1] == pytest.approx(TOP, abs=0.01)  # 20 tops the axis
    dots = svg.findall("svg:g[@class='gz-chart__plot']/svg:circle", NS)
    assert [d.find("svg:title", NS).text for d in dots][1] == (
        "May, Monthly recurring revenue: 20.00 EUR"
    )


def test_every_label_is_escaped_and_the_drawing_stays_well_formed():
    hostile = '<script>alert("x")</script> & Co'
    chart = Chart(
        key="k",
        title=f"Title {hostile}",
        description=f"Desc {hostile}",
        categories=[f"Month {hostile}"],
        series=[Series(f"Series {hostile}", [Decimal(5)])],
        kind="stacked",
        unit="USD",
    )
    markup = str(chart.svg)
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "&amp; Co" in markup
    svg = ET.fromstring(markup)
    assert svg.find("svg:title", NS).text == f"Title {hostile}"
    texts = [element.text for element in svg.iter() if element.text]
    assert f"Month {hostile}" in texts and f"Series {hostile}" in texts


def test_a_chart_with_nothing_to_show_still_draws_an_axis():
    chart = Chart(
        key="empty",
        title="Nothing yet",
        description="No gifts.",
        categories=["June"],
        series=[Series("New", [0])],
        kind="grouped",
    )
    svg = parse(chart)
    assert svg.findall("svg:g[@class='gz-chart__plot']/svg:rect", NS) == []
    assert svg.find("svg:g[@class='gz-chart__axis']/svg:text", NS).text == "June"


def test_mismatched_figures_and_unknown_kinds_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="'New' has a value for each category"):
        Chart(
            key="k", title="t", description="d", categories=["a", "b"], series=[Series("New", [1])]
        )
    with pytest.raises(ValueError, match="Unknown chart kind 'pie'"):
        Chart(key="k", title="t", description="d", categories=[], series=[], kind="pie")


def test_the_value_axis_rounds_up_to_a_plain_number():
    assert scale(95, whole=False) == (100, 25)
    assert scale(40, whole=False) == (40, 10)
    assert scale(1234, whole=False) == (1500, 500)
    assert scale(3, whole=True) == (3, 1)
    assert scale(0, whole=True) == (1, 1)
    assert format_value(Decimal("1234.5")) == "1,234.50" and format_value(1234) == "1,234"
