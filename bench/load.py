"""Benchmark 4: a mobile session mix (bench/session.lua) with wrk against `serve --workers N`.

    apt-get install wrk   # once
    DATABASE_URL=... SECRET_KEY=... REDIS_URL=... uv run python -m bench.load --workers 2 --connections 32

Reports requests/s, latency percentiles, errors, and resident memory of each worker process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

from tortoise import Tortoise

from bench.common import ROOT, report, server, token_for
from models import tortoise_config
from models.restaurants import Dish
from schema.ids import encode
from settings import Settings


def worker_memory_mb(parent: int) -> list[float]:
    """RSS of the serve process's children (the uvicorn workers), from /proc."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                status = (stat.parent / "status").read_text()
                kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
                sizes.append(round(kb / 1024, 1))
        except (OSError, AttributeError, IndexError, ValueError):
            continue
    return sizes


def parse(output: str) -> dict[str, object]:
    def ms(text: str) -> float:
        value, unit = (
            float(re.match(r"([\d.]+)(\w+)", text).group(1)),
            re.match(r"([\d.]+)(\w+)", text).group(2),
        )  # type: ignore[union-attr]
        return round(value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 2)

    result: dict[str, object] = {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    }  # type: ignore[union-attr]
    for p in ("50", "90", "99"):
        found = re.search(rf"^\s+{p}%\s+(\S+)", output, re.M)
        if found:
            result[f"p{p}_ms"] = ms(found.group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    settings = Settings.from_env()

    async def dish_ids() -> list[str]:
        await Tortoise.init(config=tortoise_config(settings))
        try:
            return [encode("Dish", pk) for pk in await Dish.all().limit(200).values_list("id", flat=True)]
        finally:
            await Tortoise.close_connections()

    env = {
        **os.environ,
        "TOKENS": ",".join(token_for(settings, uid) for uid in range(1, 201)),
        "DISHES": ",".join(asyncio.run(dish_ids())) or encode("Dish", 1),
    }
    with server(workers=args.workers) as (url, process):
        subprocess.run(
            ["wrk", "-t2", "-c8", "-d3s", "-s", str(ROOT / "bench/session.lua"), url],
            env=env,
            capture_output=True,
        )
        done = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--latency",
                "-s",
                str(ROOT / "bench/session.lua"),
                url,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        memory = worker_memory_mb(process.pid)
    print(done.stdout)
    backend = "postgis" if settings.is_postgres else "sqlite"
    row = {
        "workers": args.workers,
        "connections": args.connections,
        **parse(done.stdout),
        "worker_rss_mb": memory,
    }
    report(f"load-{backend}-w{args.workers}-c{args.connections}", [row])


if __name__ == "__main__":
    main()
