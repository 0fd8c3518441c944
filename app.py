"""Tablemates: the Starlette app (`create_app`) and the command line (`python app.py ...`)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import hmac
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.contrib.starlette import RegisterTortoise

from core import tracing
from core.health import check_dependencies, failed
from core.logs import configure_logging
from core.metrics import DB_POOL, HTTP_LATENCY, HTTP_REQUESTS, REGISTRY, labelled, observe_query
from core.services import open_services
from models import querylog, tortoise_config
from resolvers import jobs
from resolvers.accounts import viewer_cache
from schema import build_schema
from schema.http_body import RequestRefused, read_capped_body
from schema.unavailable import UnavailableMiddleware
from schema.view import GraphQLEndpoint
from settings import Settings, SettingsError

log = logging.getLogger("tablemates")
access_log = logging.getLogger("tablemates.http")
GC_GEN0_THRESHOLD = 20_000
MAX_NOTIFICATION_BYTES = 64 * 1024  # WeChat Pay / Alipay notifications are a few KB


def given_request_id(raw: bytes) -> str | None:
    """A proxy's request id, when it is a plain ASCII token (letters, digits, '-' as in a UUID)
    of at most 64 characters: it is echoed in a header and written to logs. Header bytes are
    whatever the client sent: decoding them as UTF-8 made `\\xff` a 500, and str.isalnum()
    took Chinese letters, echoed back as raw UTF-8 in a response header."""
    text = raw.decode("latin-1")
    if 0 < len(text) <= 64 and text.isascii() and text.replace("-", "").isalnum():
        return text
    return None


class RequestIdMiddleware:
    """Pure ASGI: tag each request with an id (echoed as X-Request-Id) and time it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = given_request_id(headers.get(b"x-request-id", b"")) or os.urandom(8).hex()  # 16 hex
        scope["request_id"] = request_id
        route = scope["path"] if scope["path"] in ("/graphql", "/healthz", "/readyz", "/metrics") else "other"
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            labelled(HTTP_REQUESTS, scope["method"], route, str(status)).inc()
            labelled(HTTP_LATENCY, route).observe(elapsed)
            # The access line (uvicorn's own is off): no query string, it may hold a document.
            client = scope.get("client")
            access_log.info(
                "%s %s %d %.1fms [request %s]",
                scope["method"],
                scope["path"],
                status,
                elapsed * 1000,
                request_id,
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": client[0] if client else None,
                },
            )


class LateBoundEndpoint:
    """An ASGI endpoint whose handler is created in the lifespan (it needs open services)."""

    def __init__(self) -> None:
        self.handler: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.handler is not None, "the app's lifespan has not started"
        await self.handler(scope, receive, send)


def observe_pools() -> None:
    """Pool sizes for /metrics (PostgreSQL pools; SQLite has one connection)."""
    from tortoise import connections

    for name in ("default", "replica"):
        try:
            pool = getattr(connections.get(name), "_pool", None)
        except Exception:  # noqa: BLE001 - connection not configured
            continue
        if pool is not None and hasattr(pool, "get_size"):
            DB_POOL.labels(name, "open").set(pool.get_size())
            DB_POOL.labels(name, "idle").set(pool.get_idle_size())


def metrics_exposed(settings: Settings) -> bool:
    """/metrics names operations, latencies and pool sizes: in production it exists only with
    METRICS_TOKEN set (then, as everywhere, it asks for that bearer token)."""
    return not settings.is_production or settings.metrics_token is not None


