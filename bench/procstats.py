"""Memory and CPU of a running `app.py serve`, per worker process, from /proc (Linux).

With `--workers N` (N > 1) uvicorn's parent only supervises: the requests are served by its
children started through multiprocessing's spawn (its resource tracker is a child too, and is
not a worker). With one worker the parent serves itself.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return sorted(found)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def workers(parent: int) -> list[int]:
    """The processes that serve requests: the spawned uvicorn workers, else the parent itself."""
    spawned = [pid for pid in _children(parent) if "spawn_main" in _cmdline(pid)]
    return spawned or [parent]


def status_kb(pid: int, field: str) -> int | None:
    """A `VmRSS` / `VmHWM` ... line of /proc/PID/status, in kB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL backends connected to `database` (their process titles name it)."""
    found = []
    for cmd in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmd.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            found.append(int(cmd.parent.name))
    return found


class CpuMeter:
    """CPU seconds spent by a set of processes between start() and stop(); processes that appear
    in between (a pool opening connections) count from zero."""

    def __init__(self, pids: callable) -> None:  # type: ignore[valid-type]
        self.pids = pids
        self.before: dict[int, float] = {}

    def start(self) -> None:
        self.before = {pid: cpu_seconds(pid) for pid in self.pids()}

    def stop(self) -> float:
        return sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in self.pids())


class RssSampler:
    """Samples VmRSS of each worker every `interval` seconds in a thread; `result()` gives, per
    worker, the largest sample and the kernel's own high-water mark (VmHWM), in MB."""

    def __init__(self, parent: int, interval: float = 0.2) -> None:
        self.parent = parent
        self.interval = interval
        self.peak: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for pid in workers(self.parent):
            kb = status_kb(pid, "VmRSS")
            if kb is not None:
                self.peak[pid] = max(self.peak.get(pid, 0), kb)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def result(self) -> dict[str, list[float]]:
        pids = sorted(self.peak)
        return {
            "worker_rss_now_mb": [round((status_kb(p, "VmRSS") or 0) / 1024, 1) for p in pids],
            "worker_rss_peak_mb": [round(self.peak[p] / 1024, 1) for p in pids],
            "worker_hwm_mb": [round((status_kb(p, "VmHWM") or 0) / 1024, 1) for p in pids],
        }
