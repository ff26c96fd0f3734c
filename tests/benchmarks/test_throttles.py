"""Throttles under load: one API key far over its voucher-check rate gets 429s while another
key's checks keep succeeding, on gunicorn's real worker processes sharing their counters in
Redis (counted per process, the greedy key would get one allowance per worker).

Self-contained: it starts its own gunicorn with a known rate, reusing the harness's helpers.
"""

import subprocess
import threading
import time
from collections import Counter

import requests

from tests.benchmarks.conftest import (
    BASE_DIR,
    BIN,
    bench_database_url,
    bench_env,
    free_port,
    manage,
    wait_for_http,
)
from tests.worker import process_group_stop

RATE = 300  # voucher checks per minute and key
WORKERS = 4
SECONDS = 20
GREEDY_THREADS = 6
POLITE_EVERY = 0.25  # seconds between the other key's checks

SEED = """
from customers.services import api_key_create, customer_upsert
from loyalty.models import Reward
from loyalty.services import voucher_grant
import uuid
run = uuid.uuid4().hex[:8]
customer = customer_upsert(email=f"throttle-{run}@example.com")
reward = Reward.objects.create(name="5 off", kind="amount_off", amount=5, currency="EUR", cost=1)
voucher = voucher_grant(customer=customer, reward=reward, key=f"bench:{run}", notify=False)
print(api_key_create(name=f"greedy {run}")[1], api_key_create(name=f"polite {run}")[1],
      voucher.code)
"""


def check_for(base_url: str, key: str, code: str, stop: float, pause: float,
              tally: Counter) -> None:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        while time.monotonic() < stop:
            status = session.get(f"{base_url}/api/v1/vouchers/{code}/", timeout=30).status_code
            tally[status] += 1
            if pause:
                time.sleep(pause)


def test_a_client_far_over_its_rate_is_slowed_and_another_is_not(tmp_path):
    database_url = bench_database_url()
    env = {**bench_env(database_url), "THROTTLE_RATES": f"voucher_checks={RATE}/minute"}
    manage("migrate", "--noinput", env=env)
    greedy_key, polite_key, code = manage("shell", "-c", SEED, env=env).split()[-3:]
    port, log = free_port(), tmp_path / "gunicorn.log"
    with open(log, "ab") as out:
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(WORKERS)],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/healthz", web, log)
        greedy, polite = Counter(), Counter()
        stop = time.monotonic() + SECONDS
        threads = [threading.Thread(target=check_for, args=(base_url, greedy_key, code, stop, 0,
                                                            greedy))
                   for _ in range(GREEDY_THREADS)]
        threads.append(threading.Thread(target=check_for, args=(
            base_url, polite_key, code, stop, POLITE_EVERY, polite)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        process_group_stop(web, timeout=15)

    sent = sum(greedy.values())
    print(f"\ngunicorn {WORKERS} workers, voucher checks limited to {RATE}/minute per key, "
          f"{elapsed:.1f} s")
    print(f"greedy key ({GREEDY_THREADS} threads): {sent} checks ({sent / elapsed * 60:.0f}/min, "
          f"{sent / RATE * 60 / elapsed:.1f}x its rate): {greedy[200]} answered, "
          f"{greedy[429]} refused with 429")
    print(f"polite key (one check every {POLITE_EVERY} s): {sum(polite.values())} checks: "
          f"{polite[200]} answered, {polite[429]} refused")
    windows = int(elapsed // 60) + 2  # fixed one-minute windows the run touched
    assert set(greedy) <= {200, 429} and greedy[429] > 0
    assert greedy[200] <= RATE * windows  # one allowance for all workers, not one each
    assert polite[429] == 0 and polite[200] == sum(polite.values()) > 0
