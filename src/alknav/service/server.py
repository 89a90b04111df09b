"""Run the service with uvicorn. Uvicorn's own access log is off: it would print raw paths and
query strings; the app logs method, route template, status and duration instead.

Slow or idle clients are timed out: a connection must deliver a request's headers within
``HEADER_TIMEOUT`` seconds of connecting (or of starting the next request), an idle keep-alive
connection closes after ``KEEP_ALIVE`` seconds, an incomplete request head is capped at
``MAX_HEAD_BYTES`` (h11), and a stalled body is refused by the app's Guard (408)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from alknav.service.settings import Settings

HEADER_TIMEOUT = 10.0
KEEP_ALIVE = 5
MAX_HEAD_BYTES = 16 * 1024

# Every worker process applies this itself (uvicorn configures logging in each worker), so one
# worker or eight, request lines and errors carry a timestamp.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "alknav.service": {"level": "INFO"},
        "uvicorn": {"level": "INFO"},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"level": "WARNING"},
    },
}


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for the request head, which uvicorn lacks: a client
    that connects and trickles (or never sends) its headers is disconnected, instead of holding a
    connection for ever."""

    header_timeout = HEADER_TIMEOUT
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if self.conn.their_state == h11.IDLE and not self.transport.is_closing():
            self.transport.close()  # the head never completed

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state == h11.IDLE:  # bytes of a new request head: its clock runs
            self._arm()
        super().data_received(data)
        if self.conn.their_state != h11.IDLE:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def uvicorn_options() -> dict[str, Any]:
    """The uvicorn settings every way of serving uses (one worker or several)."""
    return {"http": HeaderTimeoutProtocol, "timeout_keep_alive": KEEP_ALIVE,
            "h11_max_incomplete_event_size": MAX_HEAD_BYTES, "access_log": False, "log_config": LOG_CONFIG,
            "log_level": "info", "timeout_graceful_shutdown": 10}


def serve(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the API until interrupted. ``workers`` > 1 starts several processes, each building its app
    from the environment (ALKNAV_*), so ``settings`` must then be None."""
    import uvicorn

    if workers > 1:
        if settings is not None:
            raise ValueError("with several workers the settings come from the environment (ALKNAV_*)")
        uvicorn.run("alknav.service.server:app_from_env", host=host, port=port, workers=workers, factory=True,
                    **uvicorn_options())
        return
    from alknav.service.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, **uvicorn_options())


def app_from_env() -> object:
    """Factory for uvicorn (``uvicorn --factory alknav.service.server:app_from_env``): settings from env."""
    from alknav.service.app import create_app

    return create_app()
