"""Charts for the fundraising dashboard, drawn here as SVG: no script, no third-party
library in the browser, nothing fetched. Colours and type come from the static
``support/dashboard.css`` through class names, so the markup carries no style attributes.

Each chart holds its figures as well as its drawing: the page shows them in a table beside
it, for screen readers and for anyone who wants the numbers. The SVG names itself with
<title> and <desc> (role="img", aria-labelledby). It is built with ElementTree, which
escapes every label and always yields well-formed XML.
"""

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils.safestring import SafeString, mark_safe

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 40, 40
KINDS = ("stacked", "grouped", "line")

Number = Decimal | int | float


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Number]


def format_value(value: Number) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{Decimal(value).quantize(Decimal('0.01')):,}"


def scale(peak: float, *, whole: bool) -> tuple[float, float]:
    """A round top for the value axis and its step, about four gridlines apart."""
    peak = max(peak, 1.0 if whole else 0.01)
    magnitude = 10 ** math.floor(math.log10(peak / 4))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if whole and not float(step).is_integer():
            continue
        if step * 4 >= peak:
            break
    return step * math.ceil(peak / step - 1e-9), step


def _tick_label(value: float, step: float) -> str:
    decimals = 0 if step >= 1 else (1 if round(step * 10, 6).is_integer() else 2)
    return f"{value:,.{decimals}f}"


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page: the id of the SVG's title and description
    title: str
    description: str
    categories: Sequence[str]  # full names, for the table and the tooltips
    series: Sequence[Series]
    kind: str = "stacked"
    unit: str = ""  # a currency code, or "" for counts
    axis_labels: Sequence[str] = field(default=())  # short names under the axis

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Unknown chart kind {self.kind!r}: use one of {', '.join(KINDS)}.")
        for series in self.series:
            if len(series.values) != len(self.categories):
                raise ValueError(f"Series {series.label!r} has a value for each category.")

    @property
    def whole(self) -> bool:
        return all(isinstance(v, int) for series in self.series for v in series.values)

    @property
    def shows_total(self) -> bool:
        return self.kind == "stacked" and len(self.series) > 1

    def rows(self) -> list[tuple[str, list[str], str]]:
        """The table's rows: category, each series' value, and the stack's total."""
        rows = []
        for index, category in enumerate(self.categories):
            values = [series.values[index] for series in self.series]
            total = format_value(sum(values, 0)) if self.shows_total else ""
            rows.append((category, [format_value(v) for v in values], total))
        return rows

    @cached_property
    def svg(self) -> SafeString:
        # ElementTree escaped every text and attribute value.
        return mark_safe(ET.tostring(self._drawing(), encoding="unicode"))  # noqa: S308

    # The drawing

    def _peak(self) -> float:
        columns = list(zip(*(series.values for series in self.series), strict=True))
        if not columns:
            return 0.0
        if self.kind == "stacked":
            return float(max(sum(column, 0) for column in columns))
        return float(max(max(column) for column in columns))

    def _drawing(self) -> ET.Element:
        svg = ET.Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "viewBox": f"0 0 {WIDTH} {HEIGHT}",
                "class": f"gz-chart gz-chart--{self.kind}",
                "role": "img",
                "aria-labelledby": f"{self.key}-title {self.key}-desc",
            },
        )
        ET.SubElement(svg, "title", id=f"{self.key}-title").text = self.title
        ET.SubElement(svg, "desc", id=f"{self.key}-desc").text = self.description
        top, step = scale(self._peak(), whole=self.whole)
        self._grid(svg, top, step)
        plot = ET.SubElement(svg, "g", {"class": "gz-chart__plot"})
        if self.kind == "line":
            self._lines(plot, top)
        else:
            self._bars(plot, top)
        self._axis(svg)
        self._legend(svg)
        return svg

    @property
    def _band(self) -> float:
        return (WIDTH - LEFT - RIGHT) / max(len(self.categories), 1)

    def _y(self, value: float, top: float) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * value / top, 2)

    def _grid(self, svg: ET.Element, top: float, step: float) -> None:
        grid = ET.SubElement(svg, "g", {"class": "gz-chart__grid", "aria-hidden": "true"})
        for tick in range(round(top / step) + 1):
            value = tick * step
            y = str(self._y(value, top))
            ET.SubElement(grid, "line", x1=str(LEFT), x2=str(WIDTH - RIGHT), y1=y, y2=y)
            label = ET.SubElement(grid, "text", {"x": str(LEFT - 6), "y": y, "dy": "0.32em"})
            label.set("text-anchor", "end")
            label.text = _tick_label(value, step)

    def _tooltip(self, element: ET.Element, index: int, series: Series, value: Number) -> None:
        unit = f" {self.unit}" if self.unit else ""
        text = f"{self.categories[index]}, {series.label}: {format_value(value)}{unit}"
        ET.SubElement(element, "title").text = text

    def _bars(self, plot: ET.Element, top: float) -> None:
        band, count = self._band, len(self.series)
        width = band * 0.7 if self.kind == "stacked" else band * 0.8 / max(count, 1)
        for index in range(len(self.categories)):
            left = LEFT + band * index + band * 0.15 if self.kind == "stacked" else 0
            base = 0.0
            for number, series in enumerate(self.series):
                value = float(series.values[index])
                if self.kind == "stacked":
                    x, low, high = left, base, base + value
                    base = high
                else:
                    x = LEFT + band * index + band * 0.1 + width * number
                    low, high = 0.0, value
                if value <= 0:
                    continue
                y = self._y(high, top)
                rect = ET.SubElement(
                    plot,
                    "rect",
                    {
                        "class": f"gz-chart__series-{number}",
                        "x": str(round(x, 2)),
                        "y": str(y),
                        "width": str(round(width, 2)),
                        "height": str(round(self._y(low, top) - y, 2)),
                    },
                )
                self._tooltip(rect, index, series, series.values[index])

    def _lines(self, plot: ET.Element, top: float) -> None:
        band = self._band
        for number, series in enumerate(self.series):
            points = [
                (round(LEFT + band * (index + 0.5), 2), self._y(float(value), top))
                for index, value in enumerate(series.values)
            ]
            ET.SubElement(
                plot,
                "polyline",
                {
                    "class": f"gz-chart__line gz-chart__series-{number}",
                    "points": " ".join(f"{x},{y}" for x, y in points),
                },
            )
            for index, (x, y) in enumerate(points):
                dot = ET.SubElement(
                    plot,
                    "circle",
                    {"class": f"gz-chart__series-{number}", "cx": str(x), "cy": str(y), "r": "3"},
                )
                self._tooltip(dot, index, series, series.values[index])

    def _axis(self, svg: ET.Element) -> None:
        axis = ET.SubElement(svg, "g", {"class": "gz-chart__axis", "aria-hidden": "true"})
        y = str(HEIGHT - BOTTOM)
        ET.SubElement(axis, "line", x1=str(LEFT), x2=str(WIDTH - RIGHT), y1=y, y2=y)
        labels = list(self.axis_labels) or list(self.categories)
        every = max(1, math.ceil(len(labels) / 13))  # room for about 13 labels
        for index, text in enumerate(labels):
            if index % every:
                continue
            label = ET.SubElement(
                axis,
                "text",
                {"x": str(round(LEFT + self._band * (index + 0.5), 2)), "y": str(HEIGHT - 20)},
            )
            label.set("text-anchor", "middle")
            label.text = text

    def _legend(self, svg: ET.Element) -> None:
        legend = ET.SubElement(svg, "g", {"class": "gz-chart__legend", "aria-hidden": "true"})
        x = LEFT
        for number, series in enumerate(self.series):
            ET.SubElement(
                legend,
                "rect",
                {
                    "class": f"gz-chart__series-{number}",
                    "x": str(x),
                    "y": "10",
                    "width": "12",
                    "height": "12",
                },
            )
            label = ET.SubElement(legend, "text", {"x": str(x + 18), "y": "20"})
            label.text = series.label
            # Room for the label at about 7 units a character.
            x += 18 + 7 * len(series.label) + 24
