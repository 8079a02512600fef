"""Which ASGI server runs Tasklane fastest with several worker processes?

Serves the real app on a throw-away SQLite database (one user, 50 tasks) with each candidate
server, 2 workers each, on 127.0.0.1, and drives it with wrk (1 thread, 32 connections):
``GET /livez`` (the server's own overhead) and an authenticated ``GET /api/v1/tasks?limit=20``
(a real read: token check, query, serialization). All candidates run side by side and take
turns, a few seconds each, round after round in a rotating order, so a burst of load from
elsewhere on the machine hits them alike; each round gives a ratio of its own, and the result
is the median of those ratios (and of the requests/s). Writes bench/results/servers.json.

The optional candidates need packages the project does not install; put them aside from the
virtualenv and pass that folder:

    .venv/bin/pip install --target var/bench-extra gunicorn==27.0.1 uvicorn-worker==0.4.0 \
        uvloop==0.23.0 httptools==0.9.0
    .venv/bin/python -m bench.servers --extra-path var/bench-extra [--rounds 10 --seconds 3]
"""

# The password is the throw-away account's.
# ruff: noqa: S105

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

from scripts.private_mariadb import free_port
from tasklane.app import create_app
from tasklane.cli import migrate
from tasklane.settings import Settings

PASSWORD = "correct horse battery staple"
WORKERS = 2
PY = sys.executable

# name -> command (``{port}`` is filled in). Each serves tasklane.app:create_app with 2 workers.
CANDIDATES: dict[str, list[str]] = {
    "uvicorn": [
        PY, "-m", "uvicorn", "tasklane.app:create_app", "--factory", "--host", "127.0.0.1",
        "--port", "{port}", "--workers", str(WORKERS), "--loop", "asyncio", "--http", "h11",
        "--no-access-log", "--log-level", "warning",
    ],
    "uvicorn+uvloop+httptools": [
        PY, "-m", "uvicorn", "tasklane.app:create_app", "--factory", "--host", "127.0.0.1",
        "--port", "{port}", "--workers", str(WORKERS), "--loop", "uvloop", "--http",
        "httptools", "--no-access-log", "--log-level", "warning",
    ],
    "gunicorn+uvicorn-worker": [
        PY, "-m", "gunicorn", "tasklane.app:create_app()", "--worker-class",
        "uvicorn_worker.UvicornWorker", "--workers", str(WORKERS), "--bind",
        "127.0.0.1:{port}", "--log-level", "warning",
    ],
    "granian": [
        PY, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
        "--port", "{port}", "--workers", str(WORKERS), "--loop", "asyncio", "--http", "1",
        "--no-ws", "--log-level", "warning", "tasklane.app:create_app",
    ],
    "granian+uvloop": [
        PY, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
        "--port", "{port}", "--workers", str(WORKERS), "--loop", "uvloop", "--http", "1",
        "--no-ws", "--log-level", "warning", "tasklane.app:create_app",
    ],
}  # fmt: skip
NEEDS = {
    "uvicorn+uvloop+httptools": ("uvloop", "httptools"),
    "gunicorn+uvicorn-worker": ("gunicorn", "uvicorn_worker", "uvloop", "httptools"),
    "granian": ("granian",),
    "granian+uvloop": ("granian", "uvloop"),
}


def available(name: str, env: dict[str, str]) -> bool:
    modules = NEEDS.get(name, ())
    if not modules:
        return True
    code = "import " + ", ".join(modules)
    done = subprocess.run([PY, "-c", code], env=env, capture_output=True, check=False)
    return done.returncode == 0


