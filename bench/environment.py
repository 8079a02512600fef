"""What a run ran on: the machine, the packages and programs, the commit."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.config import ROOT


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in (
        "fastapi", "starlette", "pydantic", "sqlalchemy", "asyncmy", "granian", "orjson",
        "argon2-cffi", "pyjwt", "cryptography",
    ):  # fmt: skip
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[package] = metadata.version(package)
    for name, command in (
        ("mariadb", ["mariadbd", "--version"]),
        ("wrk", ["wrk", "--version"]),
    ):
        binary = shutil.which(command[0]) or shutil.which(command[0], path="/usr/sbin")
        if binary:
            done = subprocess.run(
                [binary, *command[1:]], capture_output=True, text=True, check=False
            )
            text = (done.stdout + done.stderr).strip().splitlines()
            out[name] = text[0] if text else "?"
    return out


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError, ValueError):
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        memory = int(first.split()[1]) // 1024 // 1024
    return {"cpus": os.cpu_count(), "cpu": model, "memory_gib": memory, "load": os.getloadavg()}


def commit() -> str:
    """The checkout's commit (short), as run."""
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
