"""Server-rendered web pages: enter a case in a form or upload a file, read the report, browse the
knowledge base. No JavaScript framework and nothing fetched from a CDN. Nothing is stored: the
pages call the same library functions as the CLI and the API."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool

from alknav.errors import AlknavError, CaseError, LookupFailed
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.outputs.i18n import case_error, t
from alknav.service.security import CSRF_COOKIE, CSRF_FIELD, CsrfTokens, page_csp
from alknav.service.webform import (
    LABELS,
    LINES,
    FormErrors,
    FormInput,
    choices,
    default_region,
    field_label,
    form_field,
    form_from_case,
    read_form,
    row_choice,
)

_WORDS = {
    "en": {"title": "alknav — ALK-positive NSCLC next-line options", "enter": "Enter a case", "upload": "Upload a file",
           "browse": "Knowledge base", "drugs": "Drugs", "mutations": "Mutations", "region": "Region",
           "fusion": "ALK fusion (e.g. EML4-ALK)", "variant": "Fusion variant (optional, e.g. V3)",
           "history": "Prior systemic therapies, oldest first, one regimen per line (e.g. alectinib)",
           "status": "Current status", "alterations": "Alterations at progression, one per line (e.g. ALK G1202R)",
           "brain": "Brain metastases", "comorbidities": "Comorbidities (comma-separated, e.g. hyperlipidemia)",
           "ici": "Prior immune checkpoint inhibitor", "pattern": "Progression pattern", "submit": "Recommend",
           "file": "Case file (YAML/JSON/Phenopacket), VCF, or fusion-caller output",
           "kind": "File type", "send": "Upload and recommend", "lang": "中文", "lang_code": "zh",
           "sample": "Sample (for multi-sample genomic files)",
           "kind_case": "Case file", "kind_vcf": "VCF (variants)",
           "kind_fusions": "Fusion-caller output", "skip": "Skip to the content",
           "privacy": "Nothing you enter is stored or sent anywhere; the page answers and forgets.",
           "err_csrf": "the form has expired or was sent from another site; reload the page and send it again",
           "err_carried": "the case this page carried could not be read back (it was changed or damaged); "
                          "enter the case again",
           "err_too_large": "the case this page carried is larger than {limit} bytes",
           "err_pdf": "the PDF could not be produced: {reason}",
           "err_file_large": "file larger than {limit} bytes", "err_file_empty": "empty file",
           "err_file_kind": "file type must be case, vcf or fusions, not '{kind}'",
           "err_region": "region must be one of {regions}, not '{region}'",
           "err_unknown": "unknown {kind} '{name}'",
           "err_unknown_hint": "unknown {kind} '{name}'; did you mean {hint}?",
           "kind_drug": "drug", "kind_mutation": "mutation"},
    "zh": {"title": "alknav — ALK阳性非小细胞肺癌后续治疗选项", "enter": "录入病例", "upload": "上传文件",
           "browse": "知识库", "drugs": "药物", "mutations": "突变", "region": "地区",
           "fusion": "ALK融合（如 EML4-ALK）", "variant": "融合变异体（可选，如 V3）",
           "history": "既往全身治疗，按时间顺序，每行一个方案（如 阿来替尼）",
           "status": "当前状态", "alterations": "进展时的分子改变，每行一个（如 ALK G1202R）",
           "brain": "脑转移", "comorbidities": "合并症（逗号分隔，如 hyperlipidemia）",
           "ici": "既往使用免疫检查点抑制剂", "pattern": "进展模式", "submit": "获取推荐",
           "file": "病例文件（YAML/JSON/Phenopacket）、VCF 或融合检测结果", "kind": "文件类型",
           "send": "上传并推荐", "lang": "English", "lang_code": "en", "sample": "样本（多样本基因组文件）",
           "kind_case": "病例文件", "kind_vcf": "VCF（变异）",
           "kind_fusions": "融合检测结果",
           "skip": "跳到正文",
           "privacy": "录入内容不会被保存或发送到任何地方；页面仅作答后即丢弃。",
           "err_csrf": "表单已过期或来自其他网站；请重新加载页面后再次提交",
           "err_carried": "本页携带的病例无法读取（已被更改或损坏）；请重新录入病例",
           "err_too_large": "本页携带的病例超过 {limit} 字节",
           "err_pdf": "无法生成 PDF：{reason}",
           "err_file_large": "文件超过 {limit} 字节", "err_file_empty": "文件为空",
           "err_file_kind": "文件类型须为病例文件、VCF 或融合检测结果，而不是“{kind}”",
           "err_region": "地区须为 {regions} 之一，而不是“{region}”",
           "err_unknown": "知识库中没有{kind}“{name}”",
           "err_unknown_hint": "知识库中没有{kind}“{name}”；是否指 {hint}？",
           "kind_drug": "药物", "kind_mutation": "突变"},
}


LANGS = ("en", "zh")
_REGIONS = ("US", "CN", "EU", "JP")
_STATIC_FILES = frozenset({"web.css", "docs.css"})


def web_lang(value: str | None) -> str:
    """Only the two page languages; anything else (a typo or an injection attempt) means English."""
    return value if value in LANGS else "en"


@cache
def _templates() -> Environment:
    # autoescape everywhere: every value a template prints is escaped unless it is Markup we built
    return Environment(loader=PackageLoader("alknav.service", "templates"), autoescape=True,
                       undefined=StrictUndefined)


@cache
def _static(name: str) -> bytes:
    return (resources.files("alknav.service") / "static" / name).read_bytes()


def _html(document: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(document, status_code=status, headers={"Content-Security-Policy": page_csp(document)})


def _page(lang: str, template: str, path: str = "/", status: int = 200, **values: Any) -> HTMLResponse:
    document = _templates().get_template(template).render(
        lang=lang, w=_WORDS[lang], path=quote(path, safe="/"), disclaimer=t(lang, "disclaimer"), **values)
    return _html(document, status)


def _error(lang: str, message: str, status: int = 400) -> HTMLResponse:
    return _page(lang, "error.html.j2", status=status, message=message)


def error_page(lang: str | None, message: str, status: int) -> HTMLResponse:
    """An error as a page, for errors raised before a web route runs (e.g. a body over the limit)."""
    return _error(web_lang(lang), message, status)


def refusal(exc: CaseError, lang: str) -> str:
    """A case refusal in the page's language (from its i18n key; the English the error carries when
    it has none)."""
    return case_error(lang, exc.key, exc.args_, exc.message)


def _refusal_page(exc: AlknavError, lang: str) -> HTMLResponse:
    """An uploaded file or a carried case refused: the field named in words, then why."""
    if not isinstance(exc, CaseError):
        return _error(lang, str(exc).replace(str(tempfile.gettempdir()), "…"))
    name = form_field(exc.field, list(range(50)), {})
    words = refusal(exc, lang).replace(str(tempfile.gettempdir()), "…")
    return _error(lang, LABELS[lang]["field_error"].format(label=field_label(name, lang), message=words)
                  if name else words)


def _not_found(exc: AlknavError, lang: str) -> str:
    """A name the knowledge base does not hold, in the page's language."""
    if not isinstance(exc, LookupFailed):
        return str(exc)
    words = _WORDS[lang]
    key = "err_unknown_hint" if exc.suggestions else "err_unknown"
    return (words[key].replace("{kind}", words.get(f"kind_{exc.kind}", exc.kind)).replace("{name}", exc.name[:100])
            .replace("{hint}", ", ".join(exc.suggestions)))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def regimens_from_text(text: str) -> list[dict[str, Any]]:
    """Prior regimens written one per line (the upload form), each stopped for progression."""
    return [{"regimen": [d.strip() for d in line.split("+") if d.strip()], "stopped_for": "progression"}
            for line in _lines(text)]


