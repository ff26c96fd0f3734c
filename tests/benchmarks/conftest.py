"""The production stack for benchmarks: PostgreSQL, gunicorn, Redis and real Celery workers,
and the floor app served the same way.

Benchmarks refuse to run on SQLite. The PostgreSQL databases are BENCH_DATABASE (default
flywheel_bench, created and migrated when missing) and, for the shop with loyalty switched on,
the same name with `_loyalty`. Each run claims a Redis database of its own (BENCH_REDIS_URL,
default redis://127.0.0.1:6379/14) for the broker and the shared cache, with a cache prefix of
its own, and refuses to start while another run holds it. A benchmark that cannot run fails:
it is never skipped (`make bench-quick` in CI is there so that none is left broken).
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
import requests

from tests.worker import Worker, broker_reset, process_group_stop

from .load import FIGURES, QUICK

BASE_DIR = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE = os.environ.get("BENCH_DATABASE", "flywheel_bench_quick" if QUICK else "flywheel_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
RUN = uuid.uuid4().hex[:8]
CACHE_PREFIX = f"bench-{RUN}"
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
CELERY_CONCURRENCY = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "2"))
# BENCH_EMAIL_WORKER=off starts no worker for `email`: the e-mails wait in the broker, and the
# ingestion figure is the ingest path's alone (to see what the e-mails cost; not the target).
EMAIL_WORKER = os.environ.get("BENCH_EMAIL_WORKER", "on") != "off"
# The e-mail worker's CPU priority, as the README's production setup gives it (systemd
# CPUWeight=10, a tenth of the others' weight: nice 10's): when the CPUs are busy, orders are
# applied first and e-mails go with what is left. BENCH_EMAIL_NICE=0 runs it as the others.
EMAIL_NICE = int(os.environ.get("BENCH_EMAIL_NICE", "10"))
CLAIM = "flywheel-bench:claimed-by"


def pytest_configure(config):
    from django.conf import settings

    if "postgresql" not in settings.DATABASES["default"]["ENGINE"] or "postgres" not in (
            os.environ.get("DATABASE_URL", "")):
        pytest.exit("Benchmarks refuse to run on SQLite: set DATABASE_URL=postgres://... "
                    "(make bench does).", returncode=2)


_not_run: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _not_run.append(f"{report.nodeid}: {report.longrepr}")


def pytest_sessionfinish(session, exitstatus):
    if _not_run and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    for line in _not_run:
        terminalreporter.write_line(f"NOT RUN (a benchmark must run): {line}", red=True)
    if FIGURES:
        terminalreporter.section("benchmark figures")
        for figure in FIGURES:
            terminalreporter.write_line(figure.line())


def database_url(name: str) -> str:
    """A PostgreSQL database of the benchmark's, created when missing."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"


def autovacuum_stand_in(url: str) -> None:
    """What autovacuum would have done by now, untimed, before each side of a round: VACUUM
    ANALYZE the database. Only where autovacuum is off, as it is in this machine's
    PostgreSQL (`SHOW autovacuum`): without it the planner works from the statistics of an
    empty database and every index keeps the entries of the rows changed since, which no
    production server does."""
    with psycopg.connect(url, autocommit=True) as db:
        if db.execute("SHOW autovacuum").fetchone()[0] == "off":
            db.execute("VACUUM ANALYZE")


def bench_database_url() -> str:
    return database_url(DATABASE)


@pytest.fixture(scope="session")
def bench_redis():
    """This run's Redis database, claimed for the session (broker and cache)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    holder = client.set(CLAIM, RUN, nx=True, ex=3 * 3600)
    if not holder:
        pytest.fail(f"another benchmark run ({client.get(CLAIM)!r}) is using {REDIS_URL}: "
                    "give this one its own with BENCH_REDIS_URL")
    broker_reset(REDIS_URL)
    try:
        yield REDIS_URL
    finally:
        broker_reset(REDIS_URL)
        if client.get(CLAIM) == RUN.encode():
            client.delete(CLAIM)
        client.close()


def bench_env(database_url: str, **extra: str) -> dict[str, str]:
    """The production settings the benchmark's processes run with."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "CACHE_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": CACHE_PREFIX,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        # The quiz benchmark measures the completion path, not its throttle (6,000 a minute
        # per key, which a fast run passes: the rest would be 429s). test_throttles sets its own.
        "THROTTLE_RATES": "quiz_api=off",
        **extra,
    }


