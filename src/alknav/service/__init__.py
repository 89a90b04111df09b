"""The REST service: FastAPI app, case store (SQLAlchemy + Alembic) and API keys.

    from alknav.service import create_app, Settings, create_key, revoke_key
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alknav.service.app import create_app
    from alknav.service.auth import create_key, list_keys, revoke_key
    from alknav.service.settings import Settings, load_settings

__all__ = ["Settings", "create_app", "create_key", "list_keys", "load_settings", "revoke_key"]

# imported on first use: `alknav keys` and the parent of several workers need no FastAPI
_HOME = {"create_app": "app", "create_key": "auth", "list_keys": "auth", "revoke_key": "auth",
         "Settings": "settings", "load_settings": "settings"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'alknav.service' has no attribute '{name}'")
    return getattr(import_module(f"alknav.service.{_HOME[name]}"), name)
