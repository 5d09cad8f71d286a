"""The supervision maps: the frame and the exported file load nothing from another host, every measure colours
the counties and carries every tooltip field on every feature, jurisdiction answers 404, bad parameters 400."""

import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from disbursement.accounts.roles import Role
from disbursement.charts import BAND_COLOURS
from disbursement.supervision import maps
from disbursement.supervision.measures import MEASURES
from disbursement.supervision.services import facts_refresh
from tests.conftest import CHANGSHA_CITY, SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.supervision_builders import small_world

pytestmark = pytest.mark.django_db

# An asset from another host: a script or stylesheet link with an absolute http(s) URL, or a tile template.
EXTERNAL_ASSET = re.compile(
    r"<script[^>]*\ssrc=[\"']?(?:https?:)?//|<link[^>]*\shref=[\"']?(?:https?:)?//|tileLayer\(|https?://[^\"'\s]*\{z\}",
    re.IGNORECASE)
XIANGTAN_COUNTIES = maps.boundary_codes(level="county", within=XIANGTAN_CITY)


@pytest.fixture
def city_supervisor(make_user, page_client):
    small_world()
    facts_refresh()
    return page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))


def _areas(html: str) -> tuple[list[dict], list[str]]:
    """The county features the document adds (the first GeoJSON layer) and its tooltip's fields."""
    data = re.search(r"_add\((\{.*?\})\);\n", html).group(1)
    fields = json.loads(re.search(r"let fields = (\[.*?\]);", html).group(1))
    return json.loads(data)["features"], fields


def test_the_frame_and_the_export_load_nothing_from_another_host(city_supervisor):
    for measure in MEASURES:
        frame = city_supervisor.get("/supervision/map/frame/", {"measure": measure, "year": 2026})
        export = city_supervisor.get("/supervision/map/export/", {"measure": measure, "year": 2026})
        assert frame.status_code == 200 and export.status_code == 200
        for html in (frame.content.decode(), export.content.decode()):
            assert not EXTERNAL_ASSET.search(html)
            assert "L.map(" in html
        # The exported file needs nothing at all: Leaflet's script and stylesheet are inside it.
        exported = export.content.decode()
        assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=", exported)
        assert "L.version" in exported or '"1.9.4"' in exported
        assert re.search(r'<script nonce="[^"]+" src="/static/vendor/leaflet-1.9.4/leaflet(\.\w+)?\.js">',
                         frame.content.decode())


def test_every_measure_colours_the_counties_and_every_feature_carries_every_tooltip_field(city_supervisor):
    for measure in MEASURES:
        html = city_supervisor.get("/supervision/map/frame/", {"measure": measure, "year": 2026}).content.decode()
        features, fields = _areas(html)
        assert [f["properties"]["code"] for f in features] == XIANGTAN_COUNTIES
        # The name, the measure's value and every figure of the measure rows (the table's columns on the page).
        figure_keys = city_supervisor.get("/supervision/map/", {"measure": measure, "year": 2026}).context[
            "figure_keys"]
        assert len(figure_keys) >= 5 and fields == ["name", "display", *(f"f{i}" for i in range(len(figure_keys)))]
        for feature in features:
            properties = feature["properties"]
            assert all(properties.get(field) not in (None, "") for field in fields), (measure, properties)
            assert properties["url"] == f"/supervision/regions/{properties['code']}/"


def test_paid_per_household_is_classed_by_quintiles_and_counties_without_payments_are_grey(city_supervisor):
    html = city_supervisor.get("/supervision/map/frame/", {"year": 2026}).content.decode()
    by_code = {f["properties"]["code"]: f["properties"] for f in _areas(html)[0]}
    # 湘潭县: 1,000.00 paid to 3 households; 韶山市: 500.00 to 1 (tests/disbursement/supervision_builders.py).
    assert "333.33" in by_code[XIANGTAN_COUNTY]["display"]
    assert "500.00" in by_code[SHAOSHAN_CITY]["display"]
    assert by_code[XIANGTAN_COUNTY]["colour"] == maps.BLUES[0]
    assert by_code[SHAOSHAN_CITY]["colour"] == maps.BLUES[-1]
    assert {by_code[c]["colour"] for c in XIANGTAN_COUNTIES if c not in (XIANGTAN_COUNTY, SHAOSHAN_CITY)} == {
        maps.NO_DATA}


def test_scales_per_measure():
    change = maps.scale_for(measure="change_vs_previous_year", values=[0.25, -0.1])
    assert [c.colour for c in change.classes] == [*maps.DIVERGING, maps.NO_DATA]
    assert change.breaks == maps.CHANGE_BREAKS
    band = maps.scale_for(measure="treasury_band", values=[])
    assert [c.colour for c in band.classes] == [BAND_COLOURS[b] for b in maps.BANDS] + [maps.NO_DATA]
    amounts = maps.scale_for(measure="paid_per_person", values=[float(v) for v in range(1, 11)])
    assert amounts.breaks == (3.0, 5.0, 7.0, 9.0)
    assert [c.colour for c in amounts.classes] == [*maps.BLUES, maps.NO_DATA]
    alerts = maps.scale_for(measure="alerts_per_10k", values=[None, 2.0])
    assert [c.colour for c in alerts.classes] == [maps.REDS[2], maps.NO_DATA]


def test_the_province_map_has_every_county_and_the_city_outlines():
    shapes = maps.map_shapes(region_code="430000000000")
    assert len(shapes.areas) == 122 and len(shapes.outlines) == 14
    assert maps.map_shapes(region_code=XIANGTAN_CITY) == maps.MapShapes(XIANGTAN_COUNTIES, [XIANGTAN_CITY])
    assert maps.map_shapes(region_code=XIANGTAN_COUNTY) == maps.MapShapes([XIANGTAN_COUNTY], [])


