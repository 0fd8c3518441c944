"""Flash-sale bursts, Tablemates and a peer side by side: N users, one claim each, on Q vouchers.

    DATABASE_URL=postgres://.../tablemates_claims SECRET_KEY=... REDIS_URL=redis://127.0.0.1:6379/4 \\
      uv run python -m bench.burst --shapes 200:50,2000:500 --runs 3 [--hmdp http://127.0.0.1:8081]

One lean client for both: the requests are built before the clock starts, then 64 HTTP/1.1
keep-alive connections (raw asyncio sockets, no HTTP library on the hot path) send them back to
back, each connection its next user's request as soon as the previous answer is in; attempts/s is
N / wall time from the first byte sent to the last answer read. Every burst user is new to the
server (run r of a shape uses users `first + r*N .. first + r*N + N - 1`, so no viewer cache
helps; the database needs `first + runs*N` users, e.g. `bench.generate --diners 7000`).

Runs alternate (ours, peer, ours, peer, ...) so both see the same machine; the median of each
and their ratio are printed and written to bench/results/burst-<N>-<Q>.json.

Checked every run, ours: answers issued = claims in the database = the deal's counter = Q from Q
distinct users, every other answer SOLD_OUT; then the first 10 issued requests are sent again
(same key) and must answer the same claim (idempotency). Also recorded, per attempt: CPU of the
server's processes (`--pid`/`--hmdp-pid`, or the `serve` this script starts), of its database
(PostgreSQL backends of our database; `mariadbd` for hmdp) and of this client.
The peer (`--hmdp`, a FastAPI Dianping clone: `POST /voucher-order/seckill/{id}` with the login
token in `authorization`, tokens md5(user id) as its `/user/login` makes them, a Redis Lua gate,
orders written later from a Redis stream): a fresh seckill voucher per run through its own
`POST /voucher/seckill`; checked: successes = Q, its Redis stock 0 and order set Q, and its
database stock (`GET /voucher/list/{shop}`) once its stream has drained; what a repeat answers
is reported (it has no idempotency key: a retry is refused as a repeat order).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import ROOT, report, server, token_for
from schema.ids import encode
from settings import Settings

CLAIM = (
    "mutation Claim($d: ID!, $k: String!) "
    "{ claimDeal(dealId: $d, idempotencyKey: $k) { claim { id code } errors { code } } }"
)


# ---------------------------------------------------------------------------------------------
# The client: prepared requests over N keep-alive connections


def http_request(host: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"transfer-encoding":
            raise RuntimeError("chunked answers are not supported by this client")
    return status, await reader.readexactly(length or 0)


async def fire(url: str, requests: list[bytes], connections: int) -> tuple[float, list[tuple[int, bytes]]]:
    """Open `connections` connections, then send every request; (wall seconds, answers in order)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    pairs = [await asyncio.open_connection(host, port) for _ in range(min(connections, len(requests)))]
    answers: list[tuple[int, bytes]] = [(0, b"")] * len(requests)
    queue = iter(range(len(requests)))  # shared: each connection takes the next request

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for i in queue:
            for attempt in range(2):
                try:
                    writer.write(requests[i])
                    answers[i] = await _read_response(reader)
                    break
                except (asyncio.IncompleteReadError, ConnectionError):  # closed by the server
                    if attempt:
                        raise
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(r, w) for r, w in pairs))
    return time.perf_counter() - started, answers


async def timed_fire(
    url: str, requests: list[bytes], connections: int, pids: list[int]
) -> tuple[float, list[tuple[int, bytes]], float, float]:
    """fire(), and the CPU ms per request of the server (`pids`) and of this client."""
    server_before, client_before = cpu_seconds(pids), time.process_time()
    wall, answers = await fire(url, requests, connections)
    server = cpu_seconds(pids) - server_before
    client = time.process_time() - client_before
    return wall, answers, 1000 * server / len(requests), 1000 * client / len(requests)


