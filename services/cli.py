"""The command-line tasks of `server.py`, each on a prepared runtime."""

from __future__ import annotations

import asyncio
import getpass
import sys

import orjson

from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT


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
