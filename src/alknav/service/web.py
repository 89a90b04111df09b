"""Server-rendered web pages: enter a case in a form or upload a file, read the report, browse the
knowledge base. No JavaScript framework and nothing fetched from a CDN. Nothing is stored: the
pages call the same library functions as the CLI and the API."""

from __future__ import annotations

import html
import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from alknav.errors import AlknavError
from alknav.kb.loader import KnowledgeBase
from alknav.outputs.i18n import t

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans",Arial,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{background:#16324f;color:#fff;padding:.6rem 1rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#fff;text-decoration:none}main{max-width:980px;margin:1rem auto;padding:0 1rem}
fieldset{border:1px solid #ccd;margin:.8rem 0;padding:.6rem 1rem;background:#fff}
label{display:block;margin:.35rem 0}input[type=text],select,textarea{width:100%;max-width:600px;padding:.3rem}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccd;padding:.3rem .5rem;text-align:left}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem 1rem}.note{color:#555;font-size:.9em}
button{padding:.45rem 1.2rem;font-size:1rem}
"""

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
           "privacy": "Nothing you enter is stored or sent anywhere; the page answers and forgets."},
    "zh": {"title": "alknav — ALK阳性非小细胞肺癌后续治疗选项", "enter": "录入病例", "upload": "上传文件",
           "browse": "知识库", "drugs": "药物", "mutations": "突变", "region": "地区",
           "fusion": "ALK融合（如 EML4-ALK）", "variant": "融合变异体（可选，如 V3）",
           "history": "既往全身治疗，按时间顺序，每行一个方案（如 阿来替尼）",
           "status": "当前状态", "alterations": "进展时的分子改变，每行一个（如 ALK G1202R）",
           "brain": "脑转移", "comorbidities": "合并症（逗号分隔，如 hyperlipidemia）",
           "ici": "既往使用免疫检查点抑制剂", "pattern": "进展模式", "submit": "获取推荐",
           "file": "病例文件（YAML/JSON/Phenopacket）、VCF 或融合检测结果", "kind": "文件类型",
           "send": "上传并推荐", "lang": "English", "lang_code": "en", "sample": "样本（多样本基因组文件）",
           "privacy": "录入内容不会被保存或发送到任何地方；页面仅作答后即丢弃。"},
}


def _w(lang: str, key: str) -> str:
    return _WORDS.get(lang, _WORDS["en"])[key]


def _page(lang: str, body: str, path: str = "/") -> HTMLResponse:
    other = _w(lang, "lang_code")
    nav = (f'<header><strong>alknav</strong><a href="/?lang={lang}">{_w(lang, "enter")}</a>'
           f'<a href="/kb/drugs?lang={lang}">{_w(lang, "drugs")}</a>'
           f'<a href="/kb/mutations?lang={lang}">{_w(lang, "mutations")}</a>'
           f'<a id="lang-switch" href="{path}?lang={other}">{_w(lang, "lang")}</a></header>')
    doc = (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
           f'<title>{html.escape(_w(lang, "title"))}</title><style>{_CSS}</style></head>'
           f'<body>{nav}<main>{body}<p class="note">{html.escape(t(lang, "disclaimer"))}</p></main></body></html>')
    return HTMLResponse(doc)


def _error(lang: str, message: str, status: int = 400) -> HTMLResponse:
    response = _page(lang, f'<div class="error" role="alert">{html.escape(message)}</div>')
    response.status_code = status
    return response


def _form(lang: str) -> str:
    regions = "".join(f'<option value="{r}">{r}</option>' for r in ("US", "CN", "EU", "JP"))
    statuses = "".join(f'<option value="{s}">{s}</option>' for s in ("progression", "treatment_naive", "toxicity"))
    patterns = "".join(f'<option value="{p}">{p}</option>' for p in ("", "systemic", "cns_only", "oligoprogression"))
    kinds = "".join(f'<option value="{k}">{k}</option>' for k in ("case", "vcf", "fusions"))
    return f"""
<h1>{html.escape(_w(lang, "title"))}</h1><p class="note">{html.escape(_w(lang, "privacy"))}</p>
<form method="post" action="/web/recommend?lang={lang}" id="case-form"><fieldset><legend>{_w(lang, "enter")}</legend>
<label>{_w(lang, "region")}<select name="region">{regions}</select></label>
<label>{_w(lang, "fusion")}<input type="text" name="fusion" value="EML4-ALK"></label>
<label>{_w(lang, "variant")}<input type="text" name="variant"></label>
<label>{_w(lang, "history")}<textarea name="history" rows="3"></textarea></label>
<label>{_w(lang, "status")}<select name="status">{statuses}</select></label>
<label>{_w(lang, "pattern")}<select name="pattern">{patterns}</select></label>
<label>{_w(lang, "alterations")}<textarea name="alterations" rows="3"></textarea></label>
<label><input type="checkbox" name="brain" value="yes"> {_w(lang, "brain")}</label>
<label>{_w(lang, "comorbidities")}<input type="text" name="comorbidities"></label>
<label><input type="checkbox" name="ici" value="yes"> {_w(lang, "ici")}</label>
<button type="submit">{_w(lang, "submit")}</button></fieldset></form>
<form method="post" action="/web/upload?lang={lang}" enctype="multipart/form-data" id="upload-form">
<fieldset><legend>{_w(lang, "upload")}</legend>
<label>{_w(lang, "file")}<input type="file" name="file"></label>
<label>{_w(lang, "kind")}<select name="kind">{kinds}</select></label>
<label>{_w(lang, "sample")}<input type="text" name="sample"></label>
<label>{_w(lang, "history")}<textarea name="history" rows="2"></textarea></label>
<label>{_w(lang, "region")}<select name="region">{regions}</select></label>
<button type="submit">{_w(lang, "send")}</button></fieldset></form>"""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def case_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as a contract case (validated by the same case model as files)."""
    history = [{"regimen": [d.strip() for d in line.split("+") if d.strip()], "stopped_for": "progression"}
               for line in _lines(form.get("history", ""))]
    status = form.get("status") or "progression"
    current: dict[str, Any] = {"status": status, "alterations": _lines(form.get("alterations", "")),
                               "cns": {"brain_metastases": form.get("brain") == "yes"}}
    if form.get("pattern"):
        current["progression_pattern"] = form["pattern"]
    alk: dict[str, Any] = {"fusion": form.get("fusion", "").strip()}
    if form.get("variant", "").strip():
        alk["variant"] = form["variant"].strip()
    return {
        "case_format": 1, "id": "web-form", "patient": {"region": form.get("region") or "US"},
        "diagnosis": {"alk": alk}, "history": history, "current": current,
        "comorbidities": [c.strip() for c in form.get("comorbidities", "").split(",") if c.strip()],
        "prior_immune_checkpoint_inhibitor": form.get("ici") == "yes",
    }


def _report(case: Any, kb: KnowledgeBase, lang: str, region: str | None) -> HTMLResponse:
    from alknav.outputs.report.html import render_html
    from alknav.recommend.engine import recommend

    lang = lang if lang in _WORDS else "en"  # the pages fall back to English for an unknown language too
    nav = [(_w(lang, "enter"), f"/?lang={lang}"), (_w(lang, "drugs"), f"/kb/drugs?lang={lang}"),
           (_w(lang, "mutations"), f"/kb/mutations?lang={lang}")]
    return HTMLResponse(render_html(case, recommend(case, kb, region=region), kb, lang, nav=nav))


def build_router(kb: KnowledgeBase, max_upload_bytes: int) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def home(lang: str = "en") -> HTMLResponse:
        return _page(lang, _form(lang))

    @router.post("/web/recommend", response_class=HTMLResponse)
    async def web_recommend(request: Request, lang: str = "en") -> HTMLResponse:
        from alknav.inputs.case_reader import parse_case_data

        form = {k: str(v) for k, v in (await request.form()).items()}

        def work() -> HTMLResponse:  # CPU-bound: runs in a worker thread, not on the event loop
            try:
                return _report(parse_case_data(case_from_form(form), "form"), kb, lang, None)
            except AlknavError as exc:
                return _error(lang, str(exc))

        return await run_in_threadpool(work)

    @router.post("/web/upload", response_class=HTMLResponse)
    async def web_upload(file: UploadFile = File(...), kind: str = Form("case"),  # noqa: B008
                         sample: str = Form(""), region: str = Form("US"), history: str = Form(""),
                         lang: str = "en") -> HTMLResponse:
        data = await file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            return _error(lang, f"file larger than {max_upload_bytes} bytes", 413)
        if not data:
            return _error(lang, "empty file")
        if kind not in ("case", "vcf", "fusions"):
            return _error(lang, f"file type must be case, vcf or fusions, not '{kind}'")

        def work() -> HTMLResponse:
            try:
                case = _case_from_upload(data, file.filename or "upload", kind, sample or None, region, history, kb)
                return _report(case, kb, lang, region)
            except AlknavError as exc:
                return _error(lang, str(exc).replace(str(tempfile.gettempdir()), "…"))

        return await run_in_threadpool(work)

    @router.get("/kb/drugs", response_class=HTMLResponse)
    def drugs(lang: str = "en") -> HTMLResponse:
        rows = "".join(
            f'<tr><td><a href="/kb/drugs/{d.id}?lang={lang}">{html.escape(d.inn)}</a></td><td>{html.escape(d.name_zh)}'
            f"</td><td>{d.drug_class.value}</td><td>{d.generation or ''}</td>"
            f"<td>{', '.join(f'{a.region.value}: {a.status.value}' for a in d.approvals)}</td></tr>"
            for d in kb.drugs.values())
        return _page(lang, f"<h1>{_w(lang, 'drugs')}</h1><table><tr><th>INN</th><th>中文</th><th>class</th>"
                           f"<th>gen</th><th>approvals</th></tr>{rows}</table>", "/kb/drugs")

    @router.get("/kb/drugs/{name:path}", response_class=HTMLResponse)
    def drug(name: str, lang: str = "en") -> HTMLResponse:
        from alknav.kb.query import cite, find_drug

        try:
            d = find_drug(kb, name)
        except AlknavError as exc:
            return _error(lang, str(exc), 404)
        aes = "".join(f"<li>{html.escape(ae.term.zh if lang == 'zh' else ae.term.en)}</li>" for ae in d.adverse_events)
        refs = "".join(f"<li>{html.escape(cite(kb, r))}</li>" for r in d.refs)
        body = (f"<h1>{html.escape(d.inn)} ({html.escape(d.name_zh)})</h1><p>{html.escape(', '.join(d.aliases))}</p>"
                f"<ul>{aes}</ul><h2>refs</h2><ul>{refs}</ul>")
        return _page(lang, body, f"/kb/drugs/{d.id}")

    @router.get("/kb/mutations", response_class=HTMLResponse)
    def mutations(lang: str = "en") -> HTMLResponse:
        rows = "".join(f'<tr><td><a href="/kb/mutations/{m.id}?lang={lang}">{html.escape(m.id)}</a></td>'
                       f"<td>{m.kind.value}</td><td>{len(m.calls)}</td></tr>" for m in kb.mutations.values())
        return _page(lang, f"<h1>{_w(lang, 'mutations')}</h1><table><tr><th>ALK</th><th>kind</th><th>calls</th>"
                           f"</tr>{rows}</table>", "/kb/mutations")

    @router.get("/kb/mutations/{name:path}", response_class=HTMLResponse)
    def mutation(name: str, lang: str = "en") -> HTMLResponse:
        from alknav.kb.query import cite, find_mutation

        try:
            match = find_mutation(kb, name)
        except AlknavError as exc:
            return _error(lang, str(exc), 404)
        entries = [match.mutation] if match.mutation else match.components
        body = ""
        for m in entries:
            rows = "".join(
                f"<tr><td>{html.escape(kb.drugs[c.drug].inn)}</td><td>{t(lang, c.call.value)}</td>"
                f"<td>{c.evidence_type.value}</td><td>{c.level}</td><td>{c.ic50_nm or ''}</td>"
                f"<td>{html.escape('; '.join(cite(kb, r) for r in c.refs))}</td></tr>" for c in m.calls)
            body += (f"<h1>ALK {html.escape(m.id)}</h1><table><tr><th>drug</th><th>call</th><th>evidence</th>"
                     f"<th>level</th><th>IC50 nM</th><th>refs</th></tr>{rows}</table>")
        return _page(lang, body, f"/kb/mutations/{name}")

    return router


def _case_from_upload(data: bytes, filename: str, kind: str, sample: str | None, region: str, history: str,
                      kb: KnowledgeBase) -> Any:
    from alknav.inputs.case_reader import parse_case_data, parse_case_text

    if kind == "case":
        try:
            return parse_case_text(data.decode("utf-8-sig"), filename)
        except UnicodeDecodeError:
            from alknav.errors import CaseError

            raise CaseError("file", f"{filename}: not UTF-8 text") from None
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
        from alknav.errors import CaseError

        raise CaseError("file", f"{filename}: no sample with a readable alteration")
    item = cases[sample] if sample and sample in cases else next(iter(cases.values()))
    item.case["patient"]["region"] = region
    regimens = case_from_form({"history": history})["history"]
    item.case["history"] = regimens
    item.case["current"]["status"] = "progression" if regimens else "treatment_naive"
    return parse_case_data(item.case, filename)


def add_web(app: FastAPI, kb: KnowledgeBase, max_upload_bytes: int) -> None:
    app.include_router(build_router(kb, max_upload_bytes))
