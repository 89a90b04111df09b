"""The REST service: FastAPI app, case store (SQLAlchemy + Alembic) and API keys.

    from alknav.service import create_app, Settings, create_key, revoke_key
"""

from __future__ import annotations

from alknav.service.app import create_app
from alknav.service.auth import create_key, list_keys, revoke_key
from alknav.service.settings import Settings, load_settings

__all__ = ["Settings", "create_app", "create_key", "list_keys", "load_settings", "revoke_key"]
