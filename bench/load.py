"""Benchmark 4: a mobile session mix (bench/session.lua) with wrk against `serve --workers N`.

    apt-get install wrk   # once
    DATABASE_URL=... SECRET_KEY=... REDIS_URL=... uv run python -m bench.load --workers 2 --connections 32

Reports requests/s, latency percentiles, errors (non-2xx, and 200s carrying GraphQL errors), the
resident memory of each worker process (VmRSS sampled every 0.2 s through the run, its peak, and
the kernel's high-water mark VmHWM), and CPU per request: of the workers, of the PostgreSQL
backends serving this database, and of wrk (all from /proc; a ratio that other load on the
machine disturbs far less than requests/s). `ONLY=me,dish` runs just those lines of the mix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from tortoise import Tortoise

from bench import common
from bench.common import ROOT, report, server, token_for
from bench.procstats import CpuMeter, RssSampler, postgres_backends, workers
from models import tortoise_config
from models.restaurants import Dish
from schema.ids import encode
from settings import Settings


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
    graphql = re.search(r"GraphQL errors: (\d+)", output)
    result["graphql_errors"] = int(graphql.group(1)) if graphql else None
    total = re.search(r"(\d+) requests in", output)
    result["requests"] = int(total.group(1)) if total else 0
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--name", default="", help="suffix of the results file")
    parser.add_argument(
        "--tree",
        default="",
        help="serve the app of another checkout (e.g. `git archive BASE | tar -x -C DIR`): before/after "
        "side by side with the same load client and measures",
    )
    args = parser.parse_args()
    if args.tree:
        common.ROOT = Path(args.tree).resolve()  # server() starts `app.py serve` in common.ROOT
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
    database = urlsplit(settings.database_url).path.lstrip("/") if settings.is_postgres else ""
    with server(workers=args.workers, root=common.ROOT) as (url, process):
        subprocess.run(
            ["wrk", "-t2", "-c8", "-d3s", "-s", str(ROOT / "bench/session.lua"), url],
            env=env,
            capture_output=True,
        )
        app_cpu = CpuMeter(lambda: workers(process.pid))
        db_cpu = CpuMeter(lambda: postgres_backends(database) if database else [])
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with RssSampler(process.pid) as memory:
            app_cpu.start()
            db_cpu.start()
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
            app_seconds, db_seconds = app_cpu.stop(), db_cpu.stop()
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rss = memory.result()
    print(done.stdout)
    backend = "postgis" if settings.is_postgres else "sqlite"
    measured = parse(done.stdout)
    served = max(int(measured.pop("requests")), 1)  # type: ignore[call-overload]
    wrk_seconds = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    row = {
        "workers": args.workers,
        "connections": args.connections,
        **({"only": os.environ["ONLY"]} if os.environ.get("ONLY") else {}),
        **({"tree": args.tree} if args.tree else {}),
        **measured,
        "app_cpu_ms_per_req": round(app_seconds * 1000 / served, 2),
        "db_cpu_ms_per_req": round(db_seconds * 1000 / served, 2) if database else None,
        "wrk_cpu_ms_per_req": round(wrk_seconds * 1000 / served, 2),
        **rss,
        "load_average": os.getloadavg()[0],
    }
    name = f"load-{backend}-w{args.workers}-c{args.connections}{'-' + args.name if args.name else ''}"
    report(name, [row])


if __name__ == "__main__":
    main()
