"""The REST service in process (FastAPI TestClient) against SQLite in a temporary folder.

``StoreContract`` holds the case-store tests; tests/test_store_postgres.py runs the same class
against a real PostgreSQL server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

import alknav.service.api as api_module
from alknav import __version__ as alknav_version
from alknav.errors import AlknavError
from alknav.recommend.engine import recommend as real_recommend
from alknav.service import Settings, create_app, create_key, list_keys, revoke_key
from alknav.service.models import CaseRow, CaseVersionRow, utcnow
from alknav.service.store import alembic_config, make_engine

DATA = Path(__file__).parent / "data"
DEMO = Path(__file__).resolve().parents[1] / "src" / "alknav" / "examples" / "demo_case.yaml"


def demo_case(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    case.update(changes)
    return case


@dataclass
class Service:
    settings: Settings
    client: TestClient
    key: str
    key_name: str

    @property
    def auth(self) -> dict[str, str]:
        return {"X-API-Key": self.key}

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        engine = create_engine(self.settings.url())
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        finally:
            engine.dispose()

    def execute(self, sql: str) -> None:
        engine = create_engine(self.settings.url())
        try:
            with engine.begin() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()


def count_engine_runs(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Counts the engine runs of the API (one entry per run: the case's id)."""
    runs: list[str | None] = []

    def counting(case: Any, kb: Any, *, region: str | None = None) -> Any:
        runs.append(case.id)
        return real_recommend(case, kb, region=region)

    monkeypatch.setattr(api_module, "recommend", counting)
    return runs


