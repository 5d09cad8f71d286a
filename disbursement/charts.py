"""Charts: one kept library (Apache ECharts 6, served from backend/static/vendor) used the same way everywhere.

A view builds an ECharts option here (plain data: categories, series, thresholds), the template renders it with
`{% include "_chart.html" with chart=… name="…" %}` as a JSON data block, and backend/static/js/charts.js draws
every `[data-chart]` element. Options carry no functions (they travel as JSON); charts.js adds the yuan formatter
where `yuan` is set and follows `links` on a click, so drill-down charts open the page of the bar clicked.
Labels come in already translated: the chart speaks the page's language.
"""

from collections.abc import Mapping, Sequence

# The bands' colours, shared by the treasury pages, the maps and the charts (red, yellow, grey-blue, green).
BAND_COLOURS = {"warning": "#c62828", "low": "#f9a825", "normal": "#78909c", "idle": "#2e7d32"}
PALETTE = ["#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#8d6e63", "#546e7a"]


def _base(*, title: str = "", yuan: bool = False, links: Mapping[str, str] | None = None) -> dict:
    option = {
        "color": PALETTE,
        "animation": False,
        # richText draws the tooltip on the canvas: no HTML with style attributes, which the CSP would refuse.
        "tooltip": {"trigger": "axis", "renderMode": "richText", "confine": True},
        "grid": {"left": 8, "right": 16, "top": 36 if title else 16, "bottom": 8, "containLabel": True},
        "yuan": yuan,
    }
    if title:
        option["title"] = {"text": title, "textStyle": {"fontSize": 14}}
    if links:
        option["links"] = dict(links)
    return option


def bar_chart(categories: Sequence[str], series: Mapping[str, Sequence[float]], *, title: str = "",
              yuan: bool = True, horizontal: bool = False, stacked: bool = False,
              links: Mapping[str, str] | None = None) -> dict:
    """Bars per category, one colour per series. Values in yuan (not fen) when `yuan`; `links` maps a category
    to the page a click on its bar opens."""
    option = _base(title=title, yuan=yuan, links=links)
    category_axis = {"type": "category", "data": list(categories),
                     "axisLabel": {"interval": 0 if horizontal else "auto"}}
    value_axis = {"type": "value"}
    option["xAxis"], option["yAxis"] = (value_axis, category_axis) if horizontal else (category_axis, value_axis)
    if len(series) > 1:
        option["legend"] = {"top": 0, "right": 0}
    option["series"] = [{"type": "bar", "name": name, "data": [_number(v) for v in values],
                         **({"stack": "total"} if stacked else {})} for name, values in series.items()]
    return option


def line_chart(x: Sequence[str], series: Mapping[str, Sequence[float | None]], *, title: str = "",
               yuan: bool = False, thresholds: Sequence[tuple[str, float, str]] = (),
               bands: Sequence[tuple[float | None, float | None, str]] = (),
               links: Mapping[str, str] | None = None) -> dict:
    """Lines over x (dates or months). `thresholds` are horizontal lines (label, value, colour) drawn on the first
    series; `bands` shade value ranges (low, high, colour; None for open-ended) behind it."""
    option = _base(title=title, yuan=yuan, links=links)
    option["xAxis"] = {"type": "category", "data": list(x), "boundaryGap": False}
    option["yAxis"] = {"type": "value", "scale": True}
    if len(series) > 1:
        option["legend"] = {"top": 0, "right": 0}
    option["series"] = [{"type": "line", "name": name, "data": [_number(v) for v in values], "showSymbol": False}
                        for name, values in series.items()]
    if option["series"] and thresholds:
        option["series"][0]["markLine"] = {
            "symbol": "none", "silent": True,
            "data": [{"yAxis": value, "name": label, "lineStyle": {"color": colour, "type": "dashed"},
                      "label": {"formatter": label, "position": "insideEndTop", "color": colour}}
                     for label, value, colour in thresholds]}
    if option["series"] and bands:
        option["series"][0]["markArea"] = {
            "silent": True,
            "data": [[{"yAxis": low if low is not None else "min", "itemStyle": {"color": colour, "opacity": 0.08}},
                      {"yAxis": high if high is not None else "max"}] for low, high, colour in bands]}
    return option


def pie_chart(parts: Mapping[str, float], *, title: str = "", yuan: bool = True,
              links: Mapping[str, str] | None = None) -> dict:
    option = _base(title=title, yuan=yuan, links=links)
    option["tooltip"] = {"trigger": "item", "renderMode": "richText", "confine": True}
    option["series"] = [{"type": "pie", "radius": ["35%", "65%"],
                         "data": [{"name": name, "value": _number(v)} for name, v in parts.items()]}]
    return option


def flow_chart(nodes: Sequence[str], links: Sequence[tuple[str, str, float]], *, title: str = "",
               yuan: bool = True) -> dict:
    """A Sankey picture of money moving between stages (source, target, amount); amounts label the arrows."""
    option = _base(title=title, yuan=yuan)
    option["tooltip"] = {"trigger": "item", "renderMode": "richText", "confine": True}
    option["series"] = [{
        "type": "sankey", "layoutIterations": 0, "nodeAlign": "left", "emphasis": {"focus": "adjacency"},
        "data": [{"name": name} for name in nodes],
        "links": [{"source": s, "target": t, "value": _number(v)} for s, t, v in links if v],
        "edgeLabel": {"show": True}, "lineStyle": {"color": "gradient", "opacity": 0.4},
    }]
    return option


def _number(value):
    """JSON numbers only: Decimal and numpy scalars become float, missing stays None (a gap in a line)."""
    if value is None:
        return None
    return float(value) if not isinstance(value, int) else value
