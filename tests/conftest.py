import itertools
import uuid

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from disbursement.accounts.models import User
from disbursement.accounts.roles import Role
from disbursement.accounts.services import token_issue, user_create

PASSWORD = "correct-horse-battery-9"

# Regions used across the tests: two counties of 湘潭市 and a township in each, plus another city.
XIANGTAN_CITY = "430300000000"
XIANGTAN_COUNTY = "430321000000"
YISUHE_TOWN = "430321100000"  # 易俗河镇, in 湘潭县
TANJIASHAN_TOWN = "430321102000"  # 谭家山镇, in 湘潭县
SHAOSHAN_CITY = "430382000000"  # 韶山市 (county level)
QINGXI_TOWN = "430382100000"  # 清溪镇, in 韶山市
CHANGSHA_CITY = "430100000000"
CHANGSHA_COUNTY = "430121000000"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The reference data (regions, catalog) is loaded once for the whole run, as in production."""
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)


@pytest.fixture(autouse=True)
def cache_of_its_own(settings):
    """Every test gets a key prefix of its own on the shared Redis (rate-limit counters, progress, challenges),
    emptied afterwards, so no count leaks between tests or between runs.

    Not cache.clear(): that is FLUSHDB on the Redis database every concurrent test run (and its Celery broker)
    shares; deleting our own prefix resets the counters just as well."""
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    yield
    backend = getattr(cache, "_cache", None)
    if backend is not None and hasattr(backend, "get_client"):
        redis = backend.get_client(write=True)
        for key in redis.scan_iter(match=f"{prefix}:*"):
            redis.delete(key)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files and reports of a test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Service messages asserted in tests are read in English; requests still pick their own language."""
    with translation.override("en"):
        yield


@pytest.fixture
def reference_in_transactional_db(transactional_db):
    """Transactional tests end with a flush that empties every table; reload the reference data first."""
    from geo.models import Region

    if not Region.objects.exists():
        call_command("load_reference", verbosity=0)


_serial = itertools.count()


@pytest.fixture
def make_user(db):
    def make(role: str, region_code: str, **extra) -> User:
        department = extra.pop("department", "agriculture" if role == Role.COUNTY_DEPARTMENT else "")
        return user_create(
            actor=None,
            username=extra.pop("username", f"{role}-{next(_serial)}"),
            password=PASSWORD,
            role=role,
            region_code=region_code,
            department=department,
            **extra,
        )

    return make


@pytest.fixture
def api_client():
    """A client for one user: `api_client(user)` returns a Client sending that user's bearer token."""

    def for_user(user: User) -> Client:
        _, raw = token_issue(username=user.username, password=PASSWORD, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return for_user


@pytest.fixture
def page_client():
    def for_user(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return for_user
