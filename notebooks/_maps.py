"""A folium choropleth of counties that works offline, as the supervision pages' maps do: no tile layer, no CDN.

folium links Leaflet, jQuery, Bootstrap and icon fonts from CDNs by default and branca's colour scale pulls d3;
here the defaults are dropped, the vendored Leaflet (backend/static/vendor) is inlined, and the legend is HTML.
"""

import html

import folium
import numpy as np
import pandas as pd
from _db import leaflet_assets

# Five sequential classes (light → dark), grey for no data.
CLASSES = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#d9d9d9"


def quantile_breaks(values: pd.Series, classes: int = len(CLASSES)) -> list[float]:
    """Upper bounds of up to five quantile classes of the values present (fewer when values repeat)."""
    present = values.dropna()
    if present.empty:
        return []
    return sorted(set(np.quantile(present, [(i + 1) / classes for i in range(classes)]).tolist()))


def colour_for(value, breaks: list[float]) -> str:
    if value is None or pd.isna(value):
        return NO_DATA
    for index, bound in enumerate(breaks):
        if value <= bound:
            return CLASSES[index]
    return CLASSES[-1]


def county_choropleth(geojson: dict, table: pd.DataFrame, *, value: str, title: str,
                      tooltip: dict[str, str]) -> folium.Map:
    """Colour each county feature by `table[value]` (indexed by code). `tooltip` maps table columns to the
    labels shown; every feature gets every field (folium checks only the first)."""
    breaks = quantile_breaks(table[value])
    features = []
    for feature in geojson["features"]:
        code = feature["properties"]["code"]
        row = table.loc[code] if code in table.index else None
        shown = {label: ("—" if row is None or pd.isna(row[column]) else str(row[column]))
                 for column, label in tooltip.items()}
        colour = colour_for(None if row is None else row[value], breaks)
        features.append({**feature, "properties": {**feature["properties"], **shown, "colour": colour}})
    collection = {"type": "FeatureCollection", "features": features}

    figure_map = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    figure_map.default_js, figure_map.default_css = [], []  # nothing from a CDN; Leaflet is inlined below
    script, style = leaflet_assets()
    header = figure_map.get_root().header
    header.add_child(folium.Element(f"<style>{style}</style>"), name="leaflet_css")
    header.add_child(folium.Element(f"<script>{script}</script>"), name="leaflet_js")
    layer = folium.GeoJson(
        collection, name=title,
        style_function=lambda feature: {"fillColor": feature["properties"]["colour"], "color": "#555555",
                                        "weight": 0.8, "fillOpacity": 0.85},
        tooltip=folium.GeoJsonTooltip(fields=["name", *tooltip.values()], aliases=["", *tooltip.values()]),
    )
    layer.add_to(figure_map)
    if features:
        figure_map.fit_bounds(layer.get_bounds())
    legend = [f'<div class="legend-title">{html.escape(title)}</div>']
    lower = None
    for index, bound in enumerate(breaks):
        span = f"≤ {bound:,.2f}" if lower is None else f"{lower:,.2f} – {bound:,.2f}"
        legend.append(f'<div><i class="swatch-{index}"></i>{span}</div>')
        lower = bound
    legend.append('<div><i class="swatch-none"></i>无数据</div>')
    swatches = "".join(f".swatch-{i}{{background:{colour}}}" for i, colour in enumerate(CLASSES))
    figure_map.get_root().html.add_child(folium.Element(
        "<style>.map-legend{position:absolute;top:12px;right:12px;z-index:1000;background:#fff;padding:6px 8px;"
        "font:12px sans-serif;border:1px solid #999}.map-legend i{display:inline-block;width:14px;height:10px;"
        f"margin-right:6px}}{swatches}.swatch-none{{background:{NO_DATA}}}</style>"
        f'<div class="map-legend">{"".join(legend)}</div>'))
    return figure_map