def _form_page(kb: KnowledgeBase, lang: str, token: str, form: FormInput | None = None,
               errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    """The home page with its two forms; after a refusal, drawn again with what was typed and every
    field in error named in words."""
    values = dict(form.values) if form else {"fusion": "EML4-ALK", "status": "progression"}
    values.setdefault("region", default_region(lang))
    errors = errors or {}
    labels = LABELS[lang]
    summary = [(name, labels["field_error"].format(label=field_label(name, lang), message=message))
               for name, message in errors.items()]
    return _page(lang, "home.html.j2", status=status, csrf=token, regions=_REGIONS, kinds=("case", "vcf", "fusions"),
                 v=values, chosen=set(form.comorbidities) if form else set(), errors=errors, summary=summary,
                 choices=choices(kb, lang), L=labels, lines=range(LINES), row_choice=row_choice)


def carried_case(case: Any) -> str:
    """The case a result page carries: the canonical contract JSON of the parsed case (not the raw
    form), which the case reader reads back exactly."""
    return json.dumps(case.model_dump(mode="json", exclude_none=True), ensure_ascii=False, separators=(",", ":"))


def _report(case: Any, kb: KnowledgeBase, lang: str, region: str | None, csrf: CsrfTokens | None = None,
            token: str = "") -> HTMLResponse:
    from alknav.outputs.report.html import PageActions, render_html
    from alknav.recommend.engine import recommend

    lang = web_lang(lang)
    words = _WORDS[lang]
    nav = [(words["enter"], f"/?lang={lang}"), (words["drugs"], f"/kb/drugs?lang={lang}"),
           (words["mutations"], f"/kb/mutations?lang={lang}")]
    actions = None
    if csrf is not None:
        text = carried_case(case)
        actions = PageActions(CSRF_FIELD, token, text, csrf.seal(text))
    return _html(render_html(case, recommend(case, kb, region=region), kb, lang, nav=nav, actions=actions))


def build_router(kb: KnowledgeBase, max_upload_bytes: int, csrf: CsrfTokens) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def refused(request: Request, field: str | None, lang: str) -> HTMLResponse | None:
        """The CSRF check of every form POST: None when the pair matches, else the error page."""
        if csrf.valid(request.cookies.get(CSRF_COOKIE), field):
            return None
        return _error(lang, _WORDS[lang]["err_csrf"], 403)

    async def carried(request: Request, lang: str) -> tuple[Any, str] | HTMLResponse:
        """The case a result page sent back (CSRF token, signature, size, then the same hardened case
        reader as an uploaded file), and the CSRF token; or the error page in the page's language."""
        from alknav.inputs.case_reader import load_case_text, parse_case_data

        form = await request.form()
        token, text, seal = (form.get(name) for name in (CSRF_FIELD, "case", "seal"))
        if (denied := refused(request, token if isinstance(token, str) else None, lang)) is not None:
            return denied
        if not isinstance(text, str) or not isinstance(seal, str):
            return _error(lang, _WORDS[lang]["err_carried"])
        if len(text.encode("utf-8")) > max_upload_bytes:
            return _error(lang, _WORDS[lang]["err_too_large"].format(limit=max_upload_bytes), 413)
        if not csrf.sealed(text, seal):
            return _error(lang, _WORDS[lang]["err_carried"])
        try:
            return parse_case_data(load_case_text(text, "result"), "result"), str(token)
        except AlknavError:
            return _error(lang, _WORDS[lang]["err_carried"])

    @router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def home(request: Request, lang: str = "en") -> HTMLResponse:
        lang = web_lang(lang)
        token = request.cookies.get(CSRF_COOKIE)
        if not csrf.signed(token):
            token = csrf.issue()
        response = _form_page(kb, lang, str(token))
        response.set_cookie(CSRF_COOKIE, str(token), httponly=True, samesite="strict", path="/")
        return response

    @router.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in _STATIC_FILES:
            return Response(status_code=404)
        return Response(_static(name), media_type="text/css; charset=utf-8")

    @router.post("/web/recommend", response_class=HTMLResponse)
    async def web_recommend(request: Request, lang: str = "en") -> HTMLResponse:
        from alknav.inputs.case_reader import parse_case_data

        lang = web_lang(lang)
        form = FormInput.from_items((await request.form()).multi_items())
        if (denied := refused(request, form.values.get(CSRF_FIELD), lang)) is not None:
            return denied
        token = str(request.cookies.get(CSRF_COOKIE))

        def work() -> HTMLResponse:  # CPU-bound: runs in a worker thread, not on the event loop
            case: dict[str, Any] = {}
            rows: list[int] = []
            try:
                case, rows = read_form(form, kb, lang)
                return _report(parse_case_data(case, "form"), kb, lang, None, csrf, token)
            except FormErrors as exc:
                return _form_page(kb, lang, token, form, exc.errors, 400)
            except CaseError as exc:
                name = form_field(exc.field, rows, case) or "fusion"
                return _form_page(kb, lang, token, form, {name: refusal(exc, lang)}, 400)
            except AlknavError as exc:
                return _error(lang, str(exc))

        return await run_in_threadpool(work)

    @router.post("/web/upload", response_class=HTMLResponse)
    async def web_upload(request: Request, file: UploadFile = File(...), kind: str = Form("case"),  # noqa: B008
                         sample: str = Form(""), region: str = Form("US"), history: str = Form(""),
                         csrf_field: str = Form("", alias=CSRF_FIELD), lang: str = "en") -> HTMLResponse:
        lang = web_lang(lang)
        if (denied := refused(request, csrf_field, lang)) is not None:
            return denied
        data = await file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            return _error(lang, _WORDS[lang]["err_file_large"].format(limit=max_upload_bytes), 413)
        if not data:
            return _error(lang, _WORDS[lang]["err_file_empty"])
        if kind not in ("case", "vcf", "fusions"):
            return _error(lang, _WORDS[lang]["err_file_kind"].replace("{kind}", kind[:40]))
        if region not in _REGIONS:
            return _error(lang, _WORDS[lang]["err_region"].replace("{regions}", ", ".join(_REGIONS))
                          .replace("{region}", region[:40]))

        def work() -> HTMLResponse:
            try:
                case = _case_from_upload(data, file.filename or "upload", kind, sample or None, region, history, kb)
                return _report(case, kb, lang, region, csrf, str(csrf_field))
            except AlknavError as exc:
                return _refusal_page(exc, lang)

        return await run_in_threadpool(work)

    Handler = Callable[[Any, str, str], Response]

    def on_carried(path: str, **route: Any) -> Callable[[Handler], Handler]:
        """Registers `handler(case, token, lang)` as a POST route acting on the case a result page sent
        back: the language is checked, the case is read by `carried` (its error page is returned as it
        is), and the handler runs in a worker thread (the engine and WeasyPrint are CPU work)."""

        def register(handler: Handler) -> Handler:
            async def endpoint(request: Request, lang: str = "en") -> Response:
                lang = web_lang(lang)
                got = await carried(request, lang)
                if isinstance(got, HTMLResponse):
                    return got
                answer: Response = await run_in_threadpool(handler, got[0], got[1], lang)
                return answer

            endpoint.__doc__ = handler.__doc__
            router.add_api_route(path, endpoint, methods=["POST"], name=handler.__name__, **route)
            return handler

        return register

    @on_carried("/web/result", response_class=HTMLResponse)
    def web_result(case: Any, token: str, lang: str) -> HTMLResponse:
        """The result again, in ``lang`` (the language switch of the result page)."""
        try:
            return _report(case, kb, lang, None, csrf, token)
        except AlknavError as exc:
            return _error(lang, str(exc))

    @on_carried("/web/report.pdf", response_model=None)
    def web_report_pdf(case: Any, _token: str, lang: str) -> Response:
        """The same report as ``alknav report -o report.pdf``, as a download."""
        from alknav.outputs.report.html import render_html
        from alknav.outputs.report.pdf import render_pdf
        from alknav.recommend.engine import recommend

        try:
            html = render_html(case, recommend(case, kb), kb, lang)
            with tempfile.TemporaryDirectory(prefix="alknav-pdf-") as tmp:
                out = Path(tmp) / "report.pdf"
                render_pdf(html, out)
                data = out.read_bytes()
        except AlknavError as exc:
            return _error(lang, _WORDS[lang]["err_pdf"].format(reason=exc), 500)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", case.id or "case")[:60]
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="alknav-{name}-{lang}.pdf"',
                                 "Cache-Control": "no-store"})

    @on_carried("/web/edit", response_class=HTMLResponse)
    def web_edit(case: Any, token: str, lang: str) -> HTMLResponse:
        """Back to the form with the case of the result page filled in."""
        return _form_page(kb, lang, token, form_from_case(case.model_dump(mode="json", exclude_none=True), kb, lang))

    @router.get("/kb/drugs", response_class=HTMLResponse)
    def drugs(lang: str = "en") -> HTMLResponse:
        return _page(web_lang(lang), "drugs.html.j2", "/kb/drugs", drugs=list(kb.drugs.values()))

    @router.get("/kb/drugs/{name:path}", response_class=HTMLResponse)
    def drug(name: str, lang: str = "en") -> HTMLResponse:
        from alknav.kb.query import cite, find_drug

        lang = web_lang(lang)
        try:
            d = find_drug(kb, name)
        except AlknavError as exc:
            return _error(lang, _not_found(exc, lang), 404)
        return _page(lang, "drug.html.j2", f"/kb/drugs/{d.id}", d=d, refs=[cite(kb, r) for r in d.refs])

    @router.get("/kb/mutations", response_class=HTMLResponse)
    def mutations(lang: str = "en") -> HTMLResponse:
        return _page(web_lang(lang), "mutations.html.j2", "/kb/mutations", mutations=list(kb.mutations.values()))

    @router.get("/kb/mutations/{name:path}", response_class=HTMLResponse)
    def mutation(name: str, lang: str = "en") -> HTMLResponse:
        from alknav.kb.query import cite, find_mutation

        lang = web_lang(lang)
        try:
            match = find_mutation(kb, name)
        except AlknavError as exc:
            return _error(lang, _not_found(exc, lang), 404)
        entries = [match.mutation] if match.mutation else match.components
        return _page(lang, "mutation.html.j2", f"/kb/mutations/{name}", entries=entries,
                     inn=lambda drug: kb.drugs[drug].inn, tr=lambda key: t(lang, key),
                     cites=lambda refs: "; ".join(cite(kb, r) for r in refs))

    return router


