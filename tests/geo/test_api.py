import pytest

pytestmark = pytest.mark.django_db


def test_region_detail_gives_the_path_to_the_root(client):
    response = client.get("/api/v1/geo/regions/430321100000")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "易俗河镇"
    assert body["level"] == "township"
    assert body["parent_code"] == "430321000000"
    assert [step["name"] for step in body["path"]] == ["湖南省", "湘潭市", "湘潭县", "易俗河镇"]
    assert body["children_count"] > 0


def test_children_of_the_province_are_the_14_cities(client):
    response = client.get("/api/v1/geo/regions/430000000000/children")
    assert response.status_code == 200
    cities = response.json()
    assert len(cities) == 14
    assert {c["level"] for c in cities} == {"city"}
    assert "长沙市" in {c["name"] for c in cities}


def test_search_by_name_within_a_subtree(client):
    response = client.get("/api/v1/geo/regions", {"q": "镇", "level": "township", "within": "430382000000"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= 1
    assert all(r["code"].startswith("430382") and "镇" in r["name"] for r in body["items"])


def test_statistical_zones_are_flagged(client):
    body = client.get("/api/v1/geo/regions/430671000000").json()
    assert body["name"] == "岳阳市屈原管理区"
    assert body["is_statistical"] is True


def test_unknown_region_is_404_and_a_malformed_filter_says_which_field(client):
    assert client.get("/api/v1/geo/regions/439999000000").status_code == 404
    response = client.get("/api/v1/geo/regions", {"within": "4303"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "within"
