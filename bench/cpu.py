"""Where a scenario's CPU goes: the app's gunicorn processes, PostgreSQL's and the load generator's
CPU milliseconds per request, and how busy the machine was (not a test; used by run.py).

On a shared machine a scenario's req/s moves with the host's speed, and the app, PostgreSQL and the
load generator share the same cores. Their CPU per request tells which of them a scenario's cost is
in, and the host's steal (time the hypervisor gave another guest) tells a slow host from slow code.
Each scenario is measured in the middle of its run: from `MARGIN` seconds after its warm-up to
`MARGIN` seconds before its end, from the kernel's counters in /proc (Linux only).
"""
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

MARGIN = 0.5
TICKS = os.sysconf("SC_CLK_TCK")
APP, POSTGRES, LOAD = "app", "postgres", "load generator"


class Process(NamedTuple):
    pid: int
    parent: int
    name: str
    cpu_seconds: float  # user and system, so far


def processes() -> Iterator[Process]:
    """Every process on the machine, from /proc/<pid>/stat."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it exited meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        yield Process(int(entry.name), int(fields[1]), stat[stat.index("(") + 1:stat.rindex(")")],
                      (int(fields[11]) + int(fields[12])) / TICKS)


def _by_process(master: int, loadgen: int) -> dict[str, float]:
    """CPU seconds so far of the gunicorn master `master` with its workers, of every PostgreSQL
    process, and of the load generator `loadgen`."""
    seconds = {APP: 0.0, POSTGRES: 0.0, LOAD: 0.0}
    for process in processes():
        group = (APP if master in (process.pid, process.parent) else POSTGRES if process.name == "postgres"
                 else LOAD if process.pid == loadgen else None)
        if group:
            seconds[group] += process.cpu_seconds
    return seconds


def _machine() -> tuple[int, int, int]:
    """The machine's CPU ticks so far: in all, busy (neither idle nor waiting for I/O), stolen."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return user + nice + system + idle + iowait + irq + softirq + steal, user + nice + system + irq + softirq, steal


class Window(threading.Thread):
    """The CPU use of one scenario that the load generator `loadgen` starts now against the gunicorn
    master `master`: its `figures` once the scenario has finished."""

    def __init__(self, master: int, loadgen: int, *, warmup: float, duration: float):
        super().__init__(daemon=True)
        self.master, self.loadgen = master, loadgen
        self.begin, self.end = time.monotonic() + warmup + MARGIN, time.monotonic() + warmup + duration - MARGIN
        self.cancelled, self.rates, self.machine = threading.Event(), None, None
        self.start()

    def run(self) -> None:
        if self.end <= self.begin or self.cancelled.wait(self.begin - time.monotonic()):
            return
        began, processes, machine = time.monotonic(), _by_process(self.master, self.loadgen), _machine()
        if self.cancelled.wait(self.end - time.monotonic()):
            return
        elapsed, now, after = time.monotonic() - began, _by_process(self.master, self.loadgen), _machine()
        self.rates = {group: (now[group] - processes[group]) / elapsed for group in now}
        ticks, busy, steal = (b - a for a, b in zip(machine, after, strict=True))
        self.machine = {"busy": round(busy / ticks, 3), "steal": round(steal / ticks, 3)} if ticks else None

    def cancel(self) -> None:
        """The load generator stopped before this scenario ran."""
        self.cancelled.set()

    def figures(self, rps: float | None) -> dict:
        """The JSON fields of the finished scenario, served at `rps`: CPU milliseconds per request by
        process, and the machine's busy and stolen shares (empty if the run was too short to measure)."""
        self.join()
        if self.rates is None or not rps:
            return {}
        return {"cpu_ms_per_request": {group: round(rate / rps * 1000, 2) for group, rate in self.rates.items()},
                "machine": self.machine}
