"""The whole service in process against SQLite in a temporary folder, shared by the security tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from alknav.service import Settings, create_app

DEMO = Path(__file__).resolve().parents[2] / "src" / "alknav" / "examples" / "demo_case.yaml"


def demo_case(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    case.update(changes)
    return case


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("sec-data"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c
