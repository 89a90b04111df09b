"""Denial of service: alias bombs and over-long strings refused quickly and before objects are
built, CPU work off the event loop, body limits enforced while streaming, slow clients timed out."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alknav.errors import CaseError
from alknav.inputs.case_reader import MAX_NODES, parse_case_text
from tests.security.conftest import demo_case

BASE = ("case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\n"
        "history: [{regimen: [alectinib], stopped_for: progression}]\n")


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """~1 KB of YAML whose aliases expand to width**levels values (9**9 = 387 million)."""
    lines = ['x0: &a0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol, i: lol}']
    for i in range(1, levels):
        lines.append(f"x{i}: &a{i} {{" + ",".join(f"k{j}: *a{i - 1}" for j in range(width)) + "}")
    last = f"*a{levels - 1}"
    return BASE + "\n".join(lines) + f"\ncurrent: {{alterations: [{{gene: ALK, mutations: [G1202R], x: {last}}}]}}\n"


def test_alias_bomb_refused_in_process_quickly() -> None:
    text = alias_bomb()
    assert len(text) < 1200
    start = time.perf_counter()
    with pytest.raises(CaseError) as info:
        parse_case_text(text, "bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert "alias" in str(info.value) and info.value.field == "file"


def test_aliases_within_the_bound_still_read() -> None:
    case = parse_case_text(BASE + "a: &drug [hyperlipidemia]\ncomorbidities: *drug\n")
    assert case.comorbidities == ["hyperlipidemia"]
    assert MAX_NODES >= 10_000


def test_self_referencing_alias_refused() -> None:
    with pytest.raises(CaseError, match="contains it"):
        parse_case_text(BASE + "loop: &l [*l]\n")


def test_alias_bomb_on_the_cli_exits_2_quickly(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from alknav.cli import main; main()", "recommend", str(bomb)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "alias" in done.stderr and "Traceback" not in done.stderr
    assert time.perf_counter() - start < 30  # interpreter start-up included; before: never returned


def _csrf(client: TestClient) -> str:
    import re

    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert match
    return match.group(1)


def test_alias_bomb_on_web_upload_refused(client: TestClient) -> None:
    start = time.perf_counter()
    response = client.post("/web/upload", data={"csrf": _csrf(client), "kind": "case"},
                           files={"file": ("bomb.yaml", alias_bomb().encode())})
    assert response.status_code == 400 and "alias" in response.text
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("where", ["alterations", "comorbidities", "notes", "id", "fusion", "regimen"])
def test_long_strings_refused_before_parsing(client: TestClient, where: str) -> None:
    long = "ALK p." + "G1202R" * 150_000  # 900,006 characters
    case = demo_case()
    if where == "alterations":
        case["current"]["alterations"] = [long]
    elif where == "fusion":
        case["diagnosis"]["alk"]["fusion"] = long
    elif where == "regimen":
        case["history"][0]["regimen"] = [long]
    else:
        case[where] = [long] if where == "comorbidities" else long
    start = time.perf_counter()
    response = client.post("/api/v1/recommend", json=case)
    assert response.status_code == 413 or response.status_code == 422, response.text
    assert time.perf_counter() - start < 3  # before: 23 s and 940 MB for one alteration
    if response.status_code == 422:
        assert "characters" in response.json()["error"]["message"]


def test_long_alteration_in_any_reader_is_bounded(kb: Any) -> None:
    from alknav.inputs.alterations import MAX_ALTERATION, parse_alteration

    start = time.perf_counter()
    alt = parse_alteration("ALK p." + "G1202R" * 150_000, kb)
    assert time.perf_counter() - start < 0.5
    assert not alt.recognized and str(MAX_ALTERATION) in (alt.reason or "")


def test_long_maf_cell_is_bounded(tmp_path: Path, kb: Any) -> None:
    from alknav.inputs.genomic.maf import annotate_maf

    maf = tmp_path / "long.maf"
    maf.write_text("Hugo_Symbol\tHGVSp_Short\tTumor_Sample_Barcode\n"
                   f"ALK\tp.{'G1202R' * 150_000}\tS1\nALK\tp.G1202R\tS1\n")
    out = tmp_path / "out.tsv"
    start = time.perf_counter()
    annotate_maf(maf, out, kb)
    assert time.perf_counter() - start < 5  # before: 25 s and 1.1 GB
    rows = out.read_text().splitlines()
    assert len(rows) == 3 and "not read" in rows[1] and "G1202R" in rows[2].split("\t", 3)[-1]


# ------------------------------------------------------------------ bodies: limits while streaming, stalls


def _asgi_post(app: Any, path: str, chunk: bytes, chunks: int, headers: list[tuple[bytes, bytes]],
               delay: float = 0.0, first: bytes = b"") -> tuple[int, int]:
    """POST a chunked body (no content-length) straight into the ASGI app; (status, chunks pulled)."""
    pulled = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if delay:
            await asyncio.sleep(delay)
        pulled += 1
        return {"type": "http.request", "body": (first if pulled == 1 else b"") + chunk, "more_body": pulled < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"test"), (b"transfer-encoding", b"chunked"), *headers],
             "client": ("127.0.0.1", 1), "server": ("test", 80)}
    asyncio.run(app(scope, receive, send))
    return status, pulled


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from alknav.service import Settings, create_app

    return create_app(Settings(data_dir=tmp_path_factory.mktemp("small"), max_request_bytes=100_000))


@pytest.mark.parametrize("path, content_type", [
    ("/api/v1/recommend", b"application/json"),
    ("/web/upload", b"multipart/form-data; boundary=xyz"),
    ("/web/recommend", b"application/x-www-form-urlencoded"),
])
def test_chunked_body_refused_while_streaming(small_app: Any, path: str, content_type: bytes) -> None:
    # 200 MB offered in 64 KB chunks; the app must stop pulling just past its 100 KB limit
    first = (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="f.vcf"\r\n'
             b"Content-Type: text/plain\r\n\r\n") if b"multipart" in content_type else b""
    status, pulled = _asgi_post(small_app, path, b"a" * 65_536, 3_200, [(b"content-type", content_type)],
                                first=first)
    assert status == 413
    assert pulled <= 3, pulled


def test_stalled_body_times_out(small_app: Any) -> None:
    from alknav.service.app import Guard

    guard = small_app.middleware_stack
    while not isinstance(guard, Guard):  # the Guard inside Starlette's middleware stack
        guard = guard.app
    before, guard.body_timeout = guard.body_timeout, 0.2
    try:
        status, _ = _asgi_post(small_app, "/api/v1/recommend", b"{", 2, [(b"content-type", b"application/json")],
                               delay=1.0)
    finally:
        guard.body_timeout = before
    assert status == 408


# ------------------------------------------------------------------ a real server: event loop, slow clients


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Any]]:
    import uvicorn

    from alknav.service import Settings, create_app
    from alknav.service.server import HeaderTimeoutProtocol, uvicorn_options

    class Quick(HeaderTimeoutProtocol):
        header_timeout = 1.0

    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("srv")))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    options = {**uvicorn_options(), "http": Quick, "log_config": None, "log_level": "warning"}
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield "127.0.0.1", port, app
    srv.should_exit = True
    thread.join(timeout=10)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except (TimeoutError, ConnectionResetError):
        return False


def test_partial_headers_are_timed_out(server: tuple[str, int, Any]) -> None:
    host, port, _ = server
    silent, trickle = socket.create_connection((host, port)), socket.create_connection((host, port))
    try:
        trickle.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")  # never the blank line
        assert _closed_within(silent, 4) and _closed_within(trickle, 4)
    finally:
        silent.close()
        trickle.close()


def test_complete_requests_and_keep_alive_still_work(server: tuple[str, int, Any]) -> None:
    host, port, _ = server
    with socket.create_connection((host, port)) as sock:
        for _ in range(2):
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.settimeout(5)
            data = b""
            while b'"ok"' not in data:
                data += sock.recv(4096)
            assert data.startswith(b"HTTP/1.1 200")
            time.sleep(1.5)  # longer than the head deadline, shorter than keep-alive: still open


def test_oversized_head_refused(server: tuple[str, int, Any]) -> None:
    host, port, _ = server
    with socket.create_connection((host, port)) as sock:
        # a head still incomplete after 40 KB (h11 buffers at most MAX_HEAD_BYTES of it)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000)
        sock.settimeout(5)
        assert sock.recv(64).startswith(b"HTTP/1.1 400")


def test_recommend_runs_off_the_event_loop(server: tuple[str, int, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A request whose engine run blocks for 2 s must not delay /health: the engine runs in a
    worker thread. (Blocking is simulated so the test does not depend on machine speed.)"""
    import httpx

    from alknav.service import api

    real = api.recommend

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(2)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "recommend", slow)
    host, port, _ = server
    base = f"http://{host}:{port}"
    answers: list[int] = []
    workers = [threading.Thread(target=lambda: answers.append(
        httpx.post(f"{base}/api/v1/recommend", json=demo_case(), timeout=30).status_code)) for _ in range(2)]
    for w in workers:
        w.start()
    time.sleep(0.3)
    start = time.perf_counter()
    health = httpx.get(f"{base}/api/v1/health", timeout=10)
    waited = time.perf_counter() - start
    for w in workers:
        w.join()
    assert health.status_code == 200 and waited < 1.0, waited
    assert answers == [200, 200]
