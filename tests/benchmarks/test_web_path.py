"""The web side of ingestion alone: what one order-event request costs the web process
against the baseline request, without gunicorn, sockets or the worker in the way."""

import subprocess
import sys

import pytest
import redis

from tests.worker import broker_reset

from .conftest import BASE_DIR, BIN, BROKER_URL, bench_database_url, bench_env, manage


def test_web_path_against_the_baseline():
    try:
        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis at {BROKER_URL}: {exc}")
    env = bench_env(bench_database_url())
    manage("migrate", "--noinput", env=env)
    try:
        result = subprocess.run(
            [str(BIN / "python"), "-m", "tests.benchmarks.web_path"], cwd=BASE_DIR, env=env,
            capture_output=True, text=True, timeout=900,
        )
    finally:
        broker_reset(BROKER_URL)  # nothing consumes the deliveries it queued
    assert result.returncode == 0, result.stderr
    print(f"\n{result.stdout}", end="", file=sys.stdout)
