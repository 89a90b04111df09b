"""Access control: every /cases endpoint scoped to the key's owner (tested with two keys), teams
and admins, the owner migration, constant-time key lookup and the failed-attempt limit.

``IsolationContract`` runs against SQLite here and against PostgreSQL in tests/test_store_postgres.py."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from alknav.service import Settings, create_app, create_key
from alknav.service.auth import FailureLimiter, KeyChecker
from alknav.service.store import Store
from tests.security.conftest import demo_case


@dataclass
class Two:
    settings: Settings
    client: TestClient
    alice: dict[str, str]
    bob: dict[str, str]
    alice_team: dict[str, str]
    admin: dict[str, str]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        engine = create_engine(self.settings.url())
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        finally:
            engine.dispose()


def _auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


class IsolationContract:
    """A subclass provides a class-scoped ``settings`` fixture (an empty database)."""

    @pytest.fixture(scope="class")
    @classmethod
    def two(cls, settings: Settings) -> Iterator[Two]:
        alice = create_key(settings, "alice", owner="team-a")
        alice2 = create_key(settings, "alice-2", owner="team-a")
        bob = create_key(settings, "bob")
        admin = create_key(settings, "root", role="admin")
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield Two(settings, client, _auth(alice), _auth(bob), _auth(alice2), _auth(admin))

    def _create(self, two: Two, who: dict[str, str], **changes: Any) -> str:
        response = two.client.post("/api/v1/cases", json=demo_case(**changes), headers=who)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def test_list_shows_only_own_cases(self, two: Two) -> None:
        mine = self._create(two, two.alice, id="alice-case")
        theirs = self._create(two, two.bob, id="bob-case")
        for who, own, other in ((two.alice, mine, theirs), (two.bob, theirs, mine)):
            listed = two.client.get("/api/v1/cases?limit=1000", headers=who).json()
            ids = {item["id"] for item in listed["items"]}
            assert own in ids and other not in ids
            assert listed["total"] == len(listed["items"])
            labels = {item["case_id"] for item in listed["items"]}
            assert ("bob-case" in labels) == (who is two.bob)

    @pytest.mark.parametrize("route", ["", "?version=1", "/recommendation", "/recommendation?version=1"])
    def test_read_of_another_owners_case_is_a_plain_404(self, two: Two, route: str) -> None:
        case = self._create(two, two.alice)
        own = two.client.get(f"/api/v1/cases/{case}{route}", headers=two.alice)
        assert own.status_code == 200
        other = two.client.get(f"/api/v1/cases/{case}{route}", headers=two.bob)
        missing = two.client.get(f"/api/v1/cases/00000000-0000-0000-0000-000000000000{route}", headers=two.bob)
        assert other.status_code == missing.status_code == 404
        # the answer does not tell "exists, not yours" from "does not exist"
        assert other.json()["error"]["message"].replace(case, "X") == \
            missing.json()["error"]["message"].replace("00000000-0000-0000-0000-000000000000", "X")

    def test_update_of_another_owners_case_refused_and_nothing_written(self, two: Two) -> None:
        case = self._create(two, two.alice)
        put = two.client.put(f"/api/v1/cases/{case}", json=demo_case(id="hijack"), headers=two.bob)
        assert put.status_code == 404
        current = two.client.get(f"/api/v1/cases/{case}", headers=two.alice).json()
        assert current["latest_version"] == 1 and current["case_id"] == "demo-001"

    def test_delete_of_another_owners_case_refused_and_case_kept(self, two: Two) -> None:
        case = self._create(two, two.alice)
        assert two.client.delete(f"/api/v1/cases/{case}", headers=two.bob).status_code == 404
        assert two.client.get(f"/api/v1/cases/{case}", headers=two.alice).status_code == 200
        assert two.client.delete(f"/api/v1/cases/{case}", headers=two.alice).status_code == 204

    def test_refusals_are_audited_as_denied(self, two: Two) -> None:
        case = self._create(two, two.alice)
        two.client.get(f"/api/v1/cases/{case}", headers=two.bob)
        two.client.delete(f"/api/v1/cases/{case}", headers=two.bob)
        actions = [r[0] for r in two.rows(f"SELECT action FROM audit WHERE case_id = '{case}' ORDER BY id")]
        assert actions == ["create", "denied", "denied"]

    def test_keys_of_one_owner_share_cases(self, two: Two) -> None:
        case = self._create(two, two.alice)
        assert two.client.get(f"/api/v1/cases/{case}", headers=two.alice_team).status_code == 200
        put = two.client.put(f"/api/v1/cases/{case}", json=demo_case(id="v2"), headers=two.alice_team)
        assert put.status_code == 200 and put.json()["version"] == 2

    def test_admin_sees_every_owner(self, two: Two) -> None:
        a, b = self._create(two, two.alice), self._create(two, two.bob)
        listed = {i["id"] for i in two.client.get("/api/v1/cases?limit=1000", headers=two.admin).json()["items"]}
        assert {a, b} <= listed
        assert two.client.get(f"/api/v1/cases/{b}", headers=two.admin).status_code == 200
        # and a case the admin creates is the admin's, not visible to others
        own = self._create(two, two.admin)
        assert two.client.get(f"/api/v1/cases/{own}", headers=two.bob).status_code == 404

    def test_cases_table_records_owner(self, two: Two) -> None:
        case = self._create(two, two.alice)
        assert two.rows(f"SELECT owner FROM cases WHERE id = '{case}'") == [("team-a",)]


class TestSqliteIsolation(IsolationContract):
    @pytest.fixture(scope="class")
    @classmethod
    def settings(cls, tmp_path_factory: pytest.TempPathFactory) -> Settings:
        return Settings(data_dir=tmp_path_factory.mktemp("iso"))


def test_migration_gives_existing_cases_to_their_creator(tmp_path: Path) -> None:
    """A store made by revision 0001 (before owners) upgrades: each old case belongs to its key."""
    from alembic import command

    from alknav.service.store import alembic_config, make_engine

    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO api_keys (id, name, salt, hash, created_at) VALUES "
                          "('k1', 'old', '00', 'x', '2026-01-01'), ('k2', 'other', '00', 'y', '2026-01-01')"))
        conn.execute(text("INSERT INTO cases (id, label, latest_version, created_at, updated_at, created_by) "
                          "VALUES ('c1', 'x', 1, '2026-01-01', '2026-01-01', 'k1')"))
        conn.execute(text("INSERT INTO case_versions (case_id, version, payload, created_at, created_by) "
                          "VALUES ('c1', 1, '{}', '2026-01-01', 'k1')"))
    engine.dispose()
    store = Store.open(settings)  # migrates to head
    try:
        assert store.get("c1", "k1", scope="k1") is not None
        assert store.get("c1", "k2", scope="k2") is None
    finally:
        store.close()
    engine = create_engine(settings.url())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, owner, role FROM api_keys ORDER BY id")).all() == \
            [("k1", "k1", "user"), ("k2", "k2", "user")]
    engine.dispose()


# ------------------------------------------------------------------ key lookup


def test_unknown_key_id_costs_as_much_as_a_wrong_secret(tmp_path: Path) -> None:
    """Before: 1.1 ms for an unknown key id against 106 ms for a real id with a wrong secret. The
    medians of interleaved attempts must now be within a factor of 2 of each other."""
    settings = Settings(data_dir=tmp_path)
    key = create_key(settings, "k")
    store = Store.open(settings)
    checker = KeyChecker(store, FailureLimiter(allowed=10**6))
    key_id = key.split("_")[1]
    unknown, wrong, malformed = [], [], []
    try:
        for _ in range(7):
            for sink, raw in ((unknown, "alk_ffffffffffff_" + "x" * 43), (wrong, f"alk_{key_id}_" + "y" * 43),
                              (malformed, "not-a-key")):
                start = time.perf_counter()
                assert checker.check(raw, "c") is None
                sink.append(time.perf_counter() - start)
    finally:
        store.close()
    ratio = statistics.median(wrong) / statistics.median(unknown)
    assert 0.5 < ratio < 2, (ratio, unknown, wrong)
    assert 0.5 < statistics.median(wrong) / statistics.median(malformed) < 2


def test_failed_attempts_are_limited_per_client(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    good = create_key(settings, "good")
    app = create_app(settings)
    limiter = app.state.alknav.keys.limiter
    limiter.allowed, limiter.window = 5, 60.0
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(5):
            assert client.get("/api/v1/cases", headers=_auth("alk_ffffffffffff_nope")).status_code == 403
        start = time.perf_counter()
        blocked = client.get("/api/v1/cases", headers=_auth("alk_ffffffffffff_nope"))
        elapsed = time.perf_counter() - start
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        assert blocked.json()["error"]["field"] == "X-API-Key"
        assert elapsed < 0.05  # refused before any scrypt
        # the client is locked out whatever key it now sends, until the window passes
        assert client.get("/api/v1/cases", headers=_auth(good)).status_code == 429
    other = FailureLimiter(allowed=2, window=0.2)
    other.failed("a")
    other.failed("a")
    assert other.retry_after("a") >= 1 and other.retry_after("b") == 0
    time.sleep(0.25)
    assert other.retry_after("a") == 0


def test_failure_memory_is_bounded() -> None:
    from alknav.service import auth

    limiter = FailureLimiter(allowed=3, window=60)
    for i in range(auth._MAX_CLIENTS_TRACKED + 50):
        limiter.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._failures) <= auth._MAX_CLIENTS_TRACKED
