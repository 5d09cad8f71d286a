"""Choropleth maps of a measure by county (folium), served fully offline.

A map document is one folium Figure: Leaflet from our static files (or inlined into an exported file), no tile
layer, county polygons coloured by class, the outlines of the cities (province map) or of the city (city map) drawn
on top without catching the mouse. folium's other default assets (jQuery, Bootstrap, icon fonts) are dropped and
its colour legend (branca, which loads d3 from a CDN) is not used: the legend is plain HTML (`legend`).

Colours:
- amounts and ratios (paid per household, paid per person, alerts per 10,000 payments): five quantile classes of
  the counties on the map that have a value (fewer when fewer distinct values), sequential blues (alerts: reds);
- change against the previous year: diverging, fixed breaks at -20 %, -5 %, +5 %, +20 %;
- treasury band: the four band colours of disbursement.charts.BAND_COLOURS;
- no value: grey.
"""

import base64
import functools
import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

import folium
from branca.element import Element, MacroElement
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.translation import gettext as _
from folium.template import Template

from disbursement.charts import BAND_COLOURS
from geo import codes

BOUNDARIES = Path(settings.BASE_DIR) / "geo" / "data" / "hunan_boundaries.geojson"
LEAFLET = "vendor/leaflet-1.9.4"

NO_DATA = "#bdbdbd"
BLUES = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
REDS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
DIVERGING = ("#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac")
CHANGE_BREAKS = (-0.20, -0.05, 0.05, 0.20)
# Band order from the worst (the legend's order); rows carry the band key in MeasureRow.band.
BANDS = ("warning", "low", "normal", "idle")
BAND_LABELS = {"warning": "库款预警", "low": "库款偏低", "normal": "库款正常", "idle": "库款闲置"}


# ----------------------------------------------------------------------------------------------- boundaries


@functools.cache
def _boundaries() -> dict[str, dict]:
    """Every feature of the boundaries file by code, parsed once per process (the file is ~0.5 MB)."""
    with open(BOUNDARIES, encoding="utf-8") as handle:
        collection = json.load(handle)
    return {feature["properties"]["code"]: feature for feature in collection["features"]}


def boundary_codes(*, level: str, within: str | None = None) -> list[str]:
    """Codes of the polygons of one level (city or county), inside `within` when given, in code order."""
    return sorted(code for code, feature in _boundaries().items()
                  if feature["properties"]["level"] == level and (within is None or codes.is_within(code, within)))


@dataclass(frozen=True)
class MapShapes:
    areas: list[str]     # coloured, clickable: counties
    outlines: list[str]  # drawn on top, not interactive: cities (or the city itself)


def map_shapes(*, region_code: str) -> MapShapes:
    """The polygons of a map of `region_code`: the province → every county and the city outlines; a city → its
    counties and its own outline; a county → itself."""
    level = codes.region_level(region_code)
    if level == "province":
        return MapShapes(boundary_codes(level="county"), boundary_codes(level="city"))
    if level == "city":
        return MapShapes(boundary_codes(level="county", within=region_code),
                         [region_code] if region_code in _boundaries() else [])
    return MapShapes([region_code] if region_code in _boundaries() else [], [])


def _bounds(feature_codes: list[str]) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the features' coordinates."""
    lons, lats = [], []
    for code in feature_codes:
        for polygon in _boundaries()[code]["geometry"]["coordinates"]:
            for ring in polygon:
                for lon, lat in ring:
                    lons.append(lon)
                    lats.append(lat)
    if not lons:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


# -------------------------------------------------------------------------------------------------- colours


@dataclass(frozen=True)
class LegendClass:
    colour: str
    label: str


@dataclass(frozen=True)
class Scale:
    measure: str
    classes: list[LegendClass]
    breaks: tuple[float, ...] = ()

    def colour(self, row) -> str:
        if self.measure == "treasury_band":
            band = row_band(row)
            return BAND_COLOURS[band] if band else NO_DATA
        if row is None or row.value is None:
            return NO_DATA
        return self.classes[bisect_right(self.breaks, row.value)].colour


