"""Service settings, read from the environment when the app is built (never at import).

ALKNAV_DATA_DIR            folder for the default SQLite file (default: $XDG_DATA_HOME/alknav or
                           ~/.local/share/alknav)
ALKNAV_DATABASE_URL        SQLAlchemy URL; e.g. postgresql+psycopg2://user@host:5432/alknav
                           (default: sqlite:///<data dir>/alknav.db)
ALKNAV_MAX_REQUEST_BYTES   largest accepted request body (default 1 MB)
ALKNAV_KB_DIR              a knowledge folder other than the packaged one (optional)
ALKNAV_SECRET_KEY          signs the web forms' CSRF tokens; every worker and host behind one name must share
                           it (default: a random key kept in <data dir>/web-secret.key, mode 0600)
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from alknav.errors import AlknavError


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alknav"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALKNAV_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    max_request_bytes: int = Field(default=1_000_000, gt=0)
    kb_dir: Path | None = None
    secret_key: str | None = Field(default=None, min_length=16)

    def url(self) -> str:
        """The database URL in force: the explicit one, or the SQLite file under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'alknav.db'}"


def load_settings() -> Settings:
    """Settings from the environment now; AlknavError naming the variable when one is invalid."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = "ALKNAV_" + str(err["loc"][0]).upper() if err["loc"] else "ALKNAV_*"
        raise AlknavError(f"{name}: {err['msg']}") from None
