"""The command line of `server.py`: its arguments, and each task on a prepared runtime.

uv run server.py                      serve (embedded PostgreSQL and demo data when DATABASE_URL is unset)
uv run server.py migrate              apply migrations
uv run server.py seed-demo            load the demo data into an empty database (development only)
uv run server.py demo-accounts        unlinked demo accounts with their activation codes, as JSON
uv run server.py seed --accounts N    a large data set for benchmarks
uv run server.py create-staff …       a member of staff
uv run server.py create-service-token …  an integration's token, printed once
uv run server.py close-period YYYY-MM the statements of a month that has ended (BILLING_MODE=internal)
uv run server.py key-rate add DATE PERCENT   a Bank of Russia key rate from a date
uv run server.py worker               background processors without HTTP
uv run server.py export-schema        write schema.graphql
uv run server.py isu-import FILE.csv  load a head-end file (format: services/isu/csv_format.py)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import os
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog
from pydantic import ValidationError

from services.platform.bootstrap import (
    StartupError,
    build_runtime,
    check_port_free,
    demo_data_allowed,
    open_database,
    prepare_database,
    resolve_database_url,
    resolve_database_url_soon,
    uvicorn_options,
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


async def close_period(runtime: Runtime, *, period: str) -> None:
    from services.billing.calendar import parse_period
    from services.billing.close import PeriodNotEnded
    from services.billing.close import close_period as close

    if runtime.settings.billing_mode != "internal":
        raise SystemExit("error: BILLING_MODE=external: statements are imported, this server closes no period")
    try:
        month = parse_period(period)
        result = await close(db=runtime.db, period=month, now=runtime.clock.now())
    except (ValueError, PeriodNotEnded) as error:
        raise SystemExit(f"error: {error}") from None
    print(
        f"period {month:%Y-%m}: {result.statements} statements issued for {result.accounts} accounts "
        f"and delivery points in {result.seconds:.1f} s"
    )


async def add_key_rate(runtime: Runtime, *, day: str, percent: str) -> None:
    from datetime import date

    from services.billing.key_rates import add_key_rate as add
    from services.billing.key_rates import percent_to_bp

    try:
        valid_from = date.fromisoformat(day)
        rate_bp = percent_to_bp(percent)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    async with runtime.db.session() as session:
        changed = await add(session, valid_from=valid_from, rate_bp=rate_bp)
        await session.commit()
    print(f"key rate {rate_bp / 100:.2f} % from {valid_from}" + ("" if changed else " (already recorded)"))


async def run_worker(runtime: Runtime) -> None:
    from server import start_background, stop_background

    # Without Redis, events published here would reach only this process, which has no subscribers: the server's own
    # relay publishes them instead.
    exclude = () if runtime.redis is not None else ("outbox-relay",)
    tasks = await start_background(runtime, exclude=exclude)
    print(f"worker running {len(tasks)} processors; Ctrl-C stops it", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await stop_background(runtime, tasks)


async def isu_import(runtime: Runtime, *, path: str, sender: str) -> None:
    """Load a head-end CSV file (format: services/isu/csv_format.py); print each batch's report and the totals."""
    from pathlib import Path

    from services.errors import DomainError
    from services.integrations.service_tokens import COMMAND_LINE
    from services.isu.csv_format import CsvFormatError
    from services.isu.files import import_file
    from services.isu.ingest import summary_line

    try:
        reports = await import_file(
            db=runtime.db, clock=runtime.clock, principal=COMMAND_LINE, path=Path(path), sender=sender
        )
    except FileNotFoundError:
        raise SystemExit(f"error: no such file: {path}") from None
    except (CsvFormatError, UnicodeDecodeError) as error:
        raise SystemExit(f"error: {path}: {error}") from None
    except DomainError as error:
        raise SystemExit("error: " + "; ".join(problem.message for problem in error.problems)) from None
    for report in reports:
        print(summary_line(report))
        for refused in report.refusals:
            print(f"  line {refused.line}: {refused.code.value} {refused.message}")
    print(
        f"total: accepted {sum(r.accepted for r in reports)}, duplicate {sum(r.duplicate for r in reports)}, "
        f"refused {sum(r.refused for r in reports)}"
    )


def export_schema() -> None:
    from resolvers.root import schema

    path = PROJECT_ROOT / "schema.graphql"
    path.write_text(schema.as_str() + "\n")
    print(f"wrote {path}")


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


async def _with_database(
    settings: Settings, task: Callable[[Runtime], Awaitable[None]], *, demo: bool, url: str | None = None
) -> None:
    db = await open_database(url or resolve_database_url(settings))
    try:
        runtime = build_runtime(settings, db)
        await prepare_database(db, clock=runtime.clock, load_demo=demo)
        await task(runtime)
    finally:
        await db.dispose()


