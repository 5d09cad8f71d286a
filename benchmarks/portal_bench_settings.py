"""Settings for benchmarks/portal_load.py only: the real project plus a bare lookup endpoint to compare with,
and rate limits raised so that one load generator on 127.0.0.1 measures the lookup, not the limiter (the
limiter's Redis counters still run on every request)."""

from backend.settings import *  # noqa: F403

ROOT_URLCONF = "portal_bench_urls"
PORTAL_LIMIT_PER_CLIENT = 10**9
PORTAL_LIMIT_PER_ID = 10**9
PORTAL_CHALLENGE_AFTER_FAILURES = 10**9
