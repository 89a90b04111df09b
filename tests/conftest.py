"""Shared fixtures: the packaged knowledge base, and a writable copy to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alknav.kb.loader import KnowledgeBase, default_root, load_kb

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    """A copy of the knowledge folder that a test may edit."""
    target = tmp_path / "knowledge"
    shutil.copytree(default_root(), target)
    return target
