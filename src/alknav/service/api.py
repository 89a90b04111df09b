"""The /api/v1 routes. Knowledge look-ups and /recommend are public (nothing is stored and no
case leaves the process); every /cases route needs an X-API-Key and is audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from alknav import __version__ as alknav_version
from alknav.errors import AlknavError, CaseError
from alknav.inputs.case_model import Case
from alknav.inputs.case_reader import load_case_text, parse_case_text
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.outputs.render import MessageError, render_result
from alknav.outputs.render import RenderedResult as Result
from alknav.recommend import result as neutral
from alknav.recommend.engine import recommend
from alknav.service.auth import KeyChecker, Principal, TooManyFailures
from alknav.service.errors import ApiError, ErrorResponse
from alknav.service.settings import Settings
from alknav.service.store import CaseSummary, CaseVersion, ResultKey, Store

CASE_SCHEMA_REF = "#/components/schemas/CaseInput"
_INT_MAX = 2**31 - 1


@dataclass
class ServiceState:
    settings: Settings
    kb: KnowledgeBase
    store: Store
    keys: KeyChecker
    # what a stored result was computed by: alknav's version plus a digest of the knowledge files and
    # alknav's code (kb/cache.py cache_key), so that an edit without a version bump is another build
    build_id: str = alknav_version


def state(request: Request) -> ServiceState:
    return request.app.state.alknav  # type: ignore[no-any-return]


State = Annotated[ServiceState, Depends(state)]
Lang = Annotated[Literal["en", "zh", "both"], Query(
    description='language of the wording: en, zh, or both ({"en": <result>, "zh": <result>}, rendered from '
                "one engine result)")]
RegionQ = Annotated[Literal["CN", "US", "EU", "JP"] | None,
                    Query(description="whose approvals apply; overrides the case's patient.region")]
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="a key from `alknav service key create`")


def require_key(request: Request, raw: Annotated[str | None, Security(_key_header)] = None) -> Principal:
    # a sync dependency: FastAPI runs it in the threadpool, so scrypt never blocks the event loop
    if not raw:
        raise ApiError(401, "X-API-Key", "an API key is required (header X-API-Key)")
    client = request.client.host if request.client else ""
    try:
        principal = state(request).keys.check(raw, client)
    except TooManyFailures as exc:
        raise ApiError(429, "X-API-Key", str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    if principal is None:
        raise ApiError(403, "X-API-Key", "unknown or revoked API key")
    return principal


KeyId = Annotated[Principal, Depends(require_key)]

# ------------------------------------------------------------------ response models


class StoredCase(BaseModel):
    id: str
    case_id: str | None
    version: int
    latest_version: int
    created_at: datetime
    updated_at: datetime
    case: dict[str, Any]


class BothLanguages(BaseModel):
    """?lang=both: one engine result rendered in each language."""

    en: Result
    zh: Result


class CaseListItem(BaseModel):
    id: str
    case_id: str | None
    latest_version: int
    created_at: datetime
    updated_at: datetime


class CaseList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CaseListItem]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _stored(rec: CaseVersion) -> StoredCase:
    return StoredCase(id=rec.id, case_id=rec.label, version=rec.version, latest_version=rec.latest_version,
                      created_at=_utc(rec.created_at), updated_at=_utc(rec.updated_at), case=rec.payload)


def _item(rec: CaseSummary) -> CaseListItem:
    return CaseListItem(id=rec.id, case_id=rec.label, latest_version=rec.latest_version,
                        created_at=_utc(rec.created_at), updated_at=_utc(rec.updated_at))


# ------------------------------------------------------------------ request bodies


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "body", f"the request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "body", f"the request body is larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "body", "the client disconnected before sending the whole body") from None
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})


def is_yaml(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() in YAML_TYPES


def _parse_yaml(text: str) -> tuple[dict[str, Any], Case]:
    """A YAML case body, read by the same hardened loader as case files (aliases bounded), kept as
    the JSON object it amounts to (dates become ISO text)."""
    try:
        data = load_case_text(text, "body")
    except CaseError as exc:
        raise ApiError(400, "body", exc.message) from None
    if not isinstance(data, dict):
        raise ApiError(422, "", f"a case must be a mapping of fields (got {type(data).__name__})")
    try:
        data = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise ApiError(400, "body", f"unreadable YAML value: {type(exc).__name__}") from None
    return data, case_of(data)


def parse_body(raw: bytes, content_type: str | None = None) -> tuple[dict[str, Any], Case]:
    """Request bytes -> (the object as sent, the validated case). JSON, or YAML when the content type
    says so (application/yaml). 400 unreadable, 422 invalid."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "body", "the request body is not UTF-8 text") from None
    if not text.strip():
        raise ApiError(400, "body", "the request body is empty; send a case as a JSON object (or YAML with "
                                    "Content-Type: application/yaml)")
    if is_yaml(content_type):
        return _parse_yaml(text)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # lone surrogates cannot be stored
    except json.JSONDecodeError as exc:
        raise ApiError(400, "body", f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise ApiError(400, "body", f"invalid JSON: {type(exc).__name__}: {str(exc)[:100]}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "", f"a case must be a JSON object of fields (got {type(data).__name__})")
    return data, case_of(data, text)


def case_of(data: dict[str, Any], text: str | None = None) -> Case:
    """A stored or sent JSON object -> Case (contract v1 or Phenopacket v2), CaseError -> 422."""
    try:
        return parse_case_text(text if text is not None else json.dumps(data), "case")
    except CaseError as exc:
        raise ApiError(422, exc.field, exc.message) from None
    except RecursionError:
        raise ApiError(422, "", "the case is nested too deeply") from None


def _engine(st: ServiceState, case: Case, region: str | None) -> neutral.Result:
    try:
        return recommend(case, st.kb, region=region)
    except CaseError as exc:
        raise ApiError(422, exc.field, exc.message) from None
    except AlknavError as exc:
        raise ApiError(422, "", str(exc)) from None


def _render(st: ServiceState, result: neutral.Result, lang: str) -> str:
    if lang == "both":
        # one result, two renderings; the JSON is assembled so each part is the exact single-language bytes
        return '{"en":' + _render(st, result, "en") + ',"zh":' + _render(st, result, "zh") + "}"
    return render_result(result, st.kb, lang).model_dump_json()


def _recommend(st: ServiceState, case: Case, lang: str, region: str | None) -> Response:
    return Response(_render(st, _engine(st, case, region), lang), media_type="application/json")


def _stored_recommendation(st: ServiceState, rec: CaseVersion, case: Case, lang: str,
                           region: str | None) -> Response:
    """The result of this case version is computed once per (knowledge-base version, region, alknav
    version) and stored; every later request, in any language, renders the stored one. A result stored
    under another knowledge-base or alknav version does not match the key, so it is recomputed."""
    effective = region or case.patient.region.value  # the engine's own choice when no region is asked
    key = ResultKey(knowledge_version=st.kb.version, region=effective, alknav_version=st.build_id)
    text = st.store.stored_result(rec.id, rec.version, key)
    if text is not None:
        try:
            return Response(_render(st, neutral.load_result(text), lang), media_type="application/json")
        except (neutral.ResultFormatError, MessageError):
            # damaged, or written by a knowledge base that changed without a new version: recompute
            st.store.forget_result(rec.id, rec.version, key)
    result = _engine(st, case, effective)
    st.store.keep_result(rec.id, rec.version, key, neutral.dump_result(result))
    return Response(_render(st, result, lang), media_type="application/json")


# ------------------------------------------------------------------ routes

_ERR = {"model": ErrorResponse}
_CASE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": CASE_SCHEMA_REF}},
    "application/yaml": {"schema": {"$ref": CASE_SCHEMA_REF}}}}}
