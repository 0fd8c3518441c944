"""Private PostgreSQL and Redis instances a test may kill and restart.

The shared services on 5432/6379 serve every other test run: never restart those. These run on
free ports from a temporary directory and are removed afterwards. PostgreSQL refuses to run as
root, so under root (CI) it runs as the `postgres` OS user.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def unavailable(reason: str) -> None:
    """Under CI a missing tool is a failure, not a skip: the restart test must run there."""
    if os.environ.get("CI"):
        pytest.fail(f"cannot start a private service: {reason}")
    pytest.skip(f"cannot start a private service: {reason}")


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


class PrivatePostgres:
    """A throwaway cluster (trust auth, no fsync) on its own port."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir = bin_dir
        self.data = root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        # fsync off only matters if the OS crashes; commits stay synchronous, so a killed server
        # keeps every commit it acknowledged (the test counts them).
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c full_page_writes=off -c shared_buffers=16MB"
        )
        log = self.data.parent / "postgres.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, "-w", "-t", "30", "start")

    def kill(self) -> None:
        """Crash it: immediate shutdown, every backend dies and clients lose their connections."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)


class PrivateRedis:
    """redis-server without persistence on its own port (a restart starts empty, as after a crash)."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    if not PG_BIN_DIRS or not (PG_BIN_DIRS[0] / "initdb").exists():
        unavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="tablemates-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    server = PrivatePostgres(PG_BIN_DIRS[0], root)
    try:
        try:
            server.init()
            server.start()
        except (subprocess.SubprocessError, OSError) as error:
            detail = getattr(error, "stderr", "") or ""
            unavailable(f"PostgreSQL: {error} {detail}"[:2000])
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    executable = shutil.which("redis-server")
    if executable is None:
        unavailable("no redis-server on PATH")
    server = PrivateRedis(executable)
    try:
        try:
            server.start()
        except (subprocess.SubprocessError, OSError, RuntimeError) as error:
            unavailable(f"redis-server: {error}")
        yield server
    finally:
        server.kill()
