"""create_app(settings) -> FastAPI: the JSON API, its error shape, the body limit and the access log.

The log line holds method, route template, status and duration only: never a body, a query
string, a header or a raw path (a path may hold a case id or a name someone typed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from alknav import __version__
from alknav.inputs.case_model import Case
from alknav.kb.loader import default_root, load_kb
from alknav.service.api import CASE_SCHEMA_REF, ServiceState, router
from alknav.service.auth import KeyChecker
from alknav.service.docs import docs_page
from alknav.service.errors import ApiError, error_body, field_of
from alknav.service.security import SecurityHeaders, web_secret
from alknav.service.settings import Settings, load_settings
from alknav.service.store import Store, StoreBusy

log = logging.getLogger("alknav.service")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_FIXED_PATHS = frozenset({"/openapi.json", "/docs"})
_DESCRIPTION = """Ranked, cited treatment options for ALK-positive NSCLC (decision support; it does not replace
clinical judgement). Errors read `{"error": {"field": ..., "message": ...}}`.

Authentication: every `/api/v1/cases` route needs an `X-API-Key` header (401 when missing, 403 when unknown or
revoked). `/api/v1/recommend` and `/api/v1/kb/*` are public: they store nothing and the case never leaves the
process."""


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyTimeout(StarletteHTTPException):
    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body did not arrive within {seconds:g} s")


class Guard:
    """Pure ASGI middleware: refuse bodies over the limit (413) — declared ones at once, chunked
    ones as soon as the running count passes the limit, never after reading them whole — and
    bodies that stall (408); log each request."""

    def __init__(self, app: ASGIApp, limit: int, body_timeout: float = 30.0) -> None:
        self.app = app
        self.limit = limit
        self.body_timeout = body_timeout

    def _bounded(self, receive: Receive) -> Receive:
        received = 0
        complete = False

        async def bounded_receive() -> Message:
            nonlocal received, complete
            if complete:  # after the body, receive only waits for a disconnect: no limit applies
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                raise BodyTimeout(self.body_timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
                complete = not message.get("more_body", False)
            return message

        return bounded_receive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False

        async def send_status(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = int(message["status"]), True
            await send(message)

        try:
            if self._declared(scope) > self.limit:
                response = JSONResponse(error_body("body", f"the request body is larger than {self.limit} bytes"),
                                        status_code=413)
                await response(scope, receive, send_status)
            else:
                await self.app(scope, self._bounded(receive), send_status)
        except Exception as exc:
            # the last resort: no traceback and no message in the log, as either may quote the case
            log.error("internal error: %s", type(exc).__name__)
            if not started:
                await JSONResponse(error_body("", "internal error"), status_code=500)(scope, receive, send_status)
        finally:
            route = scope.get("route")
            path = scope.get("path", "")
            template = getattr(route, "path", None) or (path if path in _FIXED_PATHS else "(no route)")
            log.info("%s %s %d %.1fms", scope.get("method", ""), template, status,
                     (time.perf_counter() - start) * 1000)

    @staticmethod
    def _declared(scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                text = value.decode("latin-1").strip()
                return int(text) if text.isdigit() and len(text) < 19 else 0
        return 0


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(error_body(exc.field, exc.message), status_code=exc.status, headers=exc.headers)


async def _store_busy(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse(error_body("", "the case store is busy; retry shortly"), status_code=503,
                        headers={"Retry-After": "1"})


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    return JSONResponse(error_body(field_of(tuple(first.get("loc", ()))), str(first.get("msg", ""))), status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, BodyTooLarge | BodyTimeout):
        if request.url.path.startswith("/web/"):  # a browser: the page's own error, not JSON
            from alknav.service.web import error_page

            return error_page(request.query_params.get("lang"), str(exc.detail), exc.status_code)
        return JSONResponse(error_body("body", str(exc.detail)), status_code=exc.status_code)
    return JSONResponse(error_body("", str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


def _add_example(schema: dict[str, Any]) -> None:
    """The shipped demo case as the example body of every route that takes a case."""
    example = yaml.safe_load((resources.files("alknav") / "examples" / "demo_case.yaml").read_text("utf-8"))
    for item in schema.get("paths", {}).values():
        for op in item.values():
            content = op.get("requestBody", {}).get("content", {}).get("application/json", {}) \
                if isinstance(op, dict) else {}
            if content.get("schema", {}).get("$ref") == CASE_SCHEMA_REF:
                content["example"] = example


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's schema plus the case input schema the raw-body routes refer to."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            prefix = CASE_SCHEMA_REF.rsplit("/", 1)[1]
            case = Case.model_json_schema(ref_template="#/components/schemas/" + prefix + "_{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, sub in case.pop("$defs", {}).items():
                components[f"{prefix}_{name}"] = sub
            components[prefix] = case
            _add_example(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return build


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service. Settings are read from the environment now, when not given."""
    settings = settings or load_settings()
    kb = load_kb(settings.kb_dir)
    store = Store.open(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()  # pooled connections; the engine stays usable

    app = FastAPI(title="alknav", version=__version__, description=_DESCRIPTION, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    from alknav.kb.cache import cache_key

    build_id = f"{__version__[:30]}+{cache_key(settings.kb_dir or default_root())[:16]}"  # fits String(50)
    app.state.alknav = ServiceState(settings=settings, kb=kb, store=store, keys=KeyChecker(store), build_id=build_id)
    app.include_router(router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StoreBusy, _store_busy)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.openapi = _openapi(app)  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(app.openapi()))

    from alknav.service.web import add_web  # the server-rendered pages share the KB and the body limit

    secret = web_secret(settings.data_dir, settings.secret_key)
    add_web(app, kb, settings.max_request_bytes, secret)

    app.add_middleware(Guard, limit=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: also on Guard's 413 and 500 answers
    return app