async def prepare(tmp: str) -> str:
    """Migrate, create one user with 50 tasks; return an access token."""
    settings = Settings(
        environment="test",
        rate_limit_enabled=False,
        database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
        var_dir=tmp,
        access_token_ttl_seconds=3600,
    )
    await asyncio.to_thread(migrate, settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            body = {"email": "bench@example.com", "password": PASSWORD, "name": "Bench"}
            (await client.post("/api/v1/auth/register", json=body)).raise_for_status()
            credentials = {"email": body["email"], "password": PASSWORD}
            login = await client.post("/api/v1/auth/login", json=credentials)
            login.raise_for_status()
            token: str = login.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for i in range(50):
                created = await client.post(
                    "/api/v1/tasks",
                    json={"title": f"Task {i}", "description": "x" * 80},
                    headers=headers,
                )
                created.raise_for_status()
    return token


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = 0.0
    if p99:
        p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {
        "rps": rps,
        "non_2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": float(sum(int(g) for g in errors.groups())) if errors else 0.0,
        "p99_ms": p99_ms,
    }


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--extra-path", default="", help="folder with the optional servers")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    with tempfile.TemporaryDirectory() as tmp:
        token = asyncio.run(prepare(tmp))
        env = {
            **os.environ,
            "TASKLANE_ENVIRONMENT": "test",
            "TASKLANE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
            "TASKLANE_VAR_DIR": tmp,
            "TASKLANE_ACCESS_TOKEN_TTL_SECONDS": "3600",
            # The servers are measured, not the per-user budget (it would answer 429s).
            "TASKLANE_RATE_LIMIT_ENABLED": "false",
        }
        if args.extra_path:
            extra = str(Path(args.extra_path).resolve())
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra, env.get("PYTHONPATH")]))
        names = [name for name in CANDIDATES if available(name, env)]
        print("candidates:", ", ".join(names), flush=True)
        workloads = {
            "livez": ("/livez", {}),
            "tasks": ("/api/v1/tasks?limit=20", {"Authorization": f"Bearer {token}"}),
        }
        samples: dict[str, dict[str, list[dict[str, float]]]] = {
            name: {w: [] for w in workloads} for name in names
        }
        # All candidates run side by side (idle ones cost nothing) and take turns, a few
        # seconds each, round after round in a rotating order: a burst of load from elsewhere
        # on the machine hits them all alike, and each round gives a ratio of its own.
        ports = {name: free_port() for name in names}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name in names:
                command = [part.replace("{port}", str(ports[name])) for part in CANDIDATES[name]]
                procs[name] = subprocess.Popen(command, env=env, start_new_session=True)
            for name in names:
                wait_ready(ports[name], procs[name])
                for path, headers in workloads.values():
                    wrk(f"http://127.0.0.1:{ports[name]}{path}", 1, args.connections, headers)
            for round_no in range(args.rounds):
                order = names[round_no % len(names) :] + names[: round_no % len(names)]
                for workload, (path, headers) in workloads.items():
                    for name in order:
                        url = f"http://127.0.0.1:{ports[name]}{path}"
                        result = wrk(url, args.seconds, args.connections, headers)
                        samples[name][workload].append(result)
                        print(f"round {round_no + 1} {name:26} {workload:6} {result}", flush=True)
        finally:
            for proc in procs.values():
                stop(proc)

    base = "uvicorn"
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for name in names:
        summary[name] = {}
        for workload in workloads:
            runs = samples[name][workload]
            ratios = [
                run["rps"] / base_run["rps"]
                for run, base_run in zip(runs, samples[base][workload], strict=True)
            ]
            summary[name][workload] = {
                "median_rps": round(statistics.median(r["rps"] for r in runs), 1),
                "median_ratio_to_uvicorn": round(statistics.median(ratios), 2),
                "median_p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
                "failed": sum(r["non_2xx"] + r["socket_errors"] for r in runs),
            }
    # Head to head with granian, round by round (the same round's runs are a few seconds apart).
    if "granian" in names:
        for name in names:
            for workload in workloads:
                pairs = zip(samples[name][workload], samples["granian"][workload], strict=True)
                ratios = [run["rps"] / other["rps"] for run, other in pairs]
                summary[name][workload]["median_ratio_to_granian"] = round(
                    statistics.median(ratios), 2
                )
    result = {
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "workers": WORKERS,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "connections": args.connections,
        "summary": summary,
    }
    out = Path(__file__).parent / "results" / "servers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