def test_the_frame_alone_may_run_its_inline_scripts_by_nonce_and_be_framed_by_us(city_supervisor):
    frame = city_supervisor.get("/supervision/map/frame/", {"year": 2026})
    policy = frame["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert re.search(rf"script-src 'self' 'nonce-{re.escape(nonce)}'", policy)
    assert re.search(rf"style-src 'self' 'nonce-{re.escape(nonce)}'", policy)
    assert "frame-ancestors 'self'" in policy and frame["X-Frame-Options"] == "SAMEORIGIN"
    tags = re.findall(r"<(?:script|style)\b[^>]*>", frame.content.decode())
    assert tags and all(f'nonce="{nonce}"' in tag for tag in tags)
    again = city_supervisor.get("/supervision/map/frame/", {"year": 2026})
    assert re.search(r"'nonce-([^']+)'", again["Content-Security-Policy"]).group(1) != nonce

    page = city_supervisor.get("/supervision/map/", {"year": 2026})
    assert page.status_code == 200
    assert "nonce" not in page["Content-Security-Policy"] and "frame-ancestors 'none'" in page[
        "Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    html = page.content.decode()
    assert 'id="map-frame" src="/supervision/map/frame/?measure=paid_per_household&amp;year=2026&amp;region=' \
           f'{XIANGTAN_CITY}"' in html
    assert all(f'data-code="{code}"' in html for code in XIANGTAN_COUNTIES)
    assert 'id="map-as-of"' in html  # the facts' refresh time


def test_the_export_is_an_attachment_named_for_its_map_with_the_legend_and_absolute_drill_down_links(
        city_supervisor):
    export = city_supervisor.get("/supervision/map/export/", {"measure": "alerts_per_10k", "year": 2026})
    assert export["Content-Disposition"] == f'attachment; filename="map-alerts_per_10k-2026-{XIANGTAN_CITY}.html"'
    html = export.content.decode()
    assert 'id="map-legend"' in html
    features, _fields = _areas(html)
    assert features[0]["properties"]["url"] == f"http://testserver/supervision/regions/{features[0]['properties']['code']}/"
    assert "url(data:image/png;base64," in html and "url(images/" not in html


def test_the_default_year_is_the_latest_with_payments(city_supervisor):
    page = city_supervisor.get("/supervision/map/")
    assert page.status_code == 200
    assert page.context["query"].year == 2026 and page.context["query"].measure == "paid_per_household"


MAP_URLS = ("/supervision/map/", "/supervision/map/frame/", "/supervision/map/export/")


def test_regions_out_of_reach_answer_404_and_users_without_a_map_role_403(make_user, page_client):
    county = page_client(make_user(Role.SUPERVISOR, XIANGTAN_COUNTY))
    city = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    finance = page_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    clerk = page_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    for url in MAP_URLS:
        assert county.get(url, {"year": 2026}).status_code == 200  # its own county by default
        for outside in (XIANGTAN_CITY, "430000000000", SHAOSHAN_CITY):
            assert county.get(url, {"region": outside}).status_code == 404, (url, outside)
        assert city.get(url, {"region": CHANGSHA_CITY}).status_code == 404
        assert city.get(url, {"region": "439900000000"}).status_code == 404  # well formed, no such region
        assert finance.get(url).status_code == 200
        assert clerk.get(url).status_code == 403


BAD_QUERIES = [
    {"measure": "paid_per_hectare"}, {"measure": "<script>"}, {"year": "20x6"}, {"year": "99999"},
    {"year": "1999"}, {"region": "4303"}, {"region": "x" * 5000}, {"region": YISUHE_TOWN}, {"item": "9999"},
    {"item": "0401' OR 1=1"}, {"category": "nope"},
]


def test_bad_parameters_answer_400_with_the_reason(make_user, page_client):
    client = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    for url in MAP_URLS:
        for query in BAD_QUERIES:
            response = client.get(url, query)
            assert response.status_code == 400, (url, query)
            if url == "/supervision/map/":
                assert b'id="map-refused"' in response.content
    # The reason is named on the page, the frame and the export alike.
    assert client.get("/supervision/map/frame/", {"measure": "x"}).content.decode() == "Unknown measure."


def test_the_treasury_band_map_uses_the_band_colours(city_supervisor):
    from disbursement.treasury.models import TreasuryLevel

    day = timezone.localdate()
    TreasuryLevel.objects.create(region_id=XIANGTAN_COUNTY, day=day, closing_fen=100, avg_monthly_outflow_fen=1000,
                                 level=Decimal("0.1"), band="warning")
    TreasuryLevel.objects.create(region_id=SHAOSHAN_CITY, day=day, closing_fen=9000, avg_monthly_outflow_fen=1000,
                                 level=Decimal("9"), band="idle")
    html = city_supervisor.get("/supervision/map/frame/", {"measure": "treasury_band", "year": 2026}).content.decode()
    colours = {f["properties"]["code"]: f["properties"]["colour"] for f in _areas(html)[0]}
    assert colours[XIANGTAN_COUNTY] == BAND_COLOURS["warning"] and colours[SHAOSHAN_CITY] == BAND_COLOURS["idle"]
    assert {colours[c] for c in XIANGTAN_COUNTIES if c not in (XIANGTAN_COUNTY, SHAOSHAN_CITY)} == {maps.NO_DATA}
