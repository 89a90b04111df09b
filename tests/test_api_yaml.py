"""The API takes a YAML case body (Content-Type: application/yaml) as well as JSON, through the same
hardened loader as case files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alknav.service import Settings, create_app, create_key

DEMO = Path(__file__).resolve().parents[1] / "src" / "alknav" / "examples" / "demo_case.yaml"
YAML = {"Content-Type": "application/yaml"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("yaml-data"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_yaml_body_is_recommended_like_json(client: TestClient) -> None:
    text = DEMO.read_text(encoding="utf-8")
    from_yaml = client.post("/api/v1/recommend", content=text.encode(), headers=YAML)
    assert from_yaml.status_code == 200, from_yaml.text
    import yaml

    from_json = client.post("/api/v1/recommend", json=yaml.safe_load(text))
    assert from_yaml.json()["options"] == from_json.json()["options"]
    assert from_yaml.json()["options"][0]["drugs"]


@pytest.mark.parametrize("content_type", ["application/x-yaml", "text/yaml; charset=utf-8"])
def test_other_yaml_content_types(client: TestClient, content_type: str) -> None:
    body = b"case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\nhistory: [{regimen: [alectinib]}]\n"
    response = client.post("/api/v1/recommend", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text


def test_yaml_errors_name_the_field(client: TestClient) -> None:
    bad = b"case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\npatient: {age: 300}\n"
    response = client.post("/api/v1/recommend", content=bad, headers=YAML)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "patient.age"
    broken = client.post("/api/v1/recommend", content=b"case_format: 1\ndiagnosis: [\n", headers=YAML)
    assert broken.status_code == 400 and "invalid YAML" in broken.json()["error"]["message"]
    listing = client.post("/api/v1/recommend", content=b"- a\n- b\n", headers=YAML)
    assert listing.status_code == 422


def test_yaml_alias_bomb_is_refused(client: TestClient) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    response = client.post("/api/v1/recommend", content=bomb.encode(), headers=YAML)
    assert response.status_code == 400
    assert "refused" in response.json()["error"]["message"]


def test_yaml_case_is_stored_as_json(client: TestClient, settings: Settings) -> None:
    key = create_key(settings, "yaml-client")
    # YAML reads an unquoted day as a date: it is kept as the ISO text JSON can hold
    body = b"case_format: 1\nid: 2025-03-04\ndiagnosis: {alk: {fusion: EML4-ALK}}\ncurrent: {status: treatment_naive}\n"
    created = client.post("/api/v1/cases", content=body, headers={**YAML, "X-API-Key": key})
    assert created.status_code == 201, created.text
    stored = client.get(created.headers["Location"], headers={"X-API-Key": key}).json()
    assert stored["case"]["id"] == "2025-03-04" and stored["case"]["diagnosis"]["alk"]["fusion"] == "EML4-ALK"
