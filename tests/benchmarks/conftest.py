"""The production stack for benchmarks: PostgreSQL, gunicorn, Redis and a real Celery worker.

DATABASE_URL (PostgreSQL) is used when set; otherwise the benchmark creates and migrates its
own database, flywheel_bench. The broker is Redis database 14 unless BENCH_BROKER_URL says.
"""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
import requests

from tests.worker import Worker, broker_reset, process_group_stop

BASE_DIR = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
SERVER = "postgres://postgres@127.0.0.1:5432"
SHOP = os.environ.get("BENCH_SHOP", "bare")  # or "loyalty": see tests/benchmarks/shop.py
BENCH_DB = "flywheel_bench" if SHOP == "bare" else f"flywheel_bench_{SHOP}"
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
CELERY_CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "2"))


@dataclass
class Stack:
    base_url: str
    api_key: str
    database_url: str
    description: str
    web_pid: int = 0
    worker_pid: int = 0


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    try:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                [BENCH_DB]).fetchone():
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"needs PostgreSQL at {SERVER}: {exc}")
    return f"{SERVER}/{BENCH_DB}"


def bench_env(database_url: str) -> dict[str, str]:
    """The production settings the benchmark's processes run with."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=BASE_DIR, env=env,
        capture_output=True, text=True, timeout=180,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text(errors='replace')}")
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                raise TimeoutError(f"gunicorn never answered on {url}") from None
            time.sleep(0.2)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """gunicorn and a Celery worker on PostgreSQL and Redis, torn down after the session."""
    try:
        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis at {BROKER_URL}: {exc}")
    database_url = bench_database_url()
    logs = tmp_path_factory.mktemp("bench-logs")
    env = bench_env(database_url)
    manage("migrate", "--noinput", env=env)
    if SHOP == "loyalty":
        manage("shell", "-c", "from tests.benchmarks.shop import loyalty_shop; loyalty_shop()",
               env=env)
    api_key = manage("create_api_key", "Benchmark", env=env).strip().splitlines()[-1]
    broker_reset(BROKER_URL)

    port = free_port()
    web_log = logs / "gunicorn.log"
    with open(web_log, "ab") as log:
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(WEB_WORKERS), "--error-logfile", "-"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    worker = Worker(env=env, log_path=logs / "celery.log", pool="prefork",
                    concurrency=CELERY_CONCURRENCY)
    try:
        worker.start()
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/bench/baseline/", web, web_log)
        worker.wait_ready(timeout=120)
        yield Stack(
            base_url=base_url, api_key=api_key, database_url=database_url,
            description=f"{SHOP} shop, gunicorn {WEB_WORKERS} sync workers, celery prefork "
            f"x{CELERY_CONCURRENCY}, {os.cpu_count()} CPUs",
            web_pid=web.pid, worker_pid=worker.process.pid,
        )
    finally:
        worker.stop()
        process_group_stop(web, timeout=15)
        broker_reset(BROKER_URL)
