import pytest
from django.test import Client

from disbursement.accounts.models import ApiToken, User
from disbursement.accounts.roles import Role
from disbursement.accounts.services import user_create
from disbursement.errors import Conflict, PermissionDenied, ValidationFailed
from tests.conftest import PASSWORD, QINGXI_TOWN, TANJIASHAN_TOWN, XIANGTAN_COUNTY, YISUHE_TOWN

pytestmark = pytest.mark.django_db


def test_a_clerk_must_sit_at_a_township(make_user):
    with pytest.raises(ValidationFailed, match="township") as caught:
        make_user(Role.TOWNSHIP_CLERK, XIANGTAN_COUNTY)
    assert caught.value.field == "region"


def test_a_county_department_user_names_its_department(make_user):
    with pytest.raises(ValidationFailed) as caught:
        make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="")
    assert caught.value.field == "department"


def test_no_user_is_bound_to_a_statistics_only_zone(make_user):
    with pytest.raises(ValidationFailed, match="statistics-only"):
        make_user(Role.COUNTY_FINANCE, "430671000000")


def test_staff_access_follows_the_role(make_user):
    assert make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY).is_staff is True
    assert make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN).is_staff is False
    assert make_user(Role.SUPERVISOR, XIANGTAN_COUNTY).is_staff is False


def test_role_permissions_come_from_the_role(make_user):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    assert finance.has_perm("disbursement.add_user")
    assert not finance.has_perm("disbursement.change_item")
    assert clerk.has_perm("disbursement.view_user")
    assert not clerk.has_perm("disbursement.add_user")


def test_county_finance_creates_clerks_in_its_county_only(make_user):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    clerk = user_create(actor=finance, username="clerk_a", password=PASSWORD, role=Role.TOWNSHIP_CLERK,
                        region_code=TANJIASHAN_TOWN)
    assert clerk.region_id == TANJIASHAN_TOWN
    with pytest.raises(PermissionDenied, match="outside your jurisdiction"):
        user_create(actor=finance, username="clerk_b", password=PASSWORD, role=Role.TOWNSHIP_CLERK,
                    region_code=QINGXI_TOWN)
    with pytest.raises(PermissionDenied):
        user_create(actor=finance, username="finance_b", password=PASSWORD, role=Role.COUNTY_FINANCE,
                    region_code=XIANGTAN_COUNTY)
    assert not User.objects.filter(username__in=["clerk_b", "finance_b"]).exists()


def test_a_taken_username_is_a_conflict_and_a_weak_password_is_refused(make_user):
    make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN, username="zhang")
    with pytest.raises(Conflict):
        make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN, username="zhang")
    with pytest.raises(ValidationFailed) as caught:
        user_create(actor=None, username="li", password="12345678", role=Role.TOWNSHIP_CLERK, region_code=YISUHE_TOWN)
    assert caught.value.field == "password"


def test_token_round_trip_and_revocation(make_user):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    client = Client()
    issued = client.post("/api/v1/auth/tokens", {"username": clerk.username, "password": PASSWORD, "name": "excel"},
                         content_type="application/json")
    assert issued.status_code == 201
    raw = issued.json()["token"]
    assert not ApiToken.objects.filter(digest=raw).exists()  # only the digest is stored
    authed = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    me = authed.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == clerk.username
    assert me.json()["region_code"] == YISUHE_TOWN
    assert authed.delete("/api/v1/auth/tokens/current").status_code == 204
    assert authed.get("/api/v1/me").status_code == 401


def test_wrong_password_gets_no_token(make_user):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    response = Client().post("/api/v1/auth/tokens", {"username": clerk.username, "password": "nope-nope-nope"},
                             content_type="application/json")
    assert response.status_code == 403
    assert ApiToken.objects.count() == 0


def test_deactivating_a_user_revokes_its_tokens_and_repeating_it_is_harmless(make_user, api_client):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    clerk = make_user(Role.TOWNSHIP_CLERK, TANJIASHAN_TOWN)
    clerk_client = api_client(clerk)
    finance_client = api_client(finance)
    for _ in range(2):
        response = finance_client.patch(f"/api/v1/users/{clerk.pk}", {"is_active": False},
                                        content_type="application/json")
        assert response.status_code == 200
        assert response.json()["is_active"] is False
    assert clerk_client.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.filter(user=clerk, revoked_at__isnull=True).count() == 0


def test_unauthenticated_api_calls_are_401_with_a_clear_message(client):
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_creating_a_user_through_the_api_reports_the_field(make_user, api_client):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    response = api_client(finance).post(
        "/api/v1/users",
        {"username": "clerk_c", "password": PASSWORD, "role": "township_clerk", "region_code": XIANGTAN_COUNTY},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "region"
    created = api_client(finance).post(
        "/api/v1/users",
        {"username": "clerk_c", "password": PASSWORD, "role": "township_clerk", "region_code": TANJIASHAN_TOWN},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["region_name"] == "谭家山镇"
