"""The supervision map in the real browser, as the 湘潭市 city supervisor: Leaflet draws the city's outline and
its counties inside the frame from our own host only, a click on a county opens its drill-down in the top page,
and the exported file downloads with no http(s) asset in it."""

import re

import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.supervision import maps
from disbursement.supervision.services import facts_refresh
from tests.browser.conftest import sign_in
from tests.conftest import SHAOSHAN_CITY, XIANGTAN_CITY
from tests.disbursement.supervision_builders import small_world

pytestmark = pytest.mark.browser

EXTERNAL_ASSET = re.compile(r"<script[^>]*\ssrc=[\"']?(?:https?:)?//|<link[^>]*\shref=[\"']?(?:https?:)?//", re.I)


def test_the_city_supervisor_sees_the_city_map_offline_and_a_county_click_opens_its_drill_down(
        desk_page, live_server, make_user):
    small_world()
    facts_refresh()
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    counties = maps.boundary_codes(level="county", within=XIANGTAN_CITY)
    page = desk_page
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    refused = []  # the browser reports every script or style the CSP blocks on the console, frames included
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    sign_in(page, live_server, supervisor.username)

    page.goto(f"{live_server.url}/supervision/map/?year=2026")
    frame = page.frame_locator("#map-frame")
    expect(frame.locator(".leaflet-map-pane")).to_have_count(1)
    expect(frame.locator(".leaflet-overlay-pane")).to_have_count(1)
    # The city's outline and one path per county of the boundaries file.
    expect(frame.locator(".leaflet-overlay-pane svg path")).to_have_count(1 + len(counties))
    expect(page.locator("#map-legend li")).not_to_have_count(0)
    expect(page.locator(f"#map-table tr[data-code='{SHAOSHAN_CITY}']")).to_contain_text("韶山市")

    county = frame.locator(f"path.county-{SHAOSHAN_CITY}")
    county.hover()
    expect(frame.locator(".foliumtooltip")).to_contain_text("韶山市")
    county.click()
    expect(page).to_have_url(f"{live_server.url}/supervision/regions/{SHAOSHAN_CITY}/")
    assert requested and all(url.startswith(live_server.url) or url.startswith("data:") for url in requested), [
        url for url in requested if not url.startswith(live_server.url)]
    assert refused == []


def test_the_map_exports_as_a_standalone_file(desk_page, live_server, make_user, tmp_path):
    small_world()
    facts_refresh()
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    page = desk_page
    sign_in(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/supervision/map/?year=2026&measure=change_vs_previous_year")
    with page.expect_download() as download_info:
        page.locator("#map-export").click()
    download = download_info.value
    assert download.suggested_filename == f"map-change_vs_previous_year-2026-{XIANGTAN_CITY}.html"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert "L.map(" in html and not EXTERNAL_ASSET.search(html)
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=", html)

    # Opened on its own, with every request beyond the file itself refused, it still draws the map.
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else route.continue_())
    page.goto(path.as_uri())
    expect(page.locator(".leaflet-overlay-pane svg path")).to_have_count(
        1 + len(maps.boundary_codes(level="county", within=XIANGTAN_CITY)))
    expect(page.locator("#map-legend")).to_be_visible()