def _case_from_upload(data: bytes, filename: str, kind: str, sample: str | None, region: str, history: str,
                      kb: KnowledgeBase) -> Any:
    from alknav.inputs.case_reader import parse_case_data, parse_case_text

    if kind == "case":
        try:
            return parse_case_text(data.decode("utf-8-sig"), filename)
        except UnicodeDecodeError:
            raise CaseError("file", f"{filename}: not UTF-8 text", "not_utf8", {"source": filename}) from None
    from alknav.cohort.assemble import Inputs, build_cases

    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name)[-80:] or "upload.txt"
    with tempfile.TemporaryDirectory(prefix="alknav-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        # A fusion file must itself show the ALK fusion (as on the CLI); a VCF cannot, so there the
        # form's ALK-positive diagnosis stands in for it.
        inputs = Inputs(vcf=[path] if kind == "vcf" else [], fusions=[path] if kind == "fusions" else [],
                        alk_positive=kind == "vcf")
        cases = build_cases(inputs, kb, only=sample)
    if not cases:
        raise CaseError("file", f"{filename}: no sample with a readable alteration", "no_sample",
                        {"source": filename})
    item = cases[sample] if sample and sample in cases else next(iter(cases.values()))
    item.case["patient"]["region"] = region
    regimens = regimens_from_text(history)
    item.case["history"] = regimens
    item.case["current"]["status"] = "progression" if regimens else "treatment_naive"
    return parse_case_data(item.case, filename)


def add_web(app: FastAPI, kb: KnowledgeBase, max_upload_bytes: int, secret: bytes | None = None) -> None:
    """The pages on ``app``. ``secret`` signs the CSRF tokens; every worker must share it (random
    per process when not given)."""
    app.include_router(build_router(kb, max_upload_bytes, CsrfTokens(secret)))
