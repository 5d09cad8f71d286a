"""Shared by the benchmarks: a throw-away PostgreSQL database, Django set up on it, vectorised test data."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("BENCH_DATABASE", "onecard_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def bench_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{BENCH_DB}",
        # The production shape: tasks (e.g. resident notices) go to a Redis queue instead of running inline.
        "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14"),
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdef0123456789abcdef",
        # Plain HTTP on the loopback: the production HTTPS redirect would answer every benchmark request with 301.
        "SECURE_SSL_REDIRECT": "0",
        "PII_KEY": "YmVuY2htYXJrLW9ubHktcGlpLWtleS0zMi1ieXRlcyE=",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(ROOT / "var" / "bench-media"),
        "LOG_LEVEL": "WARNING",
    }


def database_fresh() -> None:
    """Drop and recreate the benchmark database, migrate it and load the reference data."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    for command in (["migrate", "--noinput", "-v0"], ["load_reference", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=bench_env(), check=True)


def django_setup() -> None:
    os.environ.update(bench_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)])
_CHECK = np.array(list("10X98765432"))


def id_numbers(n: int, rng: np.random.Generator, prefix: str = "430321") -> np.ndarray:
    """n distinct valid 18-character ID numbers (distinct by birth date × sequence)."""
    days = rng.permutation(np.arange(0, 365 * 80))[: (n // 999) + 1]
    births = np.datetime64("1935-01-01") + days.astype("timedelta64[D]")
    birth_text = np.char.replace(np.datetime_as_string(births, unit="D"), "-", "")
    birth = np.repeat(birth_text, 999)[:n]
    seq = np.char.zfill(np.tile(np.arange(1, 1000), len(days))[:n].astype(str), 3)
    first17 = np.char.add(np.char.add(prefix, birth), seq)
    digits = np.frombuffer("".join(first17).encode(), dtype=np.uint8).reshape(n, 17) - 48
    return np.char.add(first17, _CHECK[(digits @ _WEIGHTS) % 11])


def card_numbers(n: int, rng: np.random.Generator, bin_: str = "622848") -> np.ndarray:
    # Distinct 12-digit bodies: a random start and a stride coprime to 10.
    start = int(rng.integers(0, 10**11))
    body = np.char.zfill(((start + np.arange(n, dtype=np.int64) * 7919) % 10**12).astype(str), 12)
    partial = np.char.add(bin_, body)
    digits = np.frombuffer("".join(partial).encode(), dtype=np.uint8).reshape(n, 18) - 48
    doubled = digits[:, ::-1][:, ::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(axis=1) + digits[:, ::-1][:, 1::2].sum(axis=1)
    return np.char.add(partial, ((10 - total % 10) % 10).astype(str))


SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰春生志强海燕德")


def names(n: int, rng: np.random.Generator) -> np.ndarray:
    surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    first = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    second = np.where(rng.random(n) < 0.6, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], "")
    return np.char.add(np.char.add(surname, first), second)