_AUTH_ERR: dict[int | str, dict[str, Any]] = {401: _ERR, 403: _ERR, 429: _ERR}
_BODY_ERR: dict[int | str, dict[str, Any]] = {400: _ERR, 413: _ERR, 422: _ERR}

router = APIRouter(prefix="/api/v1")


@router.get("/health", tags=["service"], summary="Liveness check")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/recommend", tags=["recommend"], response_model=Result | BothLanguages, responses=_BODY_ERR,
             openapi_extra=_CASE_BODY,
             summary="Recommend for a case sent in the body (public; nothing is stored)")
async def recommend_body(request: Request, st: State, lang: Lang = "en", region: RegionQ = None) -> Response:
    raw = await read_body(request, st.settings.max_request_bytes)
    # parsing and the engine are CPU work: a worker thread, so /health and other requests stay served

    def work() -> Response:
        return _recommend(st, parse_body(raw, request.headers.get("content-type"))[1], lang, region)

    return await run_in_threadpool(work)


@router.post("/cases", tags=["cases"], status_code=201, response_model=StoredCase, openapi_extra=_CASE_BODY,
             responses={**_AUTH_ERR, **_BODY_ERR}, summary="Store a new case (version 1)")
async def create_case(request: Request, response: Response, st: State, key: KeyId) -> StoredCase:
    raw = await read_body(request, st.settings.max_request_bytes)
    data, _case = await run_in_threadpool(parse_body, raw, request.headers.get("content-type"))
    rec = await run_in_threadpool(st.store.create, data, key.key_id, key.owner)
    response.headers["Location"] = f"/api/v1/cases/{rec.id}"
    return _stored(rec)


@router.get("/cases", tags=["cases"], response_model=CaseList, responses=_AUTH_ERR,
            summary="List live cases (ids, versions, times and case_id labels only)")