def row_band(row) -> str | None:
    """The treasury band key of a measure row (warning/low/normal/idle), None without one."""
    band = getattr(row, "band", None) if row is not None else None
    return band if band in BAND_COLOURS else None


def _amount(value: float) -> str:
    return f"{value:,.2f}"


def _rate(value: float) -> str:
    return f"{value:,.1f}"


def _percent(value: float) -> str:
    return f"{value * 100:+.0f}%"


def scale_for(*, measure: str, values: list[float | None]) -> Scale:
    """The colour classes of a measure over the values on the map (see the module docstring)."""
    if measure == "treasury_band":
        return Scale(measure, [LegendClass(BAND_COLOURS[band], BAND_LABELS[band]) for band in BANDS]
                     + [LegendClass(NO_DATA, _("No data"))])
    if measure == "change_vs_previous_year":
        edges = [_percent(b) for b in CHANGE_BREAKS]
        labels = [f"< {edges[0]}", *(f"{edges[i]} – {edges[i + 1]}" for i in range(len(edges) - 1)), f"≥ {edges[-1]}"]
        return Scale(measure, [LegendClass(c, label) for c, label in zip(DIVERGING, labels, strict=True)]
                     + [LegendClass(NO_DATA, _("No data"))], CHANGE_BREAKS)
    present = sorted(v for v in values if v is not None)
    palette = REDS if measure == "alerts_per_10k" else BLUES
    number = _rate if measure == "alerts_per_10k" else _amount
    # Quintile breaks: a value equal to a break goes to the class above it (bisect_right). Each class is labelled
    # with the lowest and highest value in it, so the legend never names a range no county has.
    breaks = tuple(sorted({present[len(present) * i // 5] for i in range(1, 5)} - {present[0]})) if present else ()
    members: dict[int, list[float]] = {}
    for value in present:
        members.setdefault(bisect_right(breaks, value), []).append(value)
    classes = []
    for i in range(len(breaks) + 1 if present else 0):
        low, high = members[i][0], members[i][-1]
        label = number(low) if low == high else f"{number(low)} – {number(high)}"
        colour = palette[round(i * (len(palette) - 1) / len(breaks))] if breaks else palette[2]
        classes.append(LegendClass(colour, label))
    return Scale(measure, classes + [LegendClass(NO_DATA, _("No data"))], breaks)


def map_scale(*, region_code: str, measure: str, rows: list) -> Scale:
    """The scale of a map: classes over the rows that have a polygon on it (statistical zones have none)."""
    areas = set(map_shapes(region_code=region_code).areas)
    return scale_for(measure=measure, values=[row.value for row in rows if row.code in areas])


# ------------------------------------------------------------------------------------------------- the map


class _Click(MacroElement):
    """A click on a county opens its drill-down in the top window (the map lives in an iframe)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.layer.get_name() }}.on("click", function (event) {
            var url = event.layer.feature.properties.url;
            if (url) { window.top.location.href = url; }
        });
        {% endmacro %}
    """)

    def __init__(self, layer):
        super().__init__()
        self._name = "Click"
        self.layer = layer


class _Raw(Element):
    """Text put into the document as it is: branca's Element would compile it as a Jinja template (Leaflet's
    150 KB of script, our own styles), costly and wrong for any text holding braces."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


_TAG = re.compile(r"<(script|style)(?=[\s>])")


def _leaflet_inline() -> tuple[str, str]:
    """Leaflet's script and stylesheet text, with the stylesheet's images as data: URIs (for exported files)."""
    folder = Path(finders.find(f"{LEAFLET}/leaflet.js")).parent
    script = (folder / "leaflet.js").read_text(encoding="utf-8")
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        image = folder / match.group(1)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode('ascii')})"

    return script, re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)


@dataclass(frozen=True)
class MapDocument:
    html: str
    scale: Scale


def map_document(*, region_code: str, measure: str, measure_label: str, rows: list, drill_url,
                 nonce: str | None = None, standalone: bool = False, title: str = "",
                 legend_html: str = "") -> MapDocument:
    """One map's HTML document.

    `rows` are measure rows (code, name, value, display, figures); `drill_url(code)` the drill-down URL of a
    county. `nonce` goes on every <script>/<style> (the frame's CSP allows only those); `standalone` inlines
    Leaflet (an exported file needs nothing else) and adds `legend_html` to the document.
    """
    by_code = {row.code: row for row in rows}
    shapes = map_shapes(region_code=region_code)
    scale = map_scale(region_code=region_code, measure=measure, rows=rows)
    # str(): labels may be lazy translations (the treasury bands'), which JSON cannot carry.
    figure_keys = [str(key) for key in rows[0].figures] if rows else []

    features = []
    for code in shapes.areas:
        feature = _boundaries()[code]
        row = by_code.get(code)
        properties = {"code": code, "name": feature["properties"]["name"],
                      "display": str(row.display) if row and row.display else _("No data"),
                      "url": drill_url(code), "colour": scale.colour(row)}
        # Every feature carries every tooltip field (folium checks the first feature only).
        values = [str(value) if value not in (None, "") else "—" for value in row.figures.values()] if row else []
        values += ["—"] * (len(figure_keys) - len(values))
        properties.update({f"f{i}": value for i, value in enumerate(values[:len(figure_keys)])})
        features.append({"type": "Feature", "properties": properties, "geometry": feature["geometry"]})
    outlines = [{"type": "Feature", "properties": {"code": c}, "geometry": _boundaries()[c]["geometry"]}
                for c in shapes.outlines]

    fmap = folium.Map(tiles=None, location=[27.6, 111.7], zoom_start=7, zoom_snap=0.25, attribution_control=False)
    # Only Leaflet, and only from us: folium's default CDN list (jQuery, Bootstrap, icon fonts) is replaced.
    fmap.default_js, fmap.default_css = [], []
    figure = fmap.get_root()
    figure.title = title
    if standalone:
        script, css = _leaflet_inline()
        figure.header.add_child(_Raw(f"<style>{css}</style>\n<script>{script}</script>"), name="leaflet")
    else:
        figure.header.add_child(_Raw(
            f'<link rel="stylesheet" href="{static(LEAFLET + "/leaflet.css")}">\n'
            f'<script src="{static(LEAFLET + "/leaflet.js")}"></script>'), name="leaflet")
    figure.header.add_child(_Raw(
        "<style>.foliumtooltip td { text-align: right; } .leaflet-container { background: #fff; }"
        " .map-legend { position: absolute; right: 8px; bottom: 8px; z-index: 1000; background: #fff;"
        " padding: 6px 8px; font: 13px sans-serif; border: 1px solid #ccc; }"
        " .map-legend ul { list-style: none; margin: 0; padding: 0; } .map-legend svg { vertical-align: middle; }"
        "</style>"), name="map_style")

    if features:
        areas = folium.GeoJson(
            {"type": "FeatureCollection", "features": features}, name="areas",
            # className marks each county's path with its code (Leaflet applies it when the path is created).
            style_function=lambda f: {"fillColor": f["properties"]["colour"], "fillOpacity": 0.85, "color": "#555",
                                      "weight": 0.8, "className": f"county-{f['properties']['code']}"},
            highlight_function=lambda f: {"weight": 2.5, "color": "#000"},
            tooltip=folium.GeoJsonTooltip(fields=["name", "display", *(f"f{i}" for i in range(len(figure_keys)))],
                                          aliases=[_("Region"), measure_label, *figure_keys], sticky=True),
        ).add_to(fmap)
        _Click(areas).add_to(fmap)
    if outlines:
        folium.GeoJson({"type": "FeatureCollection", "features": outlines}, name="outlines", interactive=False,
                       style_function=lambda f: {"fill": False, "color": "#222", "weight": 2}).add_to(fmap)
    bounds = _bounds(shapes.areas or shapes.outlines)
    if bounds:
        fmap.fit_bounds(bounds)
    if standalone and legend_html:
        figure.html.add_child(_Raw(legend_html), name="legend")

    html = figure.render()
    if nonce:
        html = _TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', html)
    return MapDocument(html, scale)
