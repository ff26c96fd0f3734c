"""The web side of ingestion alone: what one order-event request costs the web process
against the baseline request, without gunicorn, sockets or the worker in the way."""

import subprocess
import sys

from .conftest import BASE_DIR, BIN, bench_database_url, bench_env, manage


def test_web_path_against_the_baseline(bench_redis):
    env = bench_env(bench_database_url())
    manage("migrate", "--noinput", env=env)
    result = subprocess.run(
        [str(BIN / "python"), "-m", "tests.benchmarks.web_path"], cwd=BASE_DIR, env=env,
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr
    print(f"\n{result.stdout}", end="", file=sys.stdout)
