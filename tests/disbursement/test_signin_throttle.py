"""Password guessing is throttled per account and per client, on the token exchange and on the login page."""

import logging

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD, YISUHE_TOWN

TOKENS = "/api/v1/auth/tokens"


def _client(ip: str) -> Client:
    client = Client(REMOTE_ADDR=ip)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages asserted in English
    return client


def _token(username: str, password: str, ip: str = "198.51.100.7"):
    return _client(ip).post(TOKENS, {"username": username, "password": password}, content_type="application/json")


def _login(username: str, password: str, ip: str = "198.51.100.7"):
    return _client(ip).post("/login/", {"username": username, "password": password})


@pytest.fixture
def clerk(make_user):
    return make_user("township_clerk", YISUHE_TOWN)


def test_five_wrong_passwords_lock_the_account_with_429_and_a_retry_time(clerk, caplog):
    with caplog.at_level(logging.WARNING, logger="disbursement.accounts.throttle"):
        for _ in range(5):
            assert _token(clerk.username, "wrong-password-1").status_code == 403
    locked = _token(clerk.username, PASSWORD)

    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "rate_limited" and "minute" in body["message"]
    assert 0 < body["retry_after"] <= 15 * 60
    assert locked["Retry-After"] == str(body["retry_after"])
    assert [r.getMessage() for r in caplog.records if r.name == "disbursement.accounts.throttle"] == [
        f"sign-in locked for 15 minutes after 5 failures: account '{clerk.username}'"]
    assert "wrong-password-1" not in caplog.text


def test_the_account_lock_holds_from_another_address(clerk):
    for _ in range(5):
        _token(clerk.username, "wrong-password-1", ip="198.51.100.7")
    assert _token(clerk.username, PASSWORD, ip="203.0.113.9").status_code == 429


def test_a_success_resets_the_account_counter(clerk):
    for _ in range(4):
        _token(clerk.username, "wrong-password-1")
    assert _token(clerk.username, PASSWORD).status_code == 201
    for _ in range(4):
        assert _token(clerk.username, "wrong-password-1").status_code == 403
    assert _token(clerk.username, PASSWORD).status_code == 201


def test_one_client_trying_many_accounts_is_locked_after_twenty_failures(make_user):
    users = [make_user("township_clerk", YISUHE_TOWN) for _ in range(5)]
    for attempt in range(20):
        assert _token(users[attempt % 5].username, "wrong-password-1").status_code == 403
    assert _token(users[0].username, PASSWORD).status_code == 429
    assert _token(users[0].username, PASSWORD, ip="203.0.113.9").status_code == 201


def test_the_login_page_refuses_with_429_and_the_wait_in_minutes_without_checking_the_password(clerk):
    for _ in range(5):
        wrong = _login(clerk.username, "wrong-password-1")
        assert wrong.status_code == 200 and not wrong.wsgi_request.user.is_authenticated
    locked = _login(clerk.username, PASSWORD)

    assert locked.status_code == 429
    assert "Too many failed sign-ins; try again in 15 minute(s)." in locked.content.decode()
    assert not locked.wsgi_request.user.is_authenticated
    assert int(locked["Retry-After"]) <= 15 * 60


def test_the_login_page_and_the_api_count_against_the_same_account(clerk):
    for _ in range(3):
        _login(clerk.username, "wrong-password-1")
    for _ in range(2):
        _token(clerk.username, "wrong-password-1")
    assert _token(clerk.username, PASSWORD).status_code == 429


def test_signing_in_on_the_page_resets_the_account_counter(clerk):
    for _ in range(4):
        _login(clerk.username, "wrong-password-1")
    assert _login(clerk.username, PASSWORD).status_code == 302
    for _ in range(4):
        _login(clerk.username, "wrong-password-1")
    assert _login(clerk.username, PASSWORD).status_code == 302
