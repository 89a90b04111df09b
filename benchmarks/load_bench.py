"""Load test of the REST service: uvicorn on loopback, POST /api/v1/recommend with the demo case.

50 concurrent clients for 30 s by default. Uses Debian's `wrk` (with a Lua script that sets the
body and prints the figures) when it is installed, else an asyncio + httpx load generator.
Reports throughput, p50/p95/p99 latency and the error count (non-200 answers and transport
errors), which must be 0: the exit status is 1 otherwise. Not run by the test suite.

    .venv/bin/python benchmarks/load_bench.py [--clients 50] [--seconds 30] [--workers 1] [--tool auto|wrk|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "alknav" / "examples" / "demo_case.yaml"
PATH = "/api/v1/recommend"

_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open(os.getenv("ALKNAV_BENCH_BODY"), "rb"):read("*a")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, '
    .. '"errors_timeout": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(port: int, workers: int, data_dir: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ALKNAV_DATA_DIR": data_dir}
    env.pop("ALKNAV_DATABASE_URL", None)
    args = [sys.executable, "-m", "uvicorn", "--factory", "alknav.service.server:app_from_env", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen(args, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn exited with status {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("uvicorn did not answer within 60 s")


def _run_wrk(url: str, body: Path, clients: int, seconds: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA)
    try:
        threads = max(1, min(clients, os.cpu_count() or 1))
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s",
                              "-s", script.name, url], env={**os.environ, "ALKNAV_BENCH_BODY": str(body)},
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    raw = json.loads(line[len("RESULT "):])
    errors = sum(v for k, v in raw.items() if k.startswith("errors_"))
    return {"requests": raw["requests"], "seconds": raw["duration_us"] / 1e6, "p50_ms": raw["p50_us"] / 1000,
            "p95_ms": raw["p95_us"] / 1000, "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000,
            "errors": errors}


async def _httpx_load(url: str, body: bytes, clients: int, seconds: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        start = time.perf_counter()
        stop = start + seconds

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                sent = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - sent)
                errors += 0 if ok else 1

        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"requests": len(latencies), "seconds": elapsed, "p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000,
            "p99_ms": cuts[98] * 1000, "max_ms": max(latencies) * 1000, "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--tool", choices=("auto", "wrk", "httpx"), default="auto")
    args = parser.parse_args()
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "httpx")
    body = json.dumps(yaml.safe_load(DEMO.read_text(encoding="utf-8"))).encode()
    port = _free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    with tempfile.TemporaryDirectory(prefix="alknav-load-") as data_dir:
        server = _start_server(port, args.workers, data_dir)
        try:
            check = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=10)
            if check.status_code != 200:
                raise SystemExit(f"the demo case was refused: {check.status_code} {check.text[:200]}")
            asyncio.run(_httpx_load(url, body, min(args.clients, 8), 2))  # warm-up
            if tool == "wrk":
                body_file = Path(data_dir) / "body.json"
                body_file.write_bytes(body)
                figures = _run_wrk(url, body_file, args.clients, args.seconds)
            else:
                figures = asyncio.run(_httpx_load(url, body, args.clients, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    throughput = figures["requests"] / figures["seconds"]
    print(f"load: POST {PATH} (demo case, {len(body)} bytes), {args.clients} clients, {args.seconds} s, "
          f"uvicorn workers {args.workers}, generator {tool}, {os.cpu_count()} CPUs")
    print(f"  requests   {int(figures['requests'])}  ({throughput:.0f} req/s)")
    print(f"  latency    p50 {figures['p50_ms']:.1f} ms   p95 {figures['p95_ms']:.1f} ms   "
          f"p99 {figures['p99_ms']:.1f} ms   max {figures['max_ms']:.1f} ms")
    print(f"  errors     {int(figures['errors'])}")
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
