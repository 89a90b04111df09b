"""Store and logs: concurrent writers never produce a 500 or lose a version, a store locked for
too long answers 503, the SQLite files are private, every worker count gets the log configuration."""

from __future__ import annotations

import os
import sqlite3
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alknav.service import Settings, create_app, create_key
from alknav.service import store as store_module
from alknav.service.store import Store
from tests.security.conftest import demo_case


def test_two_processes_worth_of_writers_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Store objects (as two worker processes would have) write to one SQLite file from 8
    threads each, with SQLite's own wait cut to 1 ms so that lock conflicts surely happen: the
    retry with backoff must absorb every one."""
    monkeypatch.setattr(store_module, "SQLITE_BUSY_MS", 1)
    settings = Settings(data_dir=tmp_path)
    stores = [Store.open(settings), Store.open(settings)]
    try:
        first = stores[0].create(demo_case(), "k", "o")

        def work(i: int) -> int:
            store = stores[i % 2]
            store.create(demo_case(id=f"c{i}"), "k", "o")
            return store.update(first.id, demo_case(id=f"v{i}"), "k", scope="o").version  # type: ignore[union-attr]

        with ThreadPoolExecutor(16) as pool:
            versions = list(pool.map(work, range(160)))
        assert sorted(versions) == list(range(2, 162))  # every update got its own version
        assert stores[0].versions(first.id) == list(range(1, 162))
        total, _ = stores[1].list_cases("k", scope="o")
        assert total == 161
    finally:
        for s in stores:
            s.close()


def test_concurrent_creates_over_http_never_500(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    key = create_key(settings, "load")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        def create(i: int) -> int:
            return client.post("/api/v1/cases", json=demo_case(id=f"x{i}"), headers={"X-API-Key": key}).status_code

        with ThreadPoolExecutor(50) as pool:
            codes = list(pool.map(create, range(200)))
        assert codes == [201] * 200
        assert client.get("/api/v1/cases?limit=1", headers={"X-API-Key": key}).json()["total"] == 200


def test_store_locked_too_long_is_503_not_500(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SQLITE_BUSY_MS", 1)
    monkeypatch.setattr(store_module, "RETRY_SECONDS", 0.3)
    settings = Settings(data_dir=tmp_path)
    key = create_key(settings, "busy")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/api/v1/cases", headers={"X-API-Key": key}).status_code == 200  # key verified, cached
        holder = sqlite3.connect(tmp_path / "alknav.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        try:
            response = client.post("/api/v1/cases", json=demo_case(), headers={"X-API-Key": key})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert "busy" in response.json()["error"]["message"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    settings = Settings(data_dir=data)
    key = create_key(settings, "perm")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/api/v1/cases", json=demo_case(), headers={"X-API-Key": key}).status_code == 201
        files = [p for p in data.iterdir() if p.name.startswith("alknav.db")]
        assert {p.name for p in files} >= {"alknav.db", "alknav.db-wal", "alknav.db-shm"}
        assert _mode(data) == 0o700
        for p in files:
            assert _mode(p) == 0o600, p


def test_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    Store.open(settings).close()
    (tmp_path / "alknav.db").chmod(0o644)
    Store.open(settings).close()
    assert _mode(tmp_path / "alknav.db") == 0o600


@pytest.mark.parametrize("workers", [1, 3])
def test_every_worker_count_gets_the_log_configuration(monkeypatch: pytest.MonkeyPatch, workers: int,
                                                       tmp_path: Path) -> None:
    import uvicorn

    from alknav.service import server

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.update(k))
    monkeypatch.setenv("ALKNAV_DATA_DIR", str(tmp_path))
    server.serve(None if workers > 1 else Settings(data_dir=tmp_path), workers=workers)
    assert seen["log_config"] is server.LOG_CONFIG
    assert seen["http"] is server.HeaderTimeoutProtocol and seen["timeout_keep_alive"] == server.KEEP_ALIVE
    assert seen["access_log"] is False


def test_log_configuration_gives_request_lines_with_timestamps(capsys: pytest.CaptureFixture[str]) -> None:
    import logging
    import logging.config
    import re

    from alknav.service.server import LOG_CONFIG

    logging.config.dictConfig(LOG_CONFIG)
    try:
        logging.getLogger("alknav.service").info("GET /api/v1/health 200 1.0ms")
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO alknav.service \[\d+\]: GET ", line), line
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