def metrics_authorized(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def migration_status(settings: Settings, state: dict[str, Any]) -> str:
    """"ok", or the pending migrations: a deploy that forgot `migrate` is not ready.
    Once ok it stays ok (a running process never gains migrations), so the check costs once."""
    from models.migrate import pending_migrations

    if state.get("migrated"):
        return "ok"
    try:
        pending = await pending_migrations(settings)
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return failed("migrations", error)
    state["migrated"] = not pending
    if not pending:
        return "ok"
    more = f" and {len(pending) - 3} more" if len(pending) > 3 else ""
    return f"pending: {', '.join(pending[:3])}{more}; run `python app.py migrate`"


def graphiql_routes(settings: Settings) -> list[Mount]:
    """GraphiQL's vendored scripts and styles, where GraphiQL itself is on (INTROSPECTION)."""
    from starlette.staticfiles import StaticFiles

    from schema.graphiql import STATIC_DIR, STATIC_URL

    return [Mount(STATIC_URL, StaticFiles(directory=STATIC_DIR))] if settings.introspection else []


def create_app(settings: Settings) -> Starlette:
    state: dict[str, Any] = {}
    schema = build_schema(settings)
    graphql = LateBoundEndpoint()

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        results = await check_dependencies(state["services"])
        results["migrations"] = await migration_status(settings, state)
        ok = all(v == "ok" for v in results.values())
        return JSONResponse({"ready": ok, "checks": results}, status_code=200 if ok else 503)

    async def _notification_body(request: Request) -> bytes | Response:
        """A provider's notification is a few KB: anything past the cap is refused unread (an
        unauthenticated 400 MB body held ~800 MB of a worker until its signature failed), as is
        one still arriving after the read deadline; the refusal is the answer to send."""
        try:
            await read_capped_body(request, MAX_NOTIFICATION_BYTES)
        except RequestRefused as refused:
            if refused.status_code == 413:
                return PlainTextResponse("too large", status_code=413)
            return PlainTextResponse("too slow", status_code=408, headers={"connection": "close"})
        return await request.body()

    async def payment_webhook(request: Request) -> Response:
        """The payment provider confirms a paid intent (signed with the shared secret)."""
        from resolvers.deals.deals import PaymentOutcome, confirm_payment

        services = state["services"]
        body = await _notification_body(request)
        if isinstance(body, Response):
            return body
        event = services.payments.verify_webhook(body, request.headers.get("x-signature", ""))
        if event is None:
            return PlainTextResponse("bad signature", status_code=400)
        if event.get("type") == "payment.succeeded":
            outcome = await confirm_payment(services, str(event.get("intentId", "")))
            found = outcome != PaymentOutcome.UNKNOWN
            return PlainTextResponse("ok" if found else "unknown intent", status_code=200 if found else 404)
        return PlainTextResponse("ignored")

    async def provider_notification(request: Request) -> Response:
        """WeChat Pay / Alipay notify here (resolvers/deals/payment_notifications.py)."""
        from resolvers.deals.payment_notifications import handle_notification

        body = await _notification_body(request)
        if isinstance(body, Response):
            return body
        provider = request.path_params["provider"]
        answer = await handle_notification(state["services"], provider, request.headers, body)
        status, media_type, text = answer
        return Response(text, status_code=status, media_type=media_type)

    async def metrics(request: Request) -> Response:
        if settings.metrics_token and not metrics_authorized(request, settings.metrics_token):
            return PlainTextResponse("unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        observe_pools()
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        querylog.install(settings.slow_query_ms, observe_query)
        provider = tracing.provider_from_env() if tracing.wanted() else None
        if provider is not None:
            tracing.enable(provider)
        async with RegisterTortoise(app, config=tortoise_config(settings)):
            async with open_services(settings) as services:
                state["services"] = services
                await viewer_cache.load_database_epoch(services)
                graphql.handler = GraphQLEndpoint(schema, services, graphiql=settings.introspection)
                if settings.media_backend == "local":
                    from media.routes import local_media_routes
                    from resolvers.reviews.photos import upload_is_open

                    is_open = partial(upload_is_open, services)
                    for route in local_media_routes(services.storage, is_open):  # type: ignore[arg-type]
                        app.router.routes.append(route)
                app.state.services = services
                # Long-lived start-up objects leave the GC's generations, and young collections
                # run less often: full collections had caused 50+ ms pauses (bench/README.md).
                gc.collect()
                gc.freeze()
                gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)
                async with jobs.in_process(services):
                    yield
        if provider is not None:
            provider.shutdown()  # flushes the spans still queued for export

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *([Route("/metrics", metrics)] if metrics_exposed(settings) else []),
        Route("/payments/webhook", payment_webhook, methods=["POST"]),
        Route("/payments/{provider:str}/notify", provider_notification, methods=["POST"]),
        *graphiql_routes(settings),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(UnavailableMiddleware)  # a lost PostgreSQL/Redis answers 503, not 500
    app.add_middleware(RequestIdMiddleware)
    app.state.schema = schema
    return app


def asgi() -> Starlette:
    """Factory for `uvicorn --factory app:asgi` (each worker builds its own app)."""
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return create_app(settings)


# ---------------------------------------------------------------- command line


async def _with_orm(settings: Settings, action: Any) -> Any:
    from tortoise import Tortoise

    await Tortoise.init(config=tortoise_config(settings))
    try:
        async with open_services(settings) as services:
            return await action(services)
    finally:
        await Tortoise.close_connections()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from models.migrate import migrate

    asyncio.run(migrate(settings))
    print("database is at the latest schema")
    return 0


def cmd_makemigrations(settings: Settings, args: argparse.Namespace) -> int:
    from models import installed_apps
    from models.migrate import makemigrations, unknown_apps

    unknown = unknown_apps(args.apps)
    if unknown:
        known = ", ".join(label for label, _ in installed_apps())
        print(f"error: unknown app(s): {', '.join(unknown)}; installed apps: {known}", file=sys.stderr)
        return 2
    missing = asyncio.run(makemigrations(settings, args.apps, check=args.check))
    if missing:
        names = ", ".join(missing)
        print(f"models changed without migrations: {names} (run: app.py makemigrations)", file=sys.stderr)
        return 1
    return 0


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    from core.errors import UserInputError
    from models.accounts import Role
    from resolvers.accounts.accounts import create_account

    password = read_password(args)
    if password is None:
        return 2

    async def action(services: Any) -> int:
        try:
            user = await create_account(
                services,
                args.email,
                password,
                args.name or args.email.split("@")[0],
                Role(args.role),
            )
        except UserInputError as error:
            for field, code, message in error.errors:
                print(f"error: {field}: {code.value}: {message}", file=sys.stderr)
            return 1
        print(f"created {user.role.value} {user.email} (id {user.id})")
        return 0

    return asyncio.run(_with_orm(settings, action))


def read_password(args: argparse.Namespace) -> str | None:
    """--password, else --password-stdin, else a prompt (twice) on a terminal."""
    import getpass

    if args.password is not None:
        return args.password
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        print("error: no terminal to prompt for the password: use --password-stdin", file=sys.stderr)
        return None
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        print("error: the passwords differ", file=sys.stderr)
        return None
    return first


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from demo.seed import seed_demo

    async def action(services: Any) -> int:
        created = await seed_demo(services, seed=args.seed, diners=args.diners, only_if_empty=args.if_empty)
        print("demo data already present; nothing to do" if not created else "demo city ready")
        return 0

    return asyncio.run(_with_orm(settings, action))


async def _account(email: str) -> Any:
    """The account for a CLI command, or None after saying there is none."""
    from resolvers.accounts.accounts import user_by_email

    user = await user_by_email(email)
    if user is None:
        print(f"error: no account with email {email}", file=sys.stderr)
    return user


def cmd_export_user(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from resolvers.accounts.personal_data import export_user

    async def action(services: Any) -> int:
        user = await _account(args.email)
        if user is None:
            return 1
        print(json.dumps(await export_user(user), ensure_ascii=False, indent=2))
        return 0

    return asyncio.run(_with_orm(settings, action))


def cmd_delete_user(settings: Settings, args: argparse.Namespace) -> int:
    from resolvers.accounts.personal_data import delete_user

    if not args.yes:
        print("error: deleting an account cannot be undone; add --yes", file=sys.stderr)
        return 2

    async def action(services: Any) -> int:
        user = await _account(args.email)
        if user is None:
            return 1
        removed = await delete_user(services, user)
        print(f"deleted account {user.id}: {removed['reviews']} reviews, {removed['photos']} photos erased")
        return 0

    return asyncio.run(_with_orm(settings, action))


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run the scheduled jobs: on arq with REDIS_URL (any number of workers), else in-process
    loops; --once runs each job once here and exits."""
    import json

    from resolvers import job_queue

    async def action(services: Any) -> int:
        if args.once:
            print(json.dumps(await jobs.run_once(services)))
        elif settings.redis_url:
            await job_queue.run_worker(services)
        else:
            await jobs.run_forever(services)
        return 0

    return asyncio.run(_with_orm(settings, action))


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    """List mismatches between our claims of one day and the provider's records (exit 1 if any)."""
    from datetime import date

    from resolvers.deals.reconcile import reconcile

    async def action(services: Any) -> int:
        try:
            found = await reconcile(services, args.provider, date.fromisoformat(args.date))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for mismatch in found:
            print(mismatch.line())
        print(f"{len(found)} mismatches", file=sys.stderr)
        return 1 if found else 0

    return asyncio.run(_with_orm(settings, action))


def cmd_register_queries(settings: Settings, args: argparse.Namespace) -> int:
    """Allow-list the operations of a folder of .graphql files (PERSISTED_QUERIES=allowlist)."""
    from pathlib import Path

    from schema.persisted import register_folder

    if not settings.redis_url:
        print("error: register-queries needs REDIS_URL (the allow-list lives in Redis)", file=sys.stderr)
        return 2

    async def action(services: Any) -> int:
        lines, errors = await register_folder(services, build_schema(settings), Path(args.folder))
        for line in errors:
            print(f"error: {line}", file=sys.stderr)
        for line in lines:
            print(line)
        if not errors:
            print(f"registered {len(lines)} document(s)")
        return 1 if errors else 0

    return asyncio.run(_with_orm(settings, action))


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> int:
    """Write the SDL, so clients and reviewers see the API contract as a file (schema.graphql)."""
    from pathlib import Path

    Path(args.output).write_text(build_schema(settings).as_str() + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


async def _pending_before_serve(settings: Settings) -> list[str]:
    """Pending migrations; an unreachable database is not "pending" (/readyz will say so)."""
    from tortoise import Tortoise, connections

    from models.migrate import pending_migrations

    await Tortoise.init(config=tortoise_config(settings, pool_max=2))
    try:
        try:
            await connections.get("default").execute_query("SELECT 1")
        except Exception as error:  # noqa: BLE001 - serve anyway; the app answers 503 until it is back
            log.warning("database not reachable (%s): migrations not checked", error)
            return []
        return await pending_migrations(settings)
    finally:
        await Tortoise.close_connections()


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from core.http_protocol import CoalescingHttpToolsProtocol

    pending = asyncio.run(_pending_before_serve(settings))
    if pending:
        print(
            f"error: the database has {len(pending)} pending migration(s) ({', '.join(pending[:5])}"
            f"{' ...' if len(pending) > 5 else ''}): run `python app.py migrate` first",
            file=sys.stderr,
        )
        return 1
    if args.workers > 1 and not settings.redis_url:
        log.warning(
            "--workers %d without REDIS_URL: each worker has its own in-process Redis, so rate limits, "
            "subscriptions, sessions and persisted queries are not shared; set REDIS_URL",
            args.workers,
        )
        os.environ["SHARED_REDIS_CACHES"] = "0"  # claim gate and viewer cache off (issue 18)
    # Workers re-read settings from the environment; default the public URL to our address.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
    uvicorn.run(
        "app:asgi",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        http=CoalescingHttpToolsProtocol,  # a response's head and body in one send (core/http_protocol.py)
        access_log=False,  # RequestIdMiddleware writes the access line, with duration and request id
        # JSON logs: let uvicorn's loggers flow into the root JSON handler each worker sets up.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=10,
        # One WebSocket message is one operation, held to what HTTP allows a request body:
        # uvicorn's default (16 MiB) let 60 unauthenticated sockets sending a 15 MB
        # connection_init each push a worker past 1.1 GB, kept after they closed.
        ws_max_size=settings.max_request_bytes,
        # TRUST_FORWARDED_FOR alone decides whose address a request has: uvicorn's own
        # proxy_headers (on by default, trusting loopback) would otherwise rewrite the client
        # from X-Forwarded-For before our code sees it. client_ip (schema/view.py) reads the
        # header itself, and only when the setting is on.
        proxy_headers=False,
        forwarded_allow_ips="",
    )
    return 0


def port_number(raw: str) -> int:
    """A TCP port: uvicorn would otherwise log :99999 and listen somewhere else."""
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {raw!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {value}")
    return value


def positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only when there is one to show (not for flags and unset options)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, [], argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """Every command and option has a help text; defaults are shown by the formatter."""
    parser = argparse.ArgumentParser(
        prog="app.py",
        description="Tablemates API: serve it, migrate its database, manage accounts and demo data.",
        epilog="Settings come from environment variables (README, Configuration). "
        "`python app.py COMMAND --help` explains a command.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str, func: Any) -> argparse.ArgumentParser:
        cmd = sub.add_parser(
            name, help=text, description=text, formatter_class=HelpFormatter
        )
        cmd.set_defaults(func=func)
        return cmd

    serve = command("serve", "serve the API over HTTP and WebSocket (refuses pending migrations)", cmd_serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: all interfaces)")
    serve.add_argument("--port", type=port_number, default=8000, help="TCP port, 1-65535 (make run: PORT=)")
    serve.add_argument(
        "--workers", type=positive_int, default=1, help="worker processes; more than 1 needs REDIS_URL"
    )
    worker = command("worker", "run the scheduled jobs (unpaid-claim release ...)", cmd_worker)
    worker.add_argument("--once", action="store_true", help="run each job once and exit")
    command("migrate", "bring the database to the latest schema", cmd_migrate)
    make = command("makemigrations", "(developers) write migrations for model changes", cmd_makemigrations)
    make.add_argument("apps", nargs="*", help="app labels to check (default: all installed apps)")
    make.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 naming the migrations models need"
    )
    create = command("create-user", "create a user with a role", cmd_create_user)
    create.add_argument("--email", required=True, help="the sign-in email")
    secret = create.add_mutually_exclusive_group()
    secret.add_argument(
        "--password", help="the password (visible in shell history and `ps`: prefer the prompt or stdin)"
    )
    secret.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--name", help="display name (default: the email's local part)")
    create.add_argument(
        "--role", choices=["diner", "restaurant", "moderator", "admin"], default="diner", help="account role"
    )
    seed = command("seed-demo", "fill the database with a demo city (again: nothing to do)", cmd_seed_demo)
    seed.add_argument("--seed", type=int, default=7, help="random seed: the same seed gives the same city")
    seed.add_argument("--diners", type=int, default=400, help="how many demo diners to create")
    seed.add_argument("--if-empty", action="store_true", help="skip when any user exists")
    export = command("export-user", "print a user's own data as JSON", cmd_export_user)
    export.add_argument("--email", required=True, help="the account's email")
    delete = command("delete-user", "delete an account and its personal data", cmd_delete_user)
    delete.add_argument("--email", required=True, help="the account's email")
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    rec = command(
        "reconcile", "list mismatches with the payment provider for one day (UTC); exit 1 if any",
        cmd_reconcile,
    )
    rec.add_argument("--provider", required=True, choices=["wechatpay", "alipay"], help="the provider to ask")
    rec.add_argument("--date", required=True, help="the day, YYYY-MM-DD (UTC)")
    register = command(
        "register-queries", "allow-list every .graphql file of a folder (PERSISTED_QUERIES=allowlist)",
        cmd_register_queries,
    )
    register.add_argument("folder", help="folder of .graphql files, one operation document per file")
    sdl = command("export-schema", "write the GraphQL SDL", cmd_export_schema)
    sdl.add_argument("--output", default="schema.graphql", help="file to write")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return args.func(settings, args)


if __name__ == "__main__":
    sys.exit(main())
