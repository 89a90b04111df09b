"""Shared fixtures: the packaged knowledge base, and a writable copy to break on purpose."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Tests never read or fill the user's compiled-KB cache: one private cache per session, inherited by
# the CLI subprocesses the tests start. Set before anything loads a knowledge base.
_CACHE = tempfile.mkdtemp(prefix="alknav-test-cache-")
os.environ["ALKNAV_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

from alknav.kb.loader import KnowledgeBase, default_root, load_kb  # noqa: E402

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