def serve(settings: Settings) -> None:
    import uvicorn

    from services.platform.stopping import QuietServer

    check_port_free(settings.host, settings.port)
    database_url = resolve_database_url_soon(settings)  # the embedded PostgreSQL starts meanwhile
    if settings.workers == 1:
        # The one worker is this process: the app (the schema is built as `resolvers.root` is imported) loads while
        # PostgreSQL starts, here on the main thread; uvicorn's factory then finds it imported.
        import resolvers.root  # noqa: F401
        import server  # noqa: F401

    async def nothing_more(_: Runtime) -> None:
        return None

    # Migrate (and in development load the demo data into an empty database) before the workers start, so that they
    # find the database ready.
    demo = demo_data_allowed(settings)
    asyncio.run(_with_database(settings, nothing_more, demo=demo, url=database_url()))

    database = "PostgreSQL at DATABASE_URL" if settings.database_url else f"embedded PostgreSQL in {settings.data_dir}"
    print(f"Customer portal API: http://{settings.host}:{settings.port}/graphql  (GraphiQL in a browser)", flush=True)
    print(f"Database: {database}; events: {'Redis' if settings.redis_url else 'in-process'}", flush=True)
    if demo:
        from services.demo import DEMO_PASSWORD, DEMO_PHONE

        print(f"Demo customer: phone {DEMO_PHONE}, password {DEMO_PASSWORD}", flush=True)
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here and /metrics adds them up; a new start begins from zero.
        metrics_dir = settings.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    # Workers read their settings from the environment: --host / --port and the links that follow them reach them so.
    os.environ.update(HOST=settings.host, PORT=str(settings.port), PUBLIC_URL=settings.public_url)
    options = uvicorn_options(settings)
    if settings.workers > 1:
        gc.enable()  # this process only watches the workers from now on (`server.main` turned the collector off)
        uvicorn.run("server:app_from_environment", factory=True, **options)  # type: ignore[arg-type]
        return
    quiet = QuietServer(uvicorn.Config("server:app_from_environment", factory=True, **options))  # type: ignore[arg-type]
    quiet.run()
    if not quiet.started:
        raise SystemExit(3)  # as uvicorn.run: the app did not start (its lifespan said why)


async def seed_demo(runtime: Runtime) -> None:
    from services.demo import DatabaseNotEmptyError, load_demo_data

    try:
        summary = await load_demo_data(db=runtime.db, clock=runtime.clock)
    except DatabaseNotEmptyError as error:
        raise SystemExit(f"error: {error}") from None
    print(f"demo data loaded: {summary}")


def _exit_on_sigterm(signum: int, _: object) -> None:
    # SIGTERM (a service manager's stop) exits through the normal path, so that the process leaves the embedded
    # PostgreSQL as on Ctrl-C (its last user stops it).
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(prog="server.py", description="Customer portal GraphQL API")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API (the default)")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("demo-accounts", help="print unlinked demo accounts and their activation codes as JSON")
    commands.add_parser("seed-demo", help="load the demo data into an empty database (development only)")
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
    close_command = commands.add_parser("close-period", help="issue the statements of a month that has ended")
    close_command.add_argument("period", metavar="YYYY-MM")
    key_rate_command = commands.add_parser("key-rate", help="the Bank of Russia key rate table")
    key_rate_actions = key_rate_command.add_subparsers(dest="key_rate_action", required=True)
    key_rate_add = key_rate_actions.add_parser("add", help="record a key rate from a date")
    key_rate_add.add_argument("day", metavar="DATE", help="YYYY-MM-DD, the first day the rate is in force")
    key_rate_add.add_argument("percent", metavar="PERCENT", help="e.g. 16 or 16.5")
    commands.add_parser("worker", help="run the background processors without HTTP")
    commands.add_parser("export-schema", help="write schema.graphql")
    isu_command = commands.add_parser("isu-import", help="load a head-end CSV file (services/isu/csv_format.py)")
    isu_command.add_argument("file")
    isu_command.add_argument("--sender", default="isu-import")
    args = parser.parse_args(argv)
    if args.command not in (None, "serve"):
        # `server.py` turned the collector off and took SIGINT for the start of the server only.
        gc.enable()
        signal.signal(signal.SIGINT, signal.default_int_handler)

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
    problems = settings.production_problems()
    if problems:
        _fail(f"refusing to start in production: {'; '.join(problems)}")
    if settings.workers > 1 and not settings.redis_url:
        _fail("WORKERS > 1 needs REDIS_URL: subscriptions fan out through Redis between processes")

    if args.command in ("demo-accounts", "seed-demo") and not demo_data_allowed(settings):
        _fail(f"{args.command}: demo data (with published passwords) is never loaded in production")
    handlers: dict[str | None, Callable[[], None]] = {
        None: lambda: serve(settings),
        "serve": lambda: serve(settings),
        "migrate": lambda: asyncio.run(_with_database(settings, report_migrated, demo=False)),
        "demo-accounts": lambda: asyncio.run(_with_database(settings, print_demo_accounts, demo=True)),
        "seed-demo": lambda: asyncio.run(_with_database(settings, seed_demo, demo=False)),
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
        "close-period": lambda: asyncio.run(
            _with_database(settings, lambda rt: close_period(rt, period=args.period), demo=False)
        ),
        "key-rate": lambda: asyncio.run(
            _with_database(settings, lambda rt: add_key_rate(rt, day=args.day, percent=args.percent), demo=False)
        ),
        "worker": lambda: asyncio.run(_with_database(settings, run_worker, demo=False)),
        "export-schema": export_schema,
        "isu-import": lambda: asyncio.run(
            _with_database(settings, lambda rt: isu_import(rt, path=args.file, sender=args.sender), demo=False)
        ),
    }
    try:
        handlers[args.command]()
    except StartupError as error:
        _fail(str(error))
    except KeyboardInterrupt:  # Ctrl-C: a task, the worker or the server's start stops here, without a traceback
        structlog.get_logger("server").info("stopped", signal="SIGINT")
