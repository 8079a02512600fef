"""Login answers take the same time whether or not the account exists.

Runs the app in-process on a throw-away SQLite database and alternates, side by side, logins
with a wrong password for an existing account and logins for unknown accounts, so machine
noise hits both series alike. Prints the medians, their ratio, and writes
bench/results/login_timing.json.

    .venv/bin/python -m bench.login_timing [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tasklane.app import create_app
from tasklane.cli import migrate
from tasklane.settings import Settings

PASSWORD = "correct horse battery staple"


async def measure(rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            environment="test", database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", var_dir=tmp
        )
        await asyncio.to_thread(migrate, settings)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                email = "known@example.com"
                registered = await client.post(
                    "/api/v1/auth/register",
                    json={"email": email, "password": PASSWORD, "name": "Known"},
                )
                registered.raise_for_status()
                known: list[float] = []
                unknown: list[float] = []
                answers: set[tuple[int, str]] = set()
                for i in range(rounds):
                    pairs = [
                        (known, {"email": email, "password": "wrong password 1"}),
                        (unknown, {"email": f"nobody{i}@example.com", "password": "whatever 1"}),
                    ]
                    if i % 2:
                        pairs.reverse()
                    for series, body in pairs:
                        start = time.perf_counter()
                        response = await client.post("/api/v1/auth/login", json=body)
                        series.append(time.perf_counter() - start)
                        answers.add((response.status_code, response.text))
    known_ms = statistics.median(known) * 1000
    unknown_ms = statistics.median(unknown) * 1000
    return {
        "rounds": rounds,
        "wrong_password_median_ms": round(known_ms, 2),
        "unknown_account_median_ms": round(unknown_ms, 2),
        "ratio_unknown_to_wrong_password": round(unknown_ms / known_ms, 3),
        "distinct_answers": len(answers),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(measure(args.rounds))
    out = Path(__file__).parent / "results" / "login_timing.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:36} {value}")


if __name__ == "__main__":
    main()
