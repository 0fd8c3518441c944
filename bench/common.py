"""Shared benchmark plumbing: run `serve`, mint tokens, percentiles, tables and JSON results."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from core.tokens import issue_token
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(
    workers: int = 1, extra_env: dict[str, str] | None = None, root: Path = ROOT
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`app.py serve` against the configured database, quiet logs, limits off for load; `root`
    another checkout of the code (e.g. a `git worktree` of an earlier commit) to compare with."""
    port = free_port()
    env = {
        **os.environ,
        "RATE_LIMIT_WRITES_PER_MINUTE": "0",
        "RATE_LIMIT_LOGINS_PER_MINUTE": "0",
        "RATE_LIMIT_REGISTRATIONS_PER_HOUR": "0",
        "MAX_QUERY_COST": "1000000",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "app.py",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with serving(f"http://127.0.0.1:{port}", process) as url:
        yield url, process


@contextmanager
def serving(url: str, process: subprocess.Popen) -> Iterator[str]:
    """Wait until the server at `url` answers /readyz; stop it on the way out."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("server did not become ready")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(30)


def token_for(settings: Settings, user_id: int) -> str:
    return issue_token(settings.secret_key, user_id, 0, 3600)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 2),
        "p90_ms": round(percentile(samples_ms, 90), 2),
        "p99_ms": round(percentile(samples_ms, 99), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
    }


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def report(name: str, rows: list[dict], extra: dict | None = None) -> None:
    """Print a table and write bench/results/<name>.json."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    widths = {k: max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for row in rows:
        print("  ".join(str(row.get(k, "")).ljust(widths[k]) for k in keys))
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "rows": rows, "machine": machine(), **(extra or {})}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    print(f"wrote {RESULTS / (name + '.json')}")