def free_port() -> int:
    """A free port: the first free one of BENCH_PORTS ("8750-8769") when set (a shared
    machine gives each run its own range), else any the system offers."""
    first, _, last = os.environ.get("BENCH_PORTS", "0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def manage(*args: str, env: dict) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=BASE_DIR, env=env,
        capture_output=True, text=True, timeout=600,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
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


def gunicorn(env: dict, log: Path, probe: str) -> tuple[subprocess.Popen, str]:
    """gunicorn serving config.wsgi with `env`'s settings, answering on `probe`."""
    port = free_port()
    with open(log, "ab") as out:
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(WEB_WORKERS), "--error-logfile", "-"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base_url + probe, web, log)
    except Exception:
        process_group_stop(web)
        raise
    return web, base_url


def cpu_priority_lower(pid: int, nice: int) -> None:
    """Run process `pid` at `nice`. Each process here has a session of its own, and Linux
    shares the CPUs between sessions (autogroups) before it looks at a process's nice, as
    systemd shares them between units by CPUWeight: so the session's nice is set too."""
    os.setpriority(os.PRIO_PROCESS, pid, nice)
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        autogroup.write_text(str(nice))


@dataclass
class Stack:
    shop: str
    base_url: str
    api_key: str
    database_url: str
    description: str
    web_pid: int
    worker_pid: int
    email_worker_pid: int | None  # None with BENCH_EMAIL_WORKER=off


def _start_stack(shop: str, logs: Path, redis_url: str):
    """Flywheel as in production: gunicorn, a worker for `ingest` (and the default queue) and
    one for `email`. Yields the Stack, stops it after."""
    database = database_url(DATABASE if shop == "bare" else f"{DATABASE}_{shop}")
    env = bench_env(database)
    manage("migrate", "--noinput", env=env)
    if shop == "loyalty":
        manage("shell", "-c", "from tests.benchmarks.shop import loyalty_shop; loyalty_shop()",
               env=env)
    api_key = manage("create_api_key", "Benchmark", env=env).strip().splitlines()[-1]
    broker_reset(redis_url)
    web, base_url = gunicorn(env, logs / f"gunicorn-{shop}.log", "/bench/baseline/")
    worker = Worker(env=env, log_path=logs / f"celery-ingest-{shop}.log", pool="prefork",
                    concurrency=CELERY_CONCURRENCY, queues="ingest,celery")
    mailer = (Worker(env=env, log_path=logs / f"celery-email-{shop}.log", queues="email")
              if EMAIL_WORKER else None)
    workers = [worker, mailer] if mailer else [worker]
    try:
        for each in workers:
            each.start()
        for each in workers:
            each.wait_ready(timeout=120)
        if mailer:
            cpu_priority_lower(mailer.process.pid, EMAIL_NICE)
        yield Stack(
            shop=shop, base_url=base_url, api_key=api_key, database_url=database,
            description=f"{shop} shop, gunicorn {WEB_WORKERS} sync workers, celery prefork "
            f"x{CELERY_CONCURRENCY} on ingest and "
            + (f"a worker on email at nice {EMAIL_NICE}" if mailer
               else "no worker on email (BENCH_EMAIL_WORKER=off)")
            + f", {os.cpu_count()} CPUs",
            web_pid=web.pid, worker_pid=worker.process.pid,
            email_worker_pid=mailer.process.pid if mailer else None,
        )
    finally:
        for each in workers:
            each.stop()
        process_group_stop(web, timeout=15)
        broker_reset(redis_url)


@pytest.fixture(scope="session")
def stacks(tmp_path_factory, bench_redis):
    """stacks(shop): Flywheel's stack for the bare or the loyalty shop, one at a time (the
    previous one is stopped first, so it takes no CPU)."""
    logs = tmp_path_factory.mktemp("bench-logs")
    running: dict[str, tuple] = {}

    def get(shop: str) -> Stack:
        if shop not in running:
            for other in list(running):
                next(running.pop(other)[0], None)
            generator = _start_stack(shop, logs, bench_redis)
            running[shop] = (generator, next(generator))
        return running[shop][1]

    yield get
    for generator, _stack in running.values():
        next(generator, None)


@dataclass
class Floor:
    url: str
    database_url: str
    web_pid: int


@pytest.fixture(scope="session")
def floor(tmp_path_factory):
    """The floor app (tests/benchmarks/floor_settings.py) served by gunicorn like Flywheel,
    on the bare shop's database."""
    database = bench_database_url()
    env = bench_env(database, DJANGO_SETTINGS_MODULE="tests.benchmarks.floor_settings")
    manage("migrate", "--noinput", env={**env,
                                       "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings"})
    web, base_url = gunicorn(env, tmp_path_factory.mktemp("floor") / "gunicorn.log", "/floor/")
    try:
        yield Floor(url=base_url + "/floor/", database_url=database, web_pid=web.pid)
    finally:
        process_group_stop(web, timeout=15)
