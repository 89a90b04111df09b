"""Web hardening: no reflected markup, security headers on every response, CSRF on every form."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from alknav.service.security import CSRF_COOKIE

PAYLOADS = ['"><script>alert(1)</script>', "'><img src=x onerror=alert(1)>", "javascript:alert(1)",
            "</title><svg onload=alert(1)>"]
PAGES = ["/", "/kb/drugs", "/kb/mutations", "/kb/drugs/lorlatinib", "/kb/mutations/G1202R",
         "/kb/drugs/nosuchdrug", "/kb/mutations/Q9999Z"]
_TAG = re.compile(r"<(script|img)\b|<svg onload", re.I)  # the report itself holds <svg> figures


def _token(client: TestClient) -> str:
    page = client.get("/?lang=en")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match and page.cookies.get(CSRF_COOKIE) == match.group(1)
    return match.group(1)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("page", PAGES)
def test_lang_is_never_reflected(client: TestClient, page: str, payload: str) -> None:
    body = client.get(page, params={"lang": payload}).text
    assert payload not in body
    assert not _TAG.search(body)
    assert 'lang="en"' in body  # an unknown language falls back to English


@pytest.mark.parametrize("payload", PAYLOADS)
def test_names_in_the_path_are_escaped(client: TestClient, payload: str) -> None:
    for base in ("/kb/drugs/", "/kb/mutations/"):
        body = client.get(base + payload).text
        assert not _TAG.search(body), body


@pytest.mark.parametrize("payload", PAYLOADS)
def test_form_fields_are_escaped_in_the_report_and_errors(client: TestClient, payload: str) -> None:
    token = _token(client)
    for field in ("fusion", "variant", "h0_regimen", "h1_months", "alterations", "compound", "comorbidities",
                  "comorbidities_other", "medications", "notes", "region", "status", "age", "brain"):
        form = {"csrf": token, "fusion": "EML4-ALK", "h0_regimen": "alectinib", field: payload}
        response = client.post("/web/recommend?lang=en", data=form)
        assert response.status_code in (200, 400), (field, response.status_code)
        assert not _TAG.search(response.text), (field, response.text[:300])


def test_upload_file_name_and_fields_are_escaped(client: TestClient) -> None:
    token = _token(client)
    for payload in PAYLOADS:
        response = client.post("/web/upload?lang=en", data={"csrf": token, "kind": "case", "sample": payload},
                               files={"file": (payload + ".yaml", b"case_format: 1\nid: [\n")})
        assert response.status_code == 400
        assert not _TAG.search(response.text)


@pytest.mark.parametrize("path", ["/", "/kb/drugs", "/docs", "/openapi.json", "/health", "/api/v1/kb/version",
                                  "/nonexistent", "/static/web.css"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp.split("style-src-attr")[0]  # inline <style>/<script> never wholesale
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    expected = "public, max-age=3600" if path.startswith("/static/") else "no-store"
    assert headers["cache-control"] == expected


def test_no_inline_script_or_style_on_pages(client: TestClient) -> None:
    for path in ("/", "/kb/drugs", "/kb/mutations/G1202R", "/docs"):
        body = client.get(path).text
        assert "<script" not in body and "<style" not in body and " on" + "load=" not in body
        assert 'href="/static/' in body


def test_report_and_api_results_are_not_stored(client: TestClient) -> None:
    from tests.security.conftest import demo_case

    token = _token(client)
    web = client.post("/web/recommend", data={"csrf": token, "fusion": "EML4-ALK", "h0_regimen": "alectinib"})
    assert web.status_code == 200 and web.headers["cache-control"] == "no-store"
    # the report's own inline styles are admitted by hash, never by 'unsafe-inline'
    csp = web.headers["content-security-policy"]
    assert "'sha256-" in csp and "style-src 'self' 'sha256-" in csp
    api = client.post("/api/v1/recommend", json=demo_case())
    assert api.status_code == 200 and api.headers["cache-control"] == "no-store"


def test_413_and_errors_carry_headers(client: TestClient) -> None:
    response = client.post("/api/v1/recommend", content=b"x" * 2_000_000, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["x-frame-options"] == "DENY"


class TestCsrf:
    def test_form_without_token_refused(self, client: TestClient) -> None:
        client.cookies.clear()
        response = client.post("/web/recommend", data={"fusion": "EML4-ALK"})
        assert response.status_code == 403 and "another site" in response.text

    def test_token_without_cookie_refused(self, client: TestClient) -> None:
        token = _token(client)
        client.cookies.clear()
        assert client.post("/web/recommend", data={"csrf": token, "fusion": "EML4-ALK"}).status_code == 403

    def test_mismatched_pair_refused(self, client: TestClient) -> None:
        _token(client)
        other = _token(TestClient(client.app))
        response = client.post("/web/recommend", data={"csrf": other, "fusion": "EML4-ALK"})
        assert response.status_code == 403

    def test_forged_unsigned_pair_refused(self, client: TestClient) -> None:
        # an attacker who can plant a cookie still cannot sign it
        client.cookies.set(CSRF_COOKIE, "abc.def")
        assert client.post("/web/recommend", data={"csrf": "abc.def", "fusion": "EML4-ALK"}).status_code == 403
        client.cookies.clear()

    def test_upload_without_token_refused(self, client: TestClient) -> None:
        client.cookies.clear()
        response = client.post("/web/upload", data={"kind": "case"}, files={"file": ("c.yaml", b"case_format: 1\n")})
        assert response.status_code == 403

    def test_cookie_is_strict_and_http_only(self, client: TestClient) -> None:
        cookie = client.get("/").headers["set-cookie"].lower()
        assert "samesite=strict" in cookie and "httponly" in cookie

    def test_valid_pair_accepted(self, client: TestClient) -> None:
        token = _token(client)
        response = client.post("/web/recommend", data={"csrf": token, "fusion": "EML4-ALK", "h0_regimen": "alectinib"})
        assert response.status_code == 200 and "orlatinib" in response.text

    def test_secret_shared_by_workers(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        import os
        import stat

        from alknav.service.security import web_secret

        first, second = web_secret(tmp_path), web_secret(tmp_path)
        assert first == second and len(first) == 32
        assert stat.S_IMODE(os.stat(tmp_path / "web-secret.key").st_mode) == 0o600
        assert web_secret(tmp_path, "x" * 20) == b"x" * 20
