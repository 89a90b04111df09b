"""Run the service with uvicorn. Uvicorn's own access log is off: it would print raw paths and
query strings; the app logs method, route template, status and duration instead."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alknav.service.settings import Settings


def serve(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the API until interrupted. ``workers`` > 1 starts several processes, each building its app
    from the environment (ALKNAV_*), so ``settings`` must then be None."""
    import uvicorn

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alknav.service").setLevel(logging.INFO)
    if workers > 1:
        if settings is not None:
            raise ValueError("with several workers the settings come from the environment (ALKNAV_*)")
        uvicorn.run("alknav.service.server:app_from_env", host=host, port=port, workers=workers, factory=True,
                    access_log=False, log_level="info")
        return
    from alknav.service.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, access_log=False, log_level="info")


def app_from_env() -> object:
    """Factory for uvicorn (``uvicorn --factory alknav.service.server:app_from_env``): settings from env."""
    from alknav.service.app import create_app

    return create_app()
