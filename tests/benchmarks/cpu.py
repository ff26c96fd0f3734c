"""CPU seconds used by process trees and PostgreSQL backends (Linux /proc), to tell where a
benchmark's time goes: the web processes, the Celery worker, the database, the client."""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of `root` and each of its descendants, by pid."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            stats[int(entry.name)] = stat
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in stats.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return {pid: stats[pid][1] for pid in tree if pid in stats}


def backends_cpu(db, database: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends connected to `database` (same machine)."""
    pids = [row[0] for row in db.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [database]).fetchall()]
    return {pid: stat[1] for pid in pids if (stat := _stat(pid))}


def used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots (processes started in between count whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
