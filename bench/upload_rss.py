"""Peak RSS of a real `app.py serve` process under N parallel worst-case photo confirmations.

Payloads (each a full upload: requestPhotoUpload, PUT, confirmPhotoUpload):
  bomb     the issue's 5 KB 1-bit PNG claiming 6320x6320 (refused from its header)
  rgba50   a 7071x7071 RGBA PNG (50 Mpx): passes the header checks, over the memory budget
  rgb50    the costliest image admitted: a 7071x7071 RGB PNG (50 Mpx, ~290 MB to decode)
  jpeg48   a legitimately large phone photo: 8064x6048 JPEG (48 Mpx, ~5 MB)
The server runs on a fresh SQLite database with local media and in-process Redis.

    uv run python -m bench.upload_rss --parallel 12
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from PIL import Image

from bench.common import ROOT, machine, report, server
from tests.helpers import gql, register
from tests.media_helpers import CONFIRM, REQUEST_UPLOAD, send_bytes

KINDS = ("bomb", "rgba50", "rgb50", "jpeg48")


def payload(kind: str) -> tuple[bytes, str]:
    out = io.BytesIO()
    if kind == "bomb":
        Image.new("1", (6320, 6320)).save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    if kind in ("rgba50", "rgb50"):
        mode = kind[:-2].upper()
        Image.new(mode, (7071, 7071), (200, 100, 50, 255)[: len(mode)]).save(out, "PNG")
        return out.getvalue(), "image/png"
    width, height = 8064, 6048
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    Image.blend(gradient, Image.effect_noise((width, height), 6).convert("RGB"), 0.5).save(
        out, "JPEG", quality=85
    )
    return out.getvalue(), "image/jpeg"


def rss_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


class Sampler(threading.Thread):
    """RSS every 10 ms (VmHWM is the kernel's own peak, so nothing between samples is missed)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid)["VmRSS"])
            time.sleep(0.01)


async def one_upload(url: str, data: bytes, content_type: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        token, _, _ = await register(client)
        body = await gql(client, REQUEST_UPLOAD, {"t": content_type, "n": len(data)}, token)
        upload = body["data"]["requestPhotoUpload"]["upload"]
        await send_bytes(client, upload, data, content_type)
        confirmed = (await gql(client, CONFIRM, {"id": upload["photoId"]}, token))["data"][
            "confirmPhotoUpload"
        ]
        return confirmed["errors"][0]["code"] if confirmed["errors"] else "READY"


async def run(url: str, pid: int, kinds: list[str], parallel: int) -> dict:
    payloads = {kind: payload(kind) for kind in kinds}
    await one_upload(url, *payloads["jpeg48" if "jpeg48" in kinds else kinds[0]])  # warm-up
    time.sleep(1)
    before = rss_kib(pid)["VmRSS"]
    sampler = Sampler(pid)
    sampler.start()
    started = time.perf_counter()
    jobs = [payloads[kinds[i % len(kinds)]] for i in range(parallel)]
    outcomes = await asyncio.gather(*(one_upload(url, data, ct) for data, ct in jobs))
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2)
    sampler.running = False
    sampler.join()
    after = rss_kib(pid)
    counts: dict[str, int] = {}
    for kind, outcome in zip([kinds[i % len(kinds)] for i in range(parallel)], outcomes, strict=True):
        counts[f"{kind}:{outcome}"] = counts.get(f"{kind}:{outcome}", 0) + 1
    return {
        "parallel": parallel,
        "kinds": "+".join(kinds),
        "rss_before_mb": round(before / 1024),
        "rss_peak_mb": round(max(sampler.peak, after["VmHWM"]) / 1024),
        "rss_after_2s_mb": round(after["VmRSS"] / 1024),
        "seconds": round(elapsed, 1),
        "outcomes": " ".join(f"{k}={v}" for k, v in sorted(counts.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parallel", type=int, default=12)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--budget-mb", type=int, default=None, help="IMAGE_DECODE_BUDGET_MB (default: 320)")
    parser.add_argument("--workers", type=int, default=None, help="IMAGE_DECODE_WORKERS (default: 2)")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DATABASE_URL": f"sqlite://{tmp}/bench.sqlite3",
            "MEDIA_ROOT": f"{tmp}/media",
            "REDIS_URL": "",
            "RATE_LIMIT_UPLOADS_PER_HOUR": "0",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "1024",
            "IMAGE_DECODE_WAIT_SECONDS": "120",
        }
        if args.budget_mb is not None:
            env["IMAGE_DECODE_BUDGET_MB"] = str(args.budget_mb)
        if args.workers is not None:
            env["IMAGE_DECODE_WORKERS"] = str(args.workers)
        os.environ.update(env)
        subprocess.run([sys.executable, "app.py", "migrate"], cwd=ROOT, check=True, capture_output=True)
        with server(extra_env=env) as (url, process):
            row = asyncio.run(run(url, process.pid, kinds, args.parallel))
    row["budget_mb"] = args.budget_mb or 320
    row["decode_workers"] = args.workers or 2
    name = f"upload-rss-{row['kinds']}-p{args.parallel}-b{row['budget_mb']}-w{row['decode_workers']}"
    report(name, [row], {"machine": machine()})


if __name__ == "__main__":
    main()
