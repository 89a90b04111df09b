"""Row 5 of issue 11: `alknav serve` from launch until it answers POST /api/v1/recommend (the demo
case), against the least a FastAPI service can take: uvicorn serving a one-route FastAPI app that
echoes a JSON body, launched and polled the same way, interleaved in one run. Aim: under 3 s.

"alknav serve" is a restart (the SQLite store exists); "new store" creates and migrates one each run.

    .venv/bin/python benchmarks/serve_bench.py [--runs 5] [--workers N] [--src DIR]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml
from _harness import DEMO, alknav, compile_tree, env, interleaved, median, python, table

_MINIMAL = """
import sys, uvicorn
from fastapi import FastAPI, Request
app = FastAPI()
@app.post("/api/v1/recommend")
async def echo(request: Request) -> dict:
    return {"got": len(await request.body())}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def until_answer(cmd: list[str], port: int, environ: dict[str, str], body: bytes) -> float:
    """Seconds from launch until POST /api/v1/recommend answers 200; the server is then stopped."""
    start = time.perf_counter()
    server = subprocess.Popen(cmd, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"{cmd[3:]} exited with {server.returncode}")
            if time.perf_counter() - start > 120:
                raise SystemExit(f"{cmd[3:]} did not answer in 120 s")
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/recommend", data=body,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.02)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=None, help="passed to alknav serve (default: its own)")
    parser.add_argument("--src", type=Path, default=None, help="another alknav source tree (PYTHONPATH)")
    parser.add_argument("--before", type=Path, default=None,
                        help="also run this source tree (e.g. an unchanged checkout), interleaved, as a 'before' row")
    args = parser.parse_args()
    compile_tree(args.src)
    if args.before is not None:
        compile_tree(args.before)
    body = json.dumps(yaml.safe_load(DEMO.read_text(encoding="utf-8"))).encode()
    with tempfile.TemporaryDirectory(prefix="alknav-bench-") as tmp:
        environ = env(args.src, Path(tmp) / "cache")
        runs = [0]

        def alknav_serve(environ: dict[str, str] = environ, store: str = "data") -> float:
            """A restart: the store exists after the first run (the first one creates and migrates it)."""
            port = _port()
            cmd = alknav("serve", "--port", str(port), *(["--workers", str(args.workers)] if args.workers else []))
            return until_answer(cmd, port, {**environ, "ALKNAV_DATA_DIR": str(Path(tmp) / store)}, body)

        def new_store() -> float:
            runs[0] += 1
            return alknav_serve(store=f"new{runs[0]}")

        def minimal() -> float:
            port = _port()
            return until_answer([*python(_MINIMAL), str(port)], port, environ, body)

        alknav_serve()  # fills the knowledge cache and creates the store, as any earlier run would have
        jobs = {"baseline: uvicorn + one-route FastAPI": minimal, "alknav serve": alknav_serve,
                "alknav serve, new store (migrates)": new_store}
        if args.before is not None:
            before_env = env(args.before, Path(tmp) / "before-cache")
            alknav_serve(before_env, "before-data")
            jobs["before: alknav serve"] = lambda: alknav_serve(before_env, "before-data")
        times = interleaved(jobs, args.runs)
    rows = [(name, median(t), f"min {min(t):.2f}") for name, t in times.items()]
    table(f"launch until POST /api/v1/recommend answers, {args.runs} interleaved runs"
          f"{' (src ' + str(args.src) + ')' if args.src else ''}", rows, rows[0][0])
    print(f"  aim: alknav serve < 3 s; measured {rows[1][1]:.2f} s")


if __name__ == "__main__":
    main()
