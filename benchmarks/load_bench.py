"""Row 6 of issue 11: load test of the REST service as users start it (`alknav serve --workers N`,
its request log on), POST /api/v1/recommend with the demo case, on loopback.

50 concurrent clients for 30 s by default, with each load generator given (wrk: Debian's `wrk` with
a Lua script that sets the body and prints the figures; hey: Debian's `hey`; httpx: an asyncio +
httpx generator written here, which costs far more CPU per request than the other two), for each
worker count given. The generator runs on the same machine and takes CPU from the server: the
table shows the generator's own CPU seconds, and as a baseline measured in the same run, the same
generator against a one-route FastAPI app that echoes the body (the most this machine can answer
through uvicorn + FastAPI with that generator beside it). Errors (non-200 answers and transport
errors) must be 0: the exit status is 1 otherwise. Not run by the test suite.

    .venv/bin/python benchmarks/load_bench.py [--clients 50] [--seconds 30] [--workers 1 2] [--tool wrk hey]
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
from _harness import tree

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "alknav" / "examples" / "demo_case.yaml"
PATH = "/api/v1/recommend"
SRC: Path | None = None  # --src: another alknav source tree

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


_MINIMAL = """
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/api/v1/recommend")
async def echo(request: Request) -> dict:
    return {"got": len(await request.body())}


@app.get("/api/v1/health")
async def health() -> dict:
    return {"status": "ok"}
"""


def _start(args: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(args, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{args} exited with status {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"{args} did not answer within 120 s")


def _start_alknav(port: int, workers: int, data_dir: str) -> subprocess.Popen[bytes]:
    """`alknav serve` as a user runs it (its request log goes to stderr, discarded here)."""
    env = {**os.environ, "ALKNAV_DATA_DIR": data_dir, "ALKNAV_CACHE_DIR": str(Path(data_dir) / "cache")}
    if SRC is not None:
        env["PYTHONPATH"] = str(SRC)
    env.pop("ALKNAV_DATABASE_URL", None)
    cli = ("import sys; sys.argv[0] = 'alknav'\n"
           "try:\n    from alknav.entry import main\nexcept ImportError:\n    from alknav.cli import main\nmain()")
    return _start([sys.executable, "-c", cli, "serve", "--port", str(port), "--workers", str(workers)], port, env)


def _start_minimal(port: int, workers: int, data_dir: str) -> subprocess.Popen[bytes]:
    (Path(data_dir) / "minimal_app.py").write_text(_MINIMAL)
    return _start([sys.executable, "-m", "uvicorn", "minimal_app:app", "--app-dir", data_dir, "--port", str(port),
                   "--workers", str(workers), "--log-level", "warning", "--no-access-log"], port, dict(os.environ))


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_hey(url: str, body: Path, clients: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(["hey", "-z", f"{seconds}s", "-c", str(clients), "-t", "10", "-m", "POST",
                          "-T", "application/json", "-D", str(body), url],
                         capture_output=True, text=True, check=True).stdout
    import re

    def grab(pattern: str) -> float:
        match = re.search(pattern, out)
        if match is None:
            raise SystemExit(f"hey printed no {pattern!r}:\n{out}")
        return float(match.group(1))

    ok = sum(int(n) for code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out) if code == "200")
    total = sum(int(n) for _code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out))
    errors = total - ok
    error_lines = re.search(r"Error distribution:\n((?:\s+\[\d+\].*\n?)+)", out)
    if error_lines:
        errors += sum(int(n) for n in re.findall(r"\[(\d+)\]", error_lines.group(1)))
    return {"requests": total, "seconds": grab(r"Total:\s+([\d.]+) secs"),
            "p50_ms": grab(r"50%+ in ([\d.]+) secs") * 1000, "p95_ms": grab(r"95%+ in ([\d.]+) secs") * 1000,
            "p99_ms": grab(r"99%+ in ([\d.]+) secs") * 1000, "max_ms": grab(r"Slowest:\s+([\d.]+) secs") * 1000,
            "errors": errors}


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


def _load(tool: str, url: str, body: bytes, body_file: Path, clients: int, seconds: int) -> dict[str, float]:
    """One load run; adds the generator's own CPU seconds (children's rusage, or this process's)."""
    cpu, own = _children_cpu(), time.process_time()
    if tool == "wrk":
        figures = _run_wrk(url, body_file, clients, seconds)
    elif tool == "hey":
        figures = _run_hey(url, body_file, clients, seconds)
    else:
        figures = asyncio.run(_httpx_load(url, body, clients, seconds))
    figures["generator_cpu_s"] = (_children_cpu() - cpu) + (time.process_time() - own)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="uvicorn worker processes")
    parser.add_argument("--tool", nargs="+", choices=("wrk", "hey", "httpx"), default=None,
                        help="load generators (default: wrk and hey when installed, else httpx)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-route FastAPI baseline")
    parser.add_argument("--src", type=Path, default=None, help="another alknav source tree (PYTHONPATH)")
    args = parser.parse_args()
    global SRC
    SRC = tree(args.src) if args.src is not None else None
    tools = args.tool or ([t for t in ("wrk", "hey") if shutil.which(t)] or ["httpx"])
    body = json.dumps(yaml.safe_load(DEMO.read_text(encoding="utf-8"))).encode()
    rows: list[tuple[str, int, str, dict[str, float]]] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="alknav-load-") as data_dir:
        body_file = Path(data_dir) / "body.json"
        body_file.write_bytes(body)
        servers = [("alknav serve", _start_alknav)] + ([] if args.no_baseline else
                                                       [("baseline: one-route FastAPI", _start_minimal)])
        for workers in args.workers:
            for name, start in servers:
                port = _free_port()
                url = f"http://127.0.0.1:{port}{PATH}"
                server = start(port, workers, data_dir)
                try:
                    check = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=30)
                    if check.status_code != 200:
                        raise SystemExit(f"the demo case was refused: {check.status_code} {check.text[:200]}")
                    asyncio.run(_httpx_load(url, body, min(args.clients, 8), 2))  # warm-up
                    for tool in tools:
                        figures = _load(tool, url, body, body_file, args.clients, args.seconds)
                        rows.append((name, workers, tool, figures))
                        failed |= figures["errors"] > 0
                finally:
                    server.terminate()
                    server.wait(timeout=30)
    one, five, _ = os.getloadavg()
    print(f"\nload: POST {PATH} (demo case, {len(body)} bytes), {args.clients} connections, {args.seconds} s each, "
          f"{os.cpu_count()} CPUs shared by server and generator [load average {one:.2f} / {five:.2f}]")
    print(f"  {'server':<28} {'workers':>7} {'tool':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'gen CPU s':>9} {'vs baseline':>11}")
    for name, workers, tool, f in rows:
        rate = f["requests"] / f["seconds"]
        base = next((b for n, w, t, b in rows if n.startswith("baseline") and w == workers and t == tool), None)
        ratio = f"{rate / (base['requests'] / base['seconds']):.2f}" if base and not name.startswith("baseline") else ""
        print(f"  {name:<28} {workers:>7} {tool:>5} {rate:>8.0f} {f['p50_ms']:>8.1f} {f['p95_ms']:>8.1f} "
              f"{f['p99_ms']:>8.1f} {int(f['errors']):>6} {f['generator_cpu_s']:>9.1f} {ratio:>11}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