def list_cases(st: State, key: KeyId, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=_INT_MAX)] = 0) -> CaseList:
    total, rows = st.store.list_cases(key.key_id, limit, offset, scope=key.scope)
    return CaseList(total=total, limit=limit, offset=offset, items=[_item(r) for r in rows])


def _not_found(case_id: str, version: int | None) -> ApiError:
    if version is not None:
        return ApiError(404, "version", f"case {case_id} has no version {version}")
    return ApiError(404, "id", f"no case {case_id}")


VersionQ = Annotated[int | None, Query(ge=1, le=_INT_MAX, description="a stored version (default: the latest)")]


@router.get("/cases/{case_id}", tags=["cases"], response_model=StoredCase, responses={**_AUTH_ERR, 404: _ERR},
            summary="The latest version of a case, or ?version=n")
def get_case(case_id: str, st: State, key: KeyId, version: VersionQ = None) -> StoredCase:
    rec = st.store.get(case_id, key.key_id, version, scope=key.scope)
    if rec is None:
        raise _not_found(case_id, version)
    return _stored(rec)


@router.put("/cases/{case_id}", tags=["cases"], response_model=StoredCase, openapi_extra=_CASE_BODY,
            responses={**_AUTH_ERR, **_BODY_ERR, 404: _ERR}, summary="Store a new version (history is kept)")
async def update_case(case_id: str, request: Request, st: State, key: KeyId) -> StoredCase:
    raw = await read_body(request, st.settings.max_request_bytes)
    data, _case = await run_in_threadpool(parse_body, raw, request.headers.get("content-type"))
    rec = await run_in_threadpool(lambda: st.store.update(case_id, data, key.key_id, scope=key.scope))
    if rec is None:
        raise _not_found(case_id, None)
    return _stored(rec)


@router.delete("/cases/{case_id}", tags=["cases"], status_code=204, responses={**_AUTH_ERR, 404: _ERR},
               summary="Delete a case (soft: its versions are kept for audit)")
def delete_case(case_id: str, st: State, key: KeyId) -> Response:
    if not st.store.delete(case_id, key.key_id, scope=key.scope):
        raise _not_found(case_id, None)
    return Response(status_code=204)


@router.get("/cases/{case_id}/recommendation", tags=["cases"], response_model=Result | BothLanguages,
            responses={**_AUTH_ERR, 404: _ERR, 422: _ERR},
            summary="Recommend for the stored case (computed once per version, rendered in the language asked)")
def case_recommendation(case_id: str, st: State, key: KeyId, lang: Lang = "en", region: RegionQ = None,
                        version: VersionQ = None) -> Response:
    rec = st.store.get(case_id, key.key_id, version, action="recommend", scope=key.scope)
    if rec is None:
        raise _not_found(case_id, version)
    return _stored_recommendation(st, rec, case_of(rec.payload), lang, region)


# ------------------------------------------------------------------ knowledge (public)


@router.get("/kb/version", tags=["knowledge"], summary="Knowledge base and program versions")
def kb_version(st: State) -> dict[str, str]:
    m = st.kb.manifest
    return {"knowledge_version": m.version, "knowledge_name": m.name, "knowledge_date": m.date, "seed": m.seed,
            "alknav_version": alknav_version, "api_version": "1"}


@router.get("/kb/drugs/{name}", tags=["knowledge"], responses={404: _ERR},
            summary="One drug by INN, brand, code name or Chinese name")
def kb_drug(name: str, st: State) -> dict[str, Any]:
    from alknav.kb.query import find_drug

    try:
        drug = find_drug(st.kb, name)
    except AlknavError as exc:
        raise ApiError(404, "name", str(exc)) from None
    trials = [t.id for t in st.kb.trials.values() if any(drug.id in a.regimen for a in t.arms)]
    return {"knowledge_version": st.kb.version, "drug": drug.model_dump(mode="json", exclude_none=True),
            "trials": trials}


@router.get("/kb/mutations/{name:path}", tags=["knowledge"], responses={404: _ERR},
            summary="An ALK mutation or compound (e.g. G1202R, p.Gly1202Arg, G1202R/L1196M)")
def kb_mutation(name: str, st: State) -> dict[str, Any]:
    from alknav.kb.query import find_mutation

    try:
        match = find_mutation(st.kb, name)
    except AlknavError as exc:
        raise ApiError(404, "name", str(exc)) from None
    mutation = match.mutation
    return {
        "knowledge_version": st.kb.version, "query": name, "normalized": match.parts,
        "curated": mutation is not None,
        "mutation": mutation.model_dump(mode="json", exclude_none=True) if mutation else None,
        "components": [c.model_dump(mode="json", exclude_none=True) for c in match.components],
        "unknown_parts": match.unknown_parts,
        "errata": [e.id for e in st.kb.errata.values() if mutation and mutation.id in e.kb_fields],
    }