async def send_one(url: str, request: bytes) -> tuple[int, bytes]:
    return (await fire(url, [request], 1))[1][0]


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(c) for c in children.read().split())
        except OSError:
            pass
    return found


def cpu_of(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far."""
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return found


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_of(pids).values())


def processes_named(*needles: bytes) -> list[int]:
    """Processes whose command line holds every needle (a PostgreSQL backend's title names its
    database: `postgres: postgres tablemates_claims 127.0.0.1(5432) idle`)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    text = cmdline.read()
            except OSError:
                continue
            if all(needle in text for needle in needles):
                found.append(int(entry))
    return found


class DatabaseCpu:
    """CPU the database spent for one target during a burst (its backends or its server)."""

    def __init__(self, *needles: bytes) -> None:
        self.needles = needles

    def __enter__(self) -> DatabaseCpu:
        self.before = cpu_of(processes_named(*self.needles))
        return self

    def __exit__(self, *_: object) -> None:
        after = cpu_of(processes_named(*self.needles))
        self.seconds = sum(cpu - self.before.get(pid, 0.0) for pid, cpu in after.items())


# ---------------------------------------------------------------------------------------------
# Targets


@dataclass
class Outcome:
    wall_s: float
    attempts: int
    issued: int
    refusals: dict[str, int]
    checks: dict[str, object] = field(default_factory=dict)
    server_cpu_ms: float = 0.0  # the server's processes, per attempt, during the burst
    client_cpu_ms: float = 0.0
    database_cpu_ms: float = 0.0

    @property
    def rate(self) -> float:
        return self.attempts / self.wall_s

    def row(self, target: str, run: int) -> dict:
        return {
            "target": target,
            "run": run,
            "attempts": self.attempts,
            "wall_s": round(self.wall_s, 3),
            "attempts_per_s": round(self.rate, 1),
            "server_cpu_ms_per_attempt": round(self.server_cpu_ms, 2),
            "database_cpu_ms_per_attempt": round(self.database_cpu_ms, 2),
            "client_cpu_ms_per_attempt": round(self.client_cpu_ms, 2),
            "issued": self.issued,
            "refusals": self.refusals,
            **self.checks,
        }


class Ours:
    name = "tablemates"

    def __init__(self, url: str, settings: Settings, pids: list[int]) -> None:
        self.url, self.settings, self.pids = url, settings, pids
        self.host = urlsplit(url).netloc

    async def run(self, users: range, quantity: int, connections: int) -> Outcome:
        from bench.claims import make_deal

        deal_id = await make_deal(quantity, days=30)  # no expiry reminders during the run
        deal = encode("Deal", deal_id)
        requests = []
        for user in users:
            body = json.dumps({"query": CLAIM, "variables": {"d": deal, "k": uuid.uuid4().hex}}).encode()
            headers = {
                "Authorization": f"Bearer {token_for(self.settings, user)}",
                "Content-Type": "application/json",
            }
            requests.append(http_request(self.host, "POST", "/graphql", headers, body))
        database = urlsplit(self.settings.database_url).path.strip("/").encode()
        with DatabaseCpu(b"postgres: ", b" " + database + b" ") as db_cpu:
            wall, answers, server_cpu, client_cpu = await timed_fire(
                self.url, requests, connections, self.pids
            )
        issued, refusals, claims = 0, {}, {}
        for i, (status, raw) in enumerate(answers):
            payload = (json.loads(raw).get("data") or {}).get("claimDeal") if status == 200 else None
            if payload and payload.get("claim"):
                issued += 1
                claims[i] = payload["claim"]
            else:
                code = (payload or {}).get("errors", [{}])[0].get("code") if payload else f"HTTP {status}"
                refusals[str(code)] = refusals.get(str(code), 0) + 1
        checks = await self.verify(deal_id, quantity, issued, refusals)
        # idempotency: the first issued requests again, same key -> same claim
        again = [await send_one(self.url, requests[i]) for i in list(claims)[:10]]
        same = sum(
            json.loads(raw)["data"]["claimDeal"]["claim"] == claims[i]
            for i, (_, raw) in zip(list(claims)[:10], again, strict=True)
        )
        checks["repeat_same_claim"] = f"{same}/{len(again)}"
        if same != len(again):  # reported, and fails the run at the end (main)
            checks["repeat_answers"] = sorted({raw.decode() for _, raw in again})
        db_ms = 1000 * db_cpu.seconds / len(users)
        return Outcome(wall, len(users), issued, refusals, checks, server_cpu, client_cpu, db_ms)

    async def verify(self, deal_id: int, quantity: int, issued: int, refusals: dict) -> dict[str, object]:
        from models.deals import Claim, Deal

        stored = await Claim.filter(deal_id=deal_id).count()
        users = len(set(await Claim.filter(deal_id=deal_id).values_list("user_id", flat=True)))
        counter = (await Deal.get(id=deal_id)).claimed_count
        checks = {
            "claims_in_db": stored,
            "distinct_users": users,
            "deal_counter": counter,
            "oversold": max(0, stored - quantity),
        }
        assert stored == issued == counter == users == quantity, f"oversold or lost a claim: {checks}"
        assert set(refusals) <= {"SOLD_OUT"}, f"unexpected refusals: {refusals}"
        return checks


class Hmdp:
    name = "hmdp"

    def __init__(self, url: str, redis_url: str, pids: list[int]) -> None:
        self.url, self.redis_url, self.pids = url, redis_url, pids
        self.host = urlsplit(url).netloc

    async def _json(self, method: str, path: str, body: dict | None = None) -> dict:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        status, answer = await send_one(self.url, http_request(self.host, method, path, headers, raw))
        assert status == 200, (status, answer)
        return json.loads(answer)

    async def run(self, users: range, quantity: int, connections: int) -> Outcome:
        import redis.asyncio as aioredis

        shop = int(time.time() * 1000) % 1_000_000_000
        voucher = (
            await self._json(
                "POST",
                "/voucher/seckill",
                {
                    "shopId": shop,
                    "title": "9.9元双人餐",
                    "payValue": 0,
                    "actualValue": 19800,
                    "type": 1,
                    "status": 1,
                    "stock": quantity,
                    "beginTime": "2020-01-01T00:00:00",
                    "endTime": "2099-01-01T00:00:00",
                },
            )
        )["data"]
        path = f"/voucher-order/seckill/{voucher}"
        requests = [
            http_request(self.host, "POST", path, {"authorization": hashlib.md5(str(u).encode()).hexdigest()})
            for u in users
        ]
        with DatabaseCpu(b"mariadbd") as db_cpu:  # the MariaDB server (hmdp's only user of it here)
            wall, answers, server_cpu, client_cpu = await timed_fire(
                self.url, requests, connections, self.pids
            )
        issued, refusals = 0, {}
        for status, raw in answers:
            answer = json.loads(raw) if status == 200 else {}
            if answer.get("success"):
                issued += 1
            else:
                code = answer.get("errorMsg") or f"HTTP {status}"
                refusals[code] = refusals.get(code, 0) + 1
        repeat = json.loads((await send_one(self.url, requests[0]))[1]).get("errorMsg")
        redis = aioredis.from_url(self.redis_url, decode_responses=True)
        try:
            redis_stock = int(await redis.get(f"hmdp:seckill:stock:{voucher}"))
            order_set = await redis.scard(f"hmdp:seckill:order:{voucher}")
        finally:
            await redis.aclose()
        drained, db_stock = time.perf_counter(), None
        while time.perf_counter() - drained < 60:  # its orders are written from the stream
            rows = (await self._json("GET", f"/voucher/list/{shop}"))["data"]
            db_stock = rows[0]["stock"]
            if db_stock <= quantity - issued:
                break
            await asyncio.sleep(0.2)
        checks = {
            "redis_stock": redis_stock,
            "redis_order_set": order_set,
            "db_stock_after_drain": db_stock,
            "drain_s": round(time.perf_counter() - drained, 2),
            "oversold": max(0, issued - quantity),
            "repeat_answer": repeat,
        }
        db_ms = 1000 * db_cpu.seconds / len(users)  # its stream consumer writes orders after the burst
        return Outcome(wall, len(users), issued, refusals, checks, server_cpu, client_cpu, db_ms)


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", default="200:50,2000:500", help="users:vouchers,...")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-user", type=int, default=2, help="our first burst user id")
    parser.add_argument("--url", help="a running Tablemates instead of starting `serve`")
    parser.add_argument("--hmdp", help="hmdp's base URL, e.g. http://127.0.0.1:8081")
    parser.add_argument("--hmdp-redis", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--hmdp-first-user", type=int, default=1)
    parser.add_argument("--pid", type=int, help="with --url: its server's pid (for CPU per attempt)")
    parser.add_argument("--hmdp-pid", type=int, help="hmdp's server pid (for CPU per attempt)")
    parser.add_argument("--name", default="", help="suffix of the results files (burst-N-Q-<name>.json)")
    parser.add_argument(
        "--tree",
        help="serve the app of another checkout (e.g. `git archive BASE | tar -x -C DIR`): before/after",
    )
    args = parser.parse_args()
    settings = Settings.from_env()
    shapes = [tuple(int(x) for x in shape.split(":")) for shape in args.shapes.split(",")]

    async def bench(url: str, pid: int | None) -> None:
        from tortoise import Tortoise

        from models import tortoise_config

        await Tortoise.init(config=tortoise_config(settings))
        try:
            ours = Ours(url, settings, process_tree(pid) if pid else [])
            hmdp_pids = process_tree(args.hmdp_pid) if args.hmdp_pid else []
            peer = Hmdp(args.hmdp, args.hmdp_redis, hmdp_pids) if args.hmdp else None
            for users, quantity in shapes:
                rows, rates = [], {"tablemates": [], "hmdp": []}
                cpu: dict[str, list[float]] = {"tablemates": [], "hmdp": []}
                offset = 0
                failures: list[str] = []
                for run in range(args.runs):
                    for target in (ours, peer):
                        if target is None:
                            continue
                        first = (args.first_user if target is ours else args.hmdp_first_user) + offset
                        outcome = await target.run(range(first, first + users), quantity, args.connections)
                        rows.append(outcome.row(target.name, run + 1))
                        if "repeat_answers" in outcome.checks:
                            failures.append(
                                f"{target.name} run {run + 1}: a repeated key did not answer its claim"
                            )
                        rates[target.name].append(outcome.rate)
                        cpu[target.name].append(outcome.server_cpu_ms + outcome.database_cpu_ms)
                        print(
                            f"  {users}/{quantity} {target.name} run {run + 1}: {outcome.rate:.1f} attempts/s"
                        )
                    offset += users
                medians = {name: round(statistics.median(r), 1) for name, r in rates.items() if r}
                summary = {
                    "users": users,
                    "vouchers": quantity,
                    "connections": args.connections,
                    "workers": args.workers,
                    "medians": medians,
                    "server_and_database_cpu_ms_per_attempt": {
                        name: round(statistics.median(c), 2) for name, c in cpu.items() if c
                    },
                }
                if len(medians) == 2:
                    summary["ratio_tablemates_over_hmdp"] = round(medians["tablemates"] / medians["hmdp"], 2)
                print(f"{users} users on {quantity}: {summary}")
                suffix = f"-{args.name}" if args.name else ""
                report(f"burst-{users}-{quantity}{suffix}", rows, {"summary": summary})
                assert not failures, failures
        finally:
            await Tortoise.close_connections()

    if args.url:
        asyncio.run(bench(args.url, args.pid))
    else:
        root = Path(args.tree).resolve() if args.tree else ROOT
        with server(workers=args.workers, root=root) as (url, process):
            asyncio.run(bench(url, process.pid))


if __name__ == "__main__":
    main()
