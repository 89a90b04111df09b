"""The case-store tests of tests/test_service.py against a real PostgreSQL server.

A throw-away cluster is created in a temporary folder (initdb), started on a free loopback port
(pg_ctl) and removed afterwards. As root, the server runs as the ``postgres`` user (runuser).
Skips, saying why, when the PostgreSQL programs (Debian: postgresql) are not installed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from alknav.service import Settings
from tests.security.test_access import IsolationContract
from tests.test_service import StoreContract

_PG_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in _PG_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _runner() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs a program as a user PostgreSQL accepts, and that user's ids."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run the server as")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root and 'runuser' is missing")
    return [runuser, "-u", "postgres", "--"], user.pw_uid, user.pw_gid


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    pytest.importorskip("psycopg2", reason="psycopg2 (the PostgreSQL driver) is not installed")
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) not found; install Debian 'postgresql'")
    prefix, uid, gid = _runner()
    folder = Path(tempfile.mkdtemp(prefix="alknav-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if uid is not None and gid is not None:
        for path in (folder, sockets):
            os.chown(path, uid, gid)
    port = _free_port()
    log = folder / "server.log"
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-U", "alknav", "--auth=trust", "-E", "UTF8",
                        "--no-locale"], check=True, capture_output=True, timeout=120)
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"],
                       check=True, capture_output=True, timeout=90)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = log.read_text(errors="replace")[-500:] if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        stderr = getattr(exc, "stderr", b"") or b""
        pytest.fail(f"PostgreSQL did not start: {exc}: {stderr.decode(errors='replace')[-500:]} {detail}")
    try:
        yield f"postgresql+psycopg2://alknav@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


class TestPostgresStore(StoreContract):
    @pytest.fixture(scope="class")
    @classmethod
    def settings(cls, postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
        return Settings(database_url=postgres_url, data_dir=tmp_path_factory.mktemp("alknav-pg-data"))

    @pytest.fixture()
    def fresh_settings(self, postgres_url: str, tmp_path: Path) -> Settings:
        """An empty database of its own (the migration tests start from nothing)."""
        from sqlalchemy import create_engine, text

        name = f"fresh_{tmp_path.name.lower().replace('-', '_')}"[:60]
        engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return Settings(database_url=postgres_url.rsplit("/", 1)[0] + "/" + name, data_dir=tmp_path / "data")

    def test_it_is_postgres(self, settings: Settings) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(settings.url())
        try:
            with engine.connect() as conn:
                assert "PostgreSQL" in conn.execute(text("SELECT version()")).scalar_one()
        finally:
            engine.dispose()


class TestPostgresIsolation(IsolationContract):
    @pytest.fixture(scope="class")
    @classmethod
    def settings(cls, postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
        # a database of its own, so that the case counts of TestPostgresStore do not mix in
        from sqlalchemy import create_engine, text

        engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE isolation"))
        engine.dispose()
        return Settings(database_url=postgres_url.rsplit("/", 1)[0] + "/isolation",
                        data_dir=tmp_path_factory.mktemp("alknav-pg-iso"))