@pytest.fixture()
def engine_runs(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    return count_engine_runs(monkeypatch)


class StoreContract:
    """Store and /cases tests; a subclass provides a class-scoped ``settings`` fixture."""

    @pytest.fixture(scope="class")
    @classmethod
    def svc(cls, settings: Settings) -> Iterator[Service]:
        key = create_key(settings, "tester")
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield Service(settings, client, key, "tester")

    @pytest.fixture()
    def engine_runs(self, monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
        return count_engine_runs(monkeypatch)  # here too, so that the PostgreSQL subclass has it

    def _create(self, svc: Service, **changes: Any) -> dict[str, Any]:
        response = svc.client.post("/api/v1/cases", json=demo_case(**changes), headers=svc.auth)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def test_create_returns_id_and_version_1(self, svc: Service) -> None:
        response = svc.client.post("/api/v1/cases", json=demo_case(), headers=svc.auth)
        assert response.status_code == 201
        body = response.json()
        assert body["version"] == 1 and body["latest_version"] == 1
        assert body["case_id"] == "demo-001"
        assert body["case"] == demo_case()
        assert response.headers["location"] == f"/api/v1/cases/{body['id']}"

    def test_get_latest_and_by_version(self, svc: Service) -> None:
        created = self._create(svc)
        got = svc.client.get(f"/api/v1/cases/{created['id']}", headers=svc.auth)
        assert got.status_code == 200
        assert got.json()["case"] == demo_case() and got.json()["version"] == 1
        assert svc.client.get(f"/api/v1/cases/{created['id']}?version=1", headers=svc.auth).status_code == 200
        missing = svc.client.get(f"/api/v1/cases/{created['id']}?version=7", headers=svc.auth)
        assert missing.status_code == 404 and missing.json()["error"]["field"] == "version"

    def test_update_adds_a_version_and_keeps_history(self, svc: Service) -> None:
        created = self._create(svc)
        url = f"/api/v1/cases/{created['id']}"
        changed = demo_case(id="demo-001-rev", comorbidities=[])
        put = svc.client.put(url, json=changed, headers=svc.auth)
        assert put.status_code == 200, put.text
        assert put.json()["version"] == 2 and put.json()["latest_version"] == 2
        assert svc.client.get(url, headers=svc.auth).json()["case"] == changed
        first = svc.client.get(url + "?version=1", headers=svc.auth).json()
        assert first["case"] == demo_case() and first["latest_version"] == 2
        third = svc.client.put(url, json=demo_case(), headers=svc.auth)
        assert third.json()["version"] == 3
        listed = {i["id"]: i for i in svc.client.get("/api/v1/cases?limit=1000", headers=svc.auth).json()["items"]}
        assert listed[created["id"]]["latest_version"] == 3

    def test_list_shows_no_clinical_content(self, svc: Service) -> None:
        created = self._create(svc)
        response = svc.client.get("/api/v1/cases?limit=1000", headers=svc.auth)
        assert response.status_code == 200
        body = response.json()
        assert body["total"] >= 1
        item = next(i for i in body["items"] if i["id"] == created["id"])
        assert set(item) == {"id", "case_id", "latest_version", "created_at", "updated_at"}
        assert "G1202R" not in response.text and "alectinib" not in response.text

    def test_soft_delete_keeps_versions(self, svc: Service) -> None:
        created = self._create(svc)
        url = f"/api/v1/cases/{created['id']}"
        svc.client.put(url, json=demo_case(), headers=svc.auth)
        assert svc.client.delete(url, headers=svc.auth).status_code == 204
        assert svc.client.get(url, headers=svc.auth).status_code == 404
        assert svc.client.get(url + "?version=1", headers=svc.auth).status_code == 404
        assert svc.client.get(url + "/recommendation", headers=svc.auth).status_code == 404
        assert svc.client.put(url, json=demo_case(), headers=svc.auth).status_code == 404
        assert svc.client.delete(url, headers=svc.auth).status_code == 404
        ids = [i["id"] for i in svc.client.get("/api/v1/cases?limit=1000", headers=svc.auth).json()["items"]]
        assert created["id"] not in ids
        kept = svc.rows(f"SELECT version FROM case_versions WHERE case_id = '{created['id']}' ORDER BY version")
        assert kept == [(1,), (2,)]
        marked = svc.rows(f"SELECT deleted_at FROM cases WHERE id = '{created['id']}'")
        assert marked[0][0] is not None

    def test_audit_rows_for_create_read_update_delete(self, svc: Service) -> None:
        created = self._create(svc)
        url = f"/api/v1/cases/{created['id']}"
        svc.client.get(url, headers=svc.auth)
        svc.client.put(url, json=demo_case(), headers=svc.auth)
        svc.client.get(url + "/recommendation", headers=svc.auth)
        svc.client.delete(url, headers=svc.auth)
        rows = svc.rows(f"SELECT action, key_id FROM audit WHERE case_id = '{created['id']}' ORDER BY id")
        assert [r[0] for r in rows] == ["create", "read", "update", "recommend", "delete"]
        key_id = svc.key.split("_")[1]
        assert {r[1] for r in rows} == {key_id}
        svc.client.get("/api/v1/cases", headers=svc.auth)
        assert ("list", key_id) in svc.rows("SELECT action, key_id FROM audit WHERE case_id IS NULL")

    def test_audit_holds_no_payload(self, svc: Service) -> None:
        engine = create_engine(svc.settings.url())
        try:
            columns = {c["name"] for c in inspect(engine).get_columns("audit")}
        finally:
            engine.dispose()
        assert columns == {"id", "action", "case_id", "key_id", "at"}

    def test_recommendation_of_stored_case_matches_recommend(self, svc: Service) -> None:
        created = self._create(svc)
        stored = svc.client.get(f"/api/v1/cases/{created['id']}/recommendation?lang=zh&region=CN", headers=svc.auth)
        direct = svc.client.post("/api/v1/recommend?lang=zh&region=CN", json=demo_case())
        assert stored.status_code == 200 and direct.status_code == 200
        assert stored.json() == direct.json()
        assert stored.json()["language"] == "zh" and stored.json()["region"] == "CN"

    def test_engine_runs_once_per_stored_version(self, svc: Service, engine_runs: list[str | None]) -> None:
        created = self._create(svc)
        url = f"/api/v1/cases/{created['id']}/recommendation"
        en = svc.client.get(url + "?lang=en", headers=svc.auth)
        zh = svc.client.get(url + "?lang=zh", headers=svc.auth)
        both = svc.client.get(url + "?lang=both", headers=svc.auth)
        assert (en.status_code, zh.status_code, both.status_code) == (200, 200, 200)
        assert len(engine_runs) == 1
        assert en.json()["language"] == "en" and zh.json()["language"] == "zh"
        assert both.json() == {"en": en.json(), "zh": zh.json()}
        assert svc.rows(f"SELECT version, region FROM case_results WHERE case_id = '{created['id']}'") == [(1, "CN")]
        # a new version is a new result; the first version's stays served from the store
        assert svc.client.put(f"/api/v1/cases/{created['id']}", json=demo_case(id="rev-2"),
                              headers=svc.auth).status_code == 200
        v2_zh = svc.client.get(url + "?lang=zh", headers=svc.auth)
        v2_en = svc.client.get(url + "?lang=en", headers=svc.auth)
        assert v2_zh.status_code == 200 and v2_en.json()["case_id"] == "rev-2"
        assert len(engine_runs) == 2
        assert svc.client.get(url + "?version=1&lang=zh", headers=svc.auth).json() == zh.json()
        assert len(engine_runs) == 2
        # the case's own region asked by name is the same result; another region is another result
        assert svc.client.get(url + "?region=CN&version=1", headers=svc.auth).json() == en.json()
        assert len(engine_runs) == 2
        assert svc.client.get(url + "?region=JP", headers=svc.auth).json()["region"] == "JP"
        assert len(engine_runs) == 3

    def test_stored_result_renders_like_a_fresh_one(self, svc: Service, engine_runs: list[str | None]) -> None:
        created = self._create(svc)
        url = f"/api/v1/cases/{created['id']}/recommendation?region=CN"
        first = svc.client.get(url + "&lang=zh", headers=svc.auth)  # computed and stored
        again = svc.client.get(url + "&lang=zh", headers=svc.auth)  # rendered from the stored text
        direct = svc.client.post("/api/v1/recommend?lang=zh&region=CN", json=demo_case())
        assert first.content == again.content == direct.content
        assert len(engine_runs) == 2  # the stored case once, the public route once

    def test_stale_or_damaged_result_is_recomputed(self, svc: Service, engine_runs: list[str | None],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        created = self._create(svc)
        url = f"/api/v1/cases/{created['id']}/recommendation"
        where = f"WHERE case_id = '{created['id']}'"
        fresh = svc.client.get(url, headers=svc.auth).json()
        kb_version, alk_version = svc.rows(f"SELECT knowledge_version, alknav_version FROM case_results {where}")[0]
        # stored under another knowledge-base version: recomputed, and the stale row replaced
        svc.execute(f"UPDATE case_results SET knowledge_version = 'old-kb', result = '{{}}' {where}")
        assert svc.client.get(url, headers=svc.auth).json() == fresh
        assert len(engine_runs) == 2
        assert svc.rows(f"SELECT knowledge_version FROM case_results {where}") == [(kb_version,)]
        assert alk_version.startswith(alknav_version + "+")  # the version and a digest of KB files and code
        # served by another alknav build: recomputed
        state = svc.client.app.state.alknav  # type: ignore[attr-defined]
        monkeypatch.setattr(state, "build_id", alk_version + ".later")
        assert svc.client.get(url, headers=svc.auth).json() == fresh
        assert len(engine_runs) == 3
        assert svc.rows(f"SELECT alknav_version FROM case_results {where}") == [(alk_version + ".later",)]
        # damaged text under the current key: recomputed, not a 500
        svc.execute(f"UPDATE case_results SET result = '{{\"format\": \"alknav.result/1\"' {where}")
        assert svc.client.get(url, headers=svc.auth).json() == fresh
        assert len(engine_runs) == 4
        assert svc.client.get(url, headers=svc.auth).json() == fresh
        assert len(engine_runs) == 4

    def test_deleting_a_case_drops_its_stored_results(self, svc: Service) -> None:
        created = self._create(svc)
        assert svc.client.get(f"/api/v1/cases/{created['id']}/recommendation", headers=svc.auth).status_code == 200
        where = f"WHERE case_id = '{created['id']}'"
        assert len(svc.rows(f"SELECT id FROM case_results {where}")) == 1
        assert svc.client.delete(f"/api/v1/cases/{created['id']}", headers=svc.auth).status_code == 204
        assert svc.rows(f"SELECT id FROM case_results {where}") == []

    def test_upgrade_from_0002_keeps_cases_and_stores_results(self, fresh_settings: Settings) -> None:
        from alembic import command

        engine = make_engine(fresh_settings)
        cfg = alembic_config()
        try:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "0002")
            now = utcnow()
            with engine.begin() as conn:  # a case stored before 0003
                conn.execute(CaseRow.__table__.insert().values(
                    id="legacy-case", label="demo-001", latest_version=1, created_at=now, updated_at=now,
                    created_by=None, owner="legacy-team"))
                conn.execute(CaseVersionRow.__table__.insert().values(
                    case_id="legacy-case", version=1, payload=demo_case(), created_at=now, created_by=None))
                assert not inspect(conn).has_table("case_results")
        finally:
            engine.dispose()
        key = create_key(fresh_settings, "after-upgrade", owner="legacy-team")  # opens the store: migrates
        with TestClient(create_app(fresh_settings), raise_server_exceptions=False) as client:
            got = client.get("/api/v1/cases/legacy-case/recommendation?lang=both", headers={"X-API-Key": key})
        assert got.status_code == 200, got.text
        assert got.json()["zh"]["case_id"] == "demo-001"
        svc = Service(fresh_settings, client, key, "after-upgrade")
        assert svc.rows("SELECT version_num FROM alembic_version") == [("0003",)]
        assert svc.rows("SELECT case_id, version FROM case_results") == [("legacy-case", 1)]
        engine = make_engine(fresh_settings)
        try:
            with engine.begin() as conn:  # and back down: the table goes, the case stays
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0002")
                assert not inspect(conn).has_table("case_results")
        finally:
            engine.dispose()
        assert svc.rows("SELECT id FROM cases") == [("legacy-case",)]

    def test_key_is_stored_hashed(self, svc: Service) -> None:
        rows = svc.rows("SELECT id, name, salt, hash FROM api_keys")
        secret = svc.key.split("_", 2)[2]
        dump = json.dumps([list(map(str, r)) for r in rows])
        assert svc.key not in dump and secret not in dump
        mine = [r for r in rows if r[1] == svc.key_name]
        assert len(mine) == 1 and len(mine[0][3]) == 64 and mine[0][2]

    @pytest.mark.parametrize(("method", "path"), [
        ("POST", "/api/v1/cases"), ("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/x"),
        ("PUT", "/api/v1/cases/x"), ("DELETE", "/api/v1/cases/x"), ("GET", "/api/v1/cases/x/recommendation"),
    ])
    def test_cases_need_a_key(self, svc: Service, method: str, path: str) -> None:
        body = json.dumps(demo_case()) if method in ("POST", "PUT") else None
        missing = svc.client.request(method, path, content=body)
        assert missing.status_code == 401 and missing.json()["error"]["field"] == "X-API-Key"
        for wrong in ("nonsense", "alk_000000000000_abc", svc.key[:-2] + "zz"):
            refused = svc.client.request(method, path, content=body, headers={"X-API-Key": wrong})
            assert refused.status_code == 403, (wrong, refused.text)

    def test_revoked_key_is_refused(self, svc: Service) -> None:
        key = create_key(svc.settings, "short-lived")
        assert svc.client.get("/api/v1/cases", headers={"X-API-Key": key}).status_code == 200
        assert revoke_key(svc.settings, "short-lived") is True
        assert svc.client.get("/api/v1/cases", headers={"X-API-Key": key}).status_code == 403
        assert revoke_key(svc.settings, "short-lived") is False
        assert any(k.name == "short-lived" and k.revoked_at for k in list_keys(svc.settings))

    def test_revoke_by_id_and_duplicate_names(self, svc: Service) -> None:
        key = create_key(svc.settings, "by-id")
        with pytest.raises(AlknavError, match="already exists"):
            create_key(svc.settings, "by-id")
        assert revoke_key(svc.settings, key.split("_")[1]) is True
        assert revoke_key(svc.settings, "no-such-key") is False

    def test_bad_case_is_422_naming_the_field(self, svc: Service) -> None:
        bad = demo_case(patient={"age": "old"})
        response = svc.client.post("/api/v1/cases", json=bad, headers=svc.auth)
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "patient.age"
        assert svc.client.post("/api/v1/cases", content=b"{", headers=svc.auth).status_code == 400

    def test_nan_and_lone_surrogates_are_refused(self, svc: Service) -> None:
        text_nan = json.dumps(demo_case()).replace('"ecog": 1', '"ecog": NaN')
        assert '"ecog": NaN' in text_nan
        assert svc.client.post("/api/v1/cases", content=text_nan, headers=svc.auth).status_code == 400
        text_sur = json.dumps(demo_case(id="\ud800"))
        assert svc.client.post("/api/v1/cases", content=text_sur, headers=svc.auth).status_code == 400

    def test_odd_labels_are_stored(self, svc: Service) -> None:
        created = self._create(svc, id="nul\u0000 and 中文 " + "x" * 300)
        assert created["case_id"] is not None and "\u0000" not in created["case_id"]
        got = svc.client.get(f"/api/v1/cases/{created['id']}", headers=svc.auth).json()
        assert got["case"]["id"].startswith("nul\u0000 and 中文")

    def test_concurrent_updates_and_reads(self, svc: Service) -> None:
        created = self._create(svc)
        url = f"/api/v1/cases/{created['id']}"

        def work(i: int) -> tuple[int, int]:
            put = svc.client.put(url, json=demo_case(id=f"rev-{i}"), headers=svc.auth)
            got = svc.client.get(url, headers=svc.auth)
            return put.status_code, got.status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(work, range(16)))
        assert codes == [(200, 200)] * 16
        final = svc.client.get(url, headers=svc.auth).json()
        assert final["version"] == 17
        versions = svc.rows(f"SELECT version FROM case_versions WHERE case_id = '{created['id']}' ORDER BY version")
        assert [v[0] for v in versions] == list(range(1, 18))

    def test_migrations_are_idempotent(self, svc: Service) -> None:
        create_app(svc.settings)  # a second start on the same database
        assert svc.rows("SELECT version_num FROM alembic_version") == [("0003",)]


class TestSqliteStore(StoreContract):
    @pytest.fixture(scope="class")
    @classmethod
    def settings(cls, tmp_path_factory: pytest.TempPathFactory) -> Settings:
        return Settings(data_dir=tmp_path_factory.mktemp("alknav-data"))

    @pytest.fixture()
    def fresh_settings(self, tmp_path: Path) -> Settings:
        return Settings(data_dir=tmp_path / "fresh")


# ------------------------------------------------------------------ public routes, limits, settings


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("alknav-public"), max_request_bytes=20_000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_recommend_is_public_and_follows_contract(public: TestClient) -> None:
    response = public.post("/api/v1/recommend", json=demo_case())
    assert response.status_code == 200
    body = response.json()
    assert body["case_id"] == "demo-001"
    assert body["options"][0]["rank"] == 1 and body["options"][0]["drugs"]
    for key in ("knowledge_version", "alterations", "warnings", "suggested_tests", "disclaimer"):
        assert key in body


def test_recommend_language_and_region(public: TestClient) -> None:
    body = public.post("/api/v1/recommend?lang=zh&region=JP", json=demo_case()).json()
    assert body["language"] == "zh" and body["region"] == "JP"
    bad = public.post("/api/v1/recommend?lang=fr", json=demo_case())
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "lang"
    bad = public.post("/api/v1/recommend?region=XX", json=demo_case())
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "region"


def test_recommend_both_languages_from_one_engine_run(public: TestClient, engine_runs: list[str | None]) -> None:
    both = public.post("/api/v1/recommend?lang=both&region=JP", json=demo_case())
    assert both.status_code == 200 and len(engine_runs) == 1
    en = public.post("/api/v1/recommend?lang=en&region=JP", json=demo_case())
    zh = public.post("/api/v1/recommend?lang=zh&region=JP", json=demo_case())
    assert both.json() == {"en": en.json(), "zh": zh.json()}
    assert both.json()["zh"]["language"] == "zh" and both.json()["en"]["region"] == "JP"


def test_recommend_reads_a_phenopacket(public: TestClient) -> None:
    body = (DATA / "phenopacket_g1202r.json").read_bytes()
    response = public.post("/api/v1/recommend", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("body", "status", "field"), [
    (b"", 400, "body"),
    (b"{not json", 400, "body"),
    (b"\xff\xfe\x00", 400, "body"),
    (b"[1, 2]", 422, ""),
    (b"[" * 5000 + b"]" * 5000, 400, "body"),
    (b'{"case_format": 1}', 422, "diagnosis"),
    (json.dumps(demo_case(diagnosis={"alk": {"fusion": None}})).encode(), 422, "diagnosis.alk"),
    (json.dumps(demo_case(history=[{"regimen": ["aspirinib"]}])).encode(), 422, "history[0].regimen[0]"),
])
def test_bad_input_names_the_field(public: TestClient, body: bytes, status: int, field: str) -> None:
    response = public.post("/api/v1/recommend", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field and error["message"]


def test_body_over_the_limit_is_413(public: TestClient) -> None:
    big = json.dumps(demo_case(note="x" * 30_000))
    declared = public.post("/api/v1/recommend", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"]["field"] == "body"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096].encode()

    streamed = public.post("/api/v1/recommend", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    small = public.post("/api/v1/recommend", content=json.dumps(demo_case(note="x" * 100)))
    assert small.status_code == 200


def test_kb_lookups(public: TestClient) -> None:
    drug = public.get("/api/v1/kb/drugs/洛拉替尼")
    assert drug.status_code == 200 and drug.json()["drug"]["id"] == "lorlatinib"
    compound = public.get("/api/v1/kb/mutations/G1202R/L1196M")
    assert compound.status_code == 200 and compound.json()["normalized"] == ["G1202R", "L1196M"]
    three = public.get("/api/v1/kb/mutations/ALK p.Gly1202Arg")
    assert three.status_code == 200 and three.json()["mutation"]["id"] == "G1202R"
    unknown = public.get("/api/v1/kb/drugs/aspirinib")
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "name"
    assert public.get("/api/v1/kb/mutations/Q9999Z").status_code == 404
    version = public.get("/api/v1/kb/version").json()
    assert version["knowledge_version"] and version["api_version"] == "1"


def test_openapi_and_docs_without_cdn(public: TestClient) -> None:
    schema = public.get("/openapi.json").json()
    for path in ("/api/v1/recommend", "/api/v1/cases", "/api/v1/cases/{case_id}",
                 "/api/v1/cases/{case_id}/recommendation", "/api/v1/kb/drugs/{name}", "/api/v1/kb/version"):
        assert path in schema["paths"], path
    assert "CaseInput" in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert "security" not in schema["paths"]["/api/v1/recommend"]["post"]
    docs = public.get("/docs")
    assert docs.status_code == 200 and "/api/v1/cases" in docs.text
    assert "<script" not in docs.text and "cdn" not in docs.text.lower()
    assert public.get("/redoc").status_code == 404


def test_unknown_route_and_method_use_the_error_shape(public: TestClient) -> None:
    assert public.get("/api/v1/nothing").json()["error"]["message"]
    assert public.get("/api/v1/recommend").status_code == 405


def test_log_has_no_patient_data(public: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        public.post("/api/v1/recommend", json=demo_case(id="PATIENT-SECRET-LABEL"))
        public.post("/api/v1/recommend", json=demo_case(patient={"age": "SECRET-AGE"}))
        public.get("/api/v1/kb/mutations/SECRET-MUTATION")
    text_logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "SECRET" not in text_logged
    assert "POST /api/v1/recommend 200" in text_logged
    assert "GET /api/v1/kb/mutations/{name:path} 404" in text_logged


def test_settings_are_read_when_the_app_is_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALKNAV_DATA_DIR", str(tmp_path / "here"))
    monkeypatch.setenv("ALKNAV_MAX_REQUEST_BYTES", "5000")
    monkeypatch.delenv("ALKNAV_DATABASE_URL", raising=False)
    app = create_app()
    assert (tmp_path / "here" / "alknav.db").exists()
    with TestClient(app) as client:
        assert client.post("/api/v1/recommend", content="x" * 6000).status_code == 413
    monkeypatch.setenv("ALKNAV_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    create_app()
    assert (tmp_path / "other.db").exists()


def test_an_internal_failure_is_a_bare_500(public: TestClient, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    import alknav.service.api as api

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SECRET detail from the case")

    monkeypatch.setattr(api, "recommend", broken)
    with caplog.at_level(logging.INFO):
        response = public.post("/api/v1/recommend", json=demo_case())
    assert response.status_code == 500
    assert response.json() == {"error": {"field": "", "message": "internal error"}}
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "internal error: RuntimeError" in logged and "SECRET" not in logged


def test_bad_settings_and_unusable_database_are_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALKNAV_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ALKNAV_MAX_REQUEST_BYTES", "lots")
    with pytest.raises(AlknavError, match="ALKNAV_MAX_REQUEST_BYTES"):
        create_app()
    monkeypatch.delenv("ALKNAV_MAX_REQUEST_BYTES")
    monkeypatch.setenv("ALKNAV_DATABASE_URL", "postgresql+psycopg2://user:hunter2@127.0.0.1:1/none")
    with pytest.raises(AlknavError, match="cannot open the case store") as caught:
        create_key(Settings(), "x")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(("lang", "heading"), [("en", "Recommended option"), ("zh", "推荐方案"),
                                               ("fr", "Recommended option")])
def test_web_result_is_the_report_in_the_page_language(public: TestClient, lang: str, heading: str) -> None:
    """The web result page renders the report layout; an unknown language falls back to English, not a 500."""
    import re

    body = yaml.safe_dump(demo_case(), allow_unicode=True).encode()
    token = re.search(r'name="csrf" value="([^"]+)"', public.get("/").text)
    assert token, "the form carries a CSRF token"
    page = public.post(f"/web/upload?lang={lang}", files={"file": ("case.yaml", body)},
                       data={"kind": "case", "region": "CN", "csrf": token.group(1)})
    assert page.status_code == 200, page.text[:300]
    assert heading in page.text and '<nav class="screen-only">' in page.text and 'id="how-to-give"' in page.text
