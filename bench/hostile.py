"""Hostile clients vs the event loop: /healthz latency idle and while N clients send worst-case
documents (each text unique, so no cache helps them), against a real `app.py serve` process.

    uv run python -m bench.hostile --clients 8 --seconds 10

Also prints, in-process, the uncached parse + guard + validation time of each worst-case document
(the time one request holds the loop in validation), and the resident memory of each serving
process through both phases (VmRSS sampled every 0.2 s, its peak, and VmHWM; bench/procstats.py).
Writes bench/results/hostile.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from bench.common import ROOT, report, server, summary
from bench.procstats import RssSampler

USER_FIELDS = "id displayName bio cuisines dietary spiceLevel budgetLevel followersCount followingCount"


def documents() -> dict[str, str]:
    """Worst cases: the reported attack, and the costliest shapes that stay under every guard."""
    fragments = " ".join(f"fragment F{i} on User {{ {USER_FIELDS} }}" for i in range(10))
    return {
        # the report: one field repeated several hundred times (~14 KB)
        "repeated-field-14kb": "{ " + "cuisineTags { tag } " * 700 + "}",
        # just under the repeated-key guard, as many keys as the token limit lets through
        "repeats-at-guard": "{ me { " + " ".join(f"{f} " * 10 for f in USER_FIELDS.split()[:5]) + "} }",
        # ten fragments selecting the same fields into one set: overlap checks across fragments
        "fragments-overlap": "{ me { " + " ".join(f"...F{i}" for i in range(10)) + " } } " + fragments,
        # fragments spreading each other twice per level: exponential expansion
        "fragment-bomb": "{ me { ...B0 } } "
        + " ".join(f"fragment B{i} on User {{ ...B{i + 1} ...B{i + 1} }}" for i in range(20))
        + " fragment B20 on User { id }",
        # a deep, nested connection walk (depth and cost)
        "deep-connections": "{ me { "
        + "followers(first: 100) { edges { node { " * 6
        + "id"
        + " } } }" * 6
        + " } }",
    }


def validation_times() -> list[dict]:
    """Uncached parse + guards + validation per document, in-process: the loop-holding part."""
    from schema import build_schema
    from settings import Settings

    schema = build_schema(Settings())
    validator = schema.document_validator  # type: ignore[attr-defined]
    rows = []
    for name, text in documents().items():
        samples = []
        for _ in range(20):
            unique = f"{text} # {uuid.uuid4().hex}"
            started = time.perf_counter()
            if len(unique.encode()) <= validator.limits.max_bytes:
                validator.prepare_now(unique, 500)
            samples.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "document": name,
                "bytes": len(text.encode()),
                "p50_ms": round(statistics.median(samples), 2),
                "max_ms": round(max(samples), 2),
            }
        )
    return rows


async def probe(url: str, seconds: float) -> list[float]:
    samples: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await http.get("/healthz")
            samples.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.02)
    return samples


async def attacker(url: str, stop: asyncio.Event, statuses: Counter[str]) -> None:
    texts = list(documents().values())
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        i = 0
        while not stop.is_set():
            text = f"{texts[i % len(texts)]} # {uuid.uuid4().hex}"
            response = await http.post("/graphql", json={"query": text})
            statuses[str(response.status_code)] += 1
            i += 1


async def attack(url: str, clients: int, seconds: float) -> tuple[list[float], Counter[str]]:
    stop, statuses = asyncio.Event(), Counter[str]()
    tasks = [asyncio.create_task(attacker(url, stop, statuses)) for _ in range(clients)]
    await asyncio.sleep(1)  # let the attack ramp up
    samples = await probe(url, seconds)
    stop.set()
    await asyncio.gather(*tasks)
    return samples, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--workers", type=int, default=1, help="serve --workers (more than 1 needs REDIS_URL)"
    )
    args = parser.parse_args()
    loop_rows = validation_times()
    report("hostile-validation", loop_rows)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DATABASE_URL", f"sqlite://{Path(tmp) / 'hostile.sqlite3'}")
        os.environ.setdefault("MEDIA_ROOT", str(Path(tmp) / "media"))
        subprocess.run([sys.executable, "app.py", "migrate"], cwd=ROOT, check=True, capture_output=True)
        # the limits under test are the defaults: don't let bench.common's load settings loosen them
        with server(workers=args.workers, extra_env={"MAX_QUERY_COST": "5000"}) as (url, process):
            with RssSampler(process.pid) as idle_memory:
                idle = asyncio.run(probe(url, args.seconds))
            idle_rss = idle_memory.result()
            with RssSampler(process.pid) as attack_memory:
                attacked, statuses = asyncio.run(attack(url, args.clients, args.seconds))
            attack_rss = attack_memory.result()
    rows = [
        {"phase": "idle", "clients": 0, **summary(idle), "max_ms": round(max(idle), 2), **idle_rss},
        {
            "phase": "under attack",
            "clients": args.clients,
            **summary(attacked),
            "max_ms": round(max(attacked), 2),
            "hostile_requests": sum(statuses.values()),
            "statuses": dict(statuses),
            **attack_rss,
        },
    ]
    report("hostile", rows, {"validation": loop_rows})


if __name__ == "__main__":
    main()
