"""Role × own/other region, on every surface that lists or shows scoped rows: API, pages and admin.

Each actor gets a target user inside its subtree ("own") and one just outside it ("other"); the
other is chosen as close as possible (a neighbouring township, county or city) to catch off-by-one
range bugs rather than only the obvious far-away case.
"""

import pytest

from disbursement.accounts.models import User
from disbursement.accounts.roles import Role
from tests.conftest import (
    CHANGSHA_COUNTY,
    QINGXI_TOWN,
    TANJIASHAN_TOWN,
    XIANGTAN_CITY,
    XIANGTAN_COUNTY,
    YISUHE_TOWN,
)

pytestmark = pytest.mark.django_db

# actor role, actor region, own target region, other target region (None: the whole province is its own)
CASES = [
    (Role.PROVINCE_ADMIN, "430000000000", QINGXI_TOWN, None),
    (Role.COUNTY_FINANCE, XIANGTAN_COUNTY, TANJIASHAN_TOWN, QINGXI_TOWN),
    (Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, TANJIASHAN_TOWN, QINGXI_TOWN),
    (Role.TOWNSHIP_CLERK, YISUHE_TOWN, YISUHE_TOWN, TANJIASHAN_TOWN),
    (Role.SUPERVISOR, XIANGTAN_CITY, QINGXI_TOWN, "430121102000"),
]
IDS = [case[0].value for case in CASES]
MANAGES_CLERKS = {Role.PROVINCE_ADMIN, Role.COUNTY_FINANCE}
STAFF = {Role.PROVINCE_ADMIN, Role.COUNTY_FINANCE}


@pytest.fixture(params=CASES, ids=IDS)
def scene(request, make_user):
    role, region, own_region, other_region = request.param
    actor = make_user(role, region)
    own = make_user(Role.TOWNSHIP_CLERK, own_region)
    other = make_user(Role.TOWNSHIP_CLERK, other_region) if other_region else None
    return actor, own, other


def test_api_list_shows_own_and_hides_other(scene, api_client):
    actor, own, other = scene
    response = api_client(actor).get("/api/v1/users", {"limit": 500})
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["items"]}
    assert own.pk in ids
    if other:
        assert other.pk not in ids
    # Nothing at all from outside the actor's subtree.
    assert all(row["region_code"].startswith(actor.region.prefix) for row in response.json()["items"])


def test_api_detail_reads_own_and_404s_other(scene, api_client):
    actor, own, other = scene
    client = api_client(actor)
    assert client.get(f"/api/v1/users/{own.pk}").status_code == 200
    if other:
        response = client.get(f"/api/v1/users/{other.pk}")
        assert response.status_code == 404
        assert other.username not in response.content.decode()


def test_api_change_only_by_managers_and_only_inside(scene, api_client):
    actor, own, other = scene
    client = api_client(actor)
    response = client.patch(f"/api/v1/users/{own.pk}", {"is_active": False}, content_type="application/json")
    if actor.role in MANAGES_CLERKS:
        assert response.status_code == 200
        assert User.objects.get(pk=own.pk).is_active is False
    else:
        assert response.status_code == 403
        assert User.objects.get(pk=own.pk).is_active is True
    if other:
        response = client.patch(f"/api/v1/users/{other.pk}", {"is_active": False}, content_type="application/json")
        assert response.status_code == 404
        assert User.objects.get(pk=other.pk).is_active is True


def test_pages_list_and_detail_are_scoped(scene, page_client):
    actor, own, other = scene
    client = page_client(actor)
    listing = client.get("/users/", {"q": "township_clerk"})
    assert listing.status_code == 200
    assert own.username in listing.content.decode()
    assert client.get(f"/users/{own.pk}/").status_code == 200
    assert client.get(f"/regions/{own.region_id}/").status_code == 200
    if other:
        assert other.username not in listing.content.decode()
        assert client.get(f"/users/{other.pk}/").status_code == 404
        assert client.get(f"/regions/{other.region_id}/").status_code == 404


def test_admin_is_scoped_for_staff_roles_and_closed_to_the_others(scene, page_client):
    actor, own, other = scene
    client = page_client(actor)
    changelist = client.get("/admin/disbursement/user/")
    if actor.role not in STAFF:
        assert changelist.status_code == 302
        assert changelist["Location"].startswith("/admin/login/")
        assert client.get(f"/admin/disbursement/user/{own.pk}/change/").status_code == 302
        return
    assert changelist.status_code == 200
    assert own.username in changelist.content.decode()
    assert client.get(f"/admin/disbursement/user/{own.pk}/change/").status_code == 200
    if other:
        assert other.username not in changelist.content.decode()
        change = client.get(f"/admin/disbursement/user/{other.pk}/change/")
        assert change.status_code == 302  # "does not exist" redirect: not even its existence is shown
        posted = client.post(
            f"/admin/disbursement/user/{other.pk}/change/",
            {"username": other.username, "role": Role.TOWNSHIP_CLERK, "region": other.region_id, "is_active": ""},
        )
        assert posted.status_code == 302
        assert User.objects.get(pk=other.pk).is_active is True


def test_county_finance_cannot_place_a_user_outside_its_county_through_the_admin(make_user, page_client):
    actor = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    client = page_client(actor)
    response = client.post(
        "/admin/disbursement/user/add/",
        {
            "username": "smuggled_clerk",
            "password1": "a-long-enough-passw0rd",
            "password2": "a-long-enough-passw0rd",
            "role": Role.TOWNSHIP_CLERK,
            "region": QINGXI_TOWN,
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not User.objects.filter(username="smuggled_clerk").exists()
    ok = client.post(
        "/admin/disbursement/user/add/",
        {
            "username": "new_clerk",
            "password1": "a-long-enough-passw0rd",
            "password2": "a-long-enough-passw0rd",
            "role": Role.TOWNSHIP_CLERK,
            "region": TANJIASHAN_TOWN,
        },
    )
    assert ok.status_code == 302
    created = User.objects.get(username="new_clerk")
    assert (created.role, created.region_id, created.is_staff) == (Role.TOWNSHIP_CLERK, TANJIASHAN_TOWN, False)


def test_county_finance_cannot_create_a_province_admin(make_user, page_client):
    actor = make_user(Role.COUNTY_FINANCE, CHANGSHA_COUNTY)
    response = page_client(actor).post(
        "/admin/disbursement/user/add/",
        {
            "username": "escalated",
            "password1": "a-long-enough-passw0rd",
            "password2": "a-long-enough-passw0rd",
            "role": Role.PROVINCE_ADMIN,
            "region": "430000000000",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="escalated").exists()
