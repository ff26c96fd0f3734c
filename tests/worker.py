"""A real Celery worker in a subprocess, for tests and benchmarks that need one."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

BASE_DIR = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).parent / "celery"


def process_group_stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM a process started in its own session and its children; SIGKILL them if they
    are still there after `timeout` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def broker_reset(url: str) -> None:
    """Drop queued and unacknowledged messages left in the broker by an earlier run, and the
    cache's flag saying a deliveries task is queued (it would stand for a dropped message)."""
    client = redis.Redis.from_url(url)
    for pattern in ("celery*", "ingest*", "email*", "unacked*", "_kombu*", "*:deliveries:wake"):
        for key in client.scan_iter(match=pattern):
            client.delete(key)
    client.close()


class Worker:
    """`celery -A config worker` with the given environment, on `queues` (all three unless
    told); its output goes to a log file."""

    def __init__(self, *, env: dict[str, str], log_path: Path, pool: str = "solo",
                 concurrency: int = 1, queues: str = "ingest,email,celery"):
        self.env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false", **env}
        self.log_path = log_path
        self.args = [
            str(CELERY), "-A", "config", "worker", f"--pool={pool}",
            f"--concurrency={concurrency}", "-Q", queues, "--without-gossip",
            "--without-mingle", "--without-heartbeat", "-l", "info",
        ]
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker never said it was ready:\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: a crash, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        if self.process:
            process_group_stop(self.process, timeout)
