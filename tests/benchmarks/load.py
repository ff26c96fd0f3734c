"""Load from wrk, subject and floor measured alternately, and the figures each benchmark prints.

wrk (Debian's package) sends the requests: a C program, so the client costs the cores little
next to a Python client. Every request body is made by a small Lua script from a template, with
`@N@` replaced by a number unique to the run, so each order comes from a new customer.
"""

import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SECONDS = float(os.environ.get("BENCH_SECONDS", "3" if QUICK else "30"))
ROUNDS = max(3, int(os.environ.get("BENCH_ROUNDS", "3")))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))

LUA = """
local template = [==[%(template)s]==]
local headers = %(headers)s
local path = %(path)s
local count = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  prefix = args[1] .. "-" .. tid
end

function request()
  count = count + 1
  local body = template:gsub("@N@", prefix .. "-" .. count)
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRK {"requests": %%d, "seconds": %%f, "status_errors": %%d, "socket_errors": %%d}\\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("the benchmarks need wrk: `apt-get install wrk` (make bench does)")
    return path


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for ASCII text


@dataclass
class Load:
    requests: int
    seconds: float
    started: float  # wall-clock time.time() when wrk started
    finished: float
    client_cpu: float  # CPU seconds wrk used

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(url: str, template: str, *, run: str, headers: dict[str, str] | None = None,
        seconds: float = SECONDS, connections: int = CONNECTIONS) -> Load:
    """POST `template` (its `@N@` made unique per request) to `url` for `seconds` from
    `connections` connections; every answer must be a 2xx, and there must be some."""
    load = warm_up(url, template, run=run, headers=headers, seconds=seconds,
                   connections=connections)
    assert load.requests > 0, f"no answer from {url} in {seconds} s"
    return load


def warm_up(url: str, template: str, *, run: str, headers: dict[str, str] | None = None,
            seconds: float = 3, connections: int = CONNECTIONS) -> Load:
    """`wrk` without counting on answers: the first requests of freshly started processes
    may take longer than the run (a loaded machine), so none may have come back."""
    base, _, path = url.partition("://")[2].partition("/")
    headers = {"Content-Type": "application/json", **(headers or {})}
    lua_headers = "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}"
                                  for k, v in headers.items()) + "}"
    script = LUA % {"template": template, "headers": lua_headers,
                    "path": _lua_string("/" + path)}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        result = subprocess.run(
            [wrk_path(), "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s",
             "--timeout", "30s", "-s", file.name, f"http://{base}", "--", run],
            capture_output=True, text=True, timeout=seconds + 120,
        )
        finished = time.time()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        Path(file.name).unlink()
    line = next((line for line in result.stdout.splitlines() if line.startswith("WRK ")), None)
    assert result.returncode == 0 and line, result.stdout + result.stderr
    summary = json.loads(line[4:])
    assert summary["status_errors"] == 0 and summary["socket_errors"] == 0, result.stdout
    return Load(requests=summary["requests"], seconds=summary["seconds"], started=started,
                finished=finished, client_cpu=(after.ru_utime + after.ru_stime)
                - (before.ru_utime + before.ru_stime))


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


@dataclass
class Figure:
    """A path's ratio against its floor, measured in rounds; printed and kept for the summary."""

    path: str
    target: str  # ">= 0.6", "<= 1.2"
    ratios: list[float] = field(default_factory=list)
    unit: str = ""  # when the figure is a rate or a time rather than a ratio ("lots/s", "s")
    decimals: int | None = None  # printed; by default 2 for a ratio, none with a unit
    detail: str = ""
    loads: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def met(self) -> bool:
        op, bound = self.target.split()
        return self.median >= float(bound) if op == ">=" else self.median <= float(bound)

    def line(self) -> str:
        decimals = self.decimals if self.decimals is not None else 0 if self.unit else 2
        fmt = f"{{:,.{decimals}f}}"
        spread = (f" (spread {fmt.format(min(self.ratios))}-{fmt.format(max(self.ratios))}"
                  f" over {len(self.ratios)} rounds)" if len(self.ratios) > 1 else "")
        unit = f" {self.unit}" if self.unit else ""
        return (f"{self.path}: median {fmt.format(self.median)}{unit}{spread}, target "
                f"{self.target}{unit}: {'met' if self.met else 'NOT met'}; "
                f"{self.loads[-1] if self.loads else load_average()}")


FIGURES: list[Figure] = []


def record(figure: Figure) -> Figure:
    figure.loads.append(load_average())
    FIGURES.append(figure)
    print(figure.line())
    if figure.detail:
        print(figure.detail)
    return figure


def alternate(floor: Callable[[int], float], subject: Callable[[int], float],
              rounds: int = ROUNDS) -> list[float]:
    """Floor then subject, `rounds` times (ABAB...): each round's subject ÷ floor, so a change
    in the machine's load touches both sides of a ratio alike."""
    ratios = []
    for number in range(rounds):
        base = floor(number)
        ratios.append(subject(number) / base)
    return ratios
