"""The command line of `server.py`: its arguments, and each task on a prepared runtime.

uv run server.py                      serve (embedded PostgreSQL and demo data when DATABASE_URL is unset)
uv run server.py migrate              apply migrations
uv run server.py demo-accounts        unlinked demo accounts with their activation codes, as JSON
uv run server.py seed --accounts N    a large data set for benchmarks
uv run server.py create-staff …       a member of staff
uv run server.py create-service-token …  an integration's token, printed once
uv run server.py worker               background processors without HTTP
uv run server.py export-schema        write schema.graphql
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import ValidationError

from services.platform.bootstrap import (
    StartupError,
    build_runtime,
    check_port_free,
    open_database,
    prepare_database,
    resolve_database_url,
)
from services.platform.logs import configure_logging
from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT, Settings


async def report_migrated(runtime: Runtime) -> None:
    print("database migrated to the newest revision")


async def print_demo_accounts(runtime: Runtime) -> None:
    from services.demo import list_unlinked_accounts

    accounts = await list_unlinked_accounts(db=runtime.db, clock=runtime.clock)
    sys.stdout.write(orjson.dumps(accounts, option=orjson.OPT_INDENT_2).decode() + "\n")


async def seed(runtime: Runtime, *, accounts: int) -> None:
    from services.demo import seed_large

    summary = await seed_large(
        db=runtime.db, clock=runtime.clock, accounts=accounts, progress=lambda line: print(line, flush=True)
    )
    print(summary)


async def create_staff(runtime: Runtime, *, phone: str, role: str, password: str | None, name: str | None) -> None:
    from services.identity.staff import create_staff_member

    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise SystemExit("error: passwords do not match")
    from services.errors import DomainError

    try:
        customer_id = await create_staff_member(
            db=runtime.db, clock=runtime.clock, phone=phone, role=role, password=password, full_name=name
        )
    except DomainError as error:
        raise SystemExit("error: " + "; ".join(problem.message for problem in error.problems)) from None
    print(f"staff member {customer_id} created with role {role}")


async def create_service_token(runtime: Runtime, *, name: str, scopes: list[str]) -> None:
    """Print a new integration token once; only its hash is stored."""
    from services.integrations.service_tokens import KNOWN_SCOPES
    from services.integrations.service_tokens import create_service_token as create

    unknown = sorted(set(scopes) - KNOWN_SCOPES)
    if unknown or not scopes:
        raise SystemExit(f"error: scopes must be some of {', '.join(sorted(KNOWN_SCOPES))}; got {', '.join(unknown)}")
    token = await create(runtime, name=name, scopes=scopes)
    print(token)


async def run_worker(runtime: Runtime) -> None:
    from services.platform.background import start_background, stop_background

    # Without Redis, events published here would reach only this process, which has no subscribers: the server's own
    # relay publishes them instead.
    exclude = () if runtime.redis is not None else ("outbox-relay",)
    tasks = await start_background(runtime, exclude=exclude)
    print(f"worker running {len(tasks)} processors; Ctrl-C stops it", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await stop_background(runtime, tasks)


def export_schema() -> None:
    from resolvers.root import schema

    path = PROJECT_ROOT / "schema.graphql"
    path.write_text(schema.as_str() + "\n")
    print(f"wrote {path}")


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


async def _with_database(settings: Settings, task: Callable[[Runtime], Awaitable[None]], *, demo: bool) -> None:
    db = await open_database(resolve_database_url(settings))
    try:
        runtime = build_runtime(settings, db)
        await prepare_database(db, clock=runtime.clock, load_demo=demo)
        await task(runtime)
    finally:
        await db.dispose()


def serve(settings: Settings) -> None:
    import uvicorn

    check_port_free(settings.host, settings.port)

    async def nothing_more(_: Runtime) -> None:
        return None

    # Migrate and load the demo data before the workers start, so that they find the database ready.
    asyncio.run(_with_database(settings, nothing_more, demo=True))
    from services.demo import DEMO_PASSWORD, DEMO_PHONE

    database = "PostgreSQL at DATABASE_URL" if settings.database_url else f"embedded PostgreSQL in {settings.data_dir}"
    print(f"Customer portal API: http://{settings.host}:{settings.port}/graphql  (GraphiQL in a browser)", flush=True)
    print(f"Database: {database}; events: {'Redis' if settings.redis_url else 'in-process'}", flush=True)
    print(f"Demo customer: phone {DEMO_PHONE}, password {DEMO_PASSWORD}", flush=True)
    uvicorn.run(
        "server:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        loop="uvloop",
        http="httptools",
        lifespan="on",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="server.py", description="Customer portal GraphQL API")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API (the default)")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("demo-accounts", help="print unlinked demo accounts and their activation codes as JSON")
    seed_command = commands.add_parser("seed", help="generate a large data set for benchmarks")
    seed_command.add_argument("--accounts", type=int, required=True)
    staff_command = commands.add_parser("create-staff", help="create a member of staff")
    staff_command.add_argument("--phone", required=True)
    staff_command.add_argument("--role", required=True, choices=["OPERATOR", "ANALYST", "ADMIN"])
    staff_command.add_argument("--password")
    staff_command.add_argument("--name")
    token_command = commands.add_parser("create-service-token", help="create an integration's token (printed once)")
    token_command.add_argument("--name", required=True)
    token_command.add_argument("--scope", action="append", default=[], dest="scopes")
    commands.add_parser("worker", help="run the background processors without HTTP")
    commands.add_parser("export-schema", help="write schema.graphql")
    args = parser.parse_args(argv)

    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        invalid = error.errors()[0]
        where = ".".join(str(part) for part in invalid["loc"]).upper()
        _fail(f"bad setting {where}: {invalid['msg']}")
    configure_logging(level=settings.log_level, json=settings.log_format == "json")
    problem = settings.production_problem()
    if problem:
        _fail(f"refusing to start in production: {problem}")
    if settings.workers > 1 and not settings.redis_url:
        _fail("WORKERS > 1 needs REDIS_URL: subscriptions fan out through Redis between processes")

    handlers: dict[str | None, Callable[[], None]] = {
        None: lambda: serve(settings),
        "serve": lambda: serve(settings),
        "migrate": lambda: asyncio.run(_with_database(settings, report_migrated, demo=False)),
        "demo-accounts": lambda: asyncio.run(_with_database(settings, print_demo_accounts, demo=True)),
        "seed": lambda: asyncio.run(_with_database(settings, lambda rt: seed(rt, accounts=args.accounts), demo=False)),
        "create-staff": lambda: asyncio.run(
            _with_database(
                settings,
                lambda rt: create_staff(rt, phone=args.phone, role=args.role, password=args.password, name=args.name),
                demo=False,
            )
        ),
        "create-service-token": lambda: asyncio.run(
            _with_database(
                settings, lambda rt: create_service_token(rt, name=args.name, scopes=args.scopes), demo=False
            )
        ),
        "worker": lambda: asyncio.run(_with_database(settings, run_worker, demo=False)),
        "export-schema": export_schema,
    }
    try:
        handlers[args.command]()
    except StartupError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        pass
