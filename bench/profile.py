"""Where a server's CPU goes under a workload: py-spy samples, summarised.

``bench/run.py --profile get list ...`` runs each named workload once more per server after the
measured rounds (not counted in the figures: sampling costs a little), with ``py-spy record
--subprocesses`` attached to the server's supervisor, and summarises the collapsed stacks:

- by *layer* (the package that owns the innermost Python frame): what the CPU time is spent
  in, e.g. ``sqlalchemy`` vs ``asyncmy`` vs ``fastapi``;
- by *function*, inclusive (the share of samples in which it is on the stack) and self.

    .venv/bin/python -m bench.profile FILE.txt   # summarise a saved raw profile
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")

# Layers by the first component of the file's module path (as py-spy prints it).
LAYERS = {
    "tasklane": "tasklane",
    "fastapi": "fastapi",
    "starlette": "starlette",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "sqlalchemy": "sqlalchemy",
    "asyncmy": "asyncmy",
    "limits": "limits (rate limiting)",
    "jwt": "pyjwt",
    "cryptography": "cryptography",
    "argon2": "argon2",
    "uvicorn": "uvicorn (proxy headers)",
    "granian": "granian",
    "anyio": "anyio (thread pool)",
    "asyncio": "asyncio",
    "threading.py": "threads and queues",
    "queue.py": "threads and queues",
    "concurrent": "threads and queues",
    "opentelemetry": "opentelemetry",
}
# Innermost frames that mean "waiting", not working: an idle pool thread or the event loop
# blocked in epoll. py-spy --nonblocking cannot always tell these from running threads.
WAITING = frozenset(
    {
        ("Condition.wait", "threading.py"),
        ("EpollSelector.select", "selectors.py"),
        ("_worker", "concurrent/futures/thread.py"),
        ("Event.wait", "threading.py"),
    }
)


# Costs worth naming whatever their rank: (label, function name as py-spy prints it).
FOCUS = (
    ("sync dependency run in the thread pool", "run_in_threadpool"),
    ("FastAPI dependency resolution", "solve_dependencies"),
    ("rate limiting", "RateLimiter.hit"),
    ("access-token check", "TokenService.verify_access_token"),
    ("session check", "session_is_valid"),
    ("pool checkout", "_ConnectionFairy._checkout"),
    ("pre-ping on checkout", "AsyncAdapt_asyncmy_connection._do_ping"),
    ("statement building (list)", "list_statement"),
    ("SQLAlchemy execute", "Connection._execute_context"),
    ("row to JSON dict", "task_from_row"),
    ("row to JSON dict (reads)", "task_document"),
    ("pydantic body validation", "_validate_value_with_model_field"),
    ("Argon2 verification", "PasswordHasher._verify"),
    ("JWT signing", "TokenService.issue_access_token"),
    ("commit", "Connection.commit"),
    ("floor: token check", "authenticate"),
    ("floor: Argon2 verification", "_verify_password"),
)


def layer(path: str) -> str:
    if "floor/app.py" in path:
        return "floor"
    top = path.split("/", 1)[0]
    if top in LAYERS:
        return LAYERS[top]
    return "stdlib and other"


def record(pid: int, seconds: int, output: Path) -> subprocess.Popen[bytes]:
    """Start py-spy on ``pid`` and its worker processes (returns at once)."""
    return subprocess.Popen(
        [
            str(BIN / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",
            "--rate",
            "200",
            "--duration",
            str(seconds),
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for raw in stack.split(";"):
        match = _FRAME.match(raw.strip())
        if match:
            out.append((match["function"], match["file"]))
        else:
            out.append((raw.strip(), ""))
    return out


def summarise(path: Path, top: int = 25) -> dict[str, Any]:
    """Shares (percent of all samples) by layer of the innermost Python frame, and the
    functions most often on the stack (inclusive) and at its top (self)."""
    total = idle = 0
    by_layer: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    focus: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in _frames(stack) if f[1]]  # Python frames only
        if not frames:
            continue
        function, file = frames[-1]
        if (function, _short(file)) in WAITING:
            idle += count
            continue
        total += count
        by_layer[layer(file)] += count
        own[f"{function} ({_short(file)})"] += count
        for name in {f"{fn} ({_short(fl)})" for fn, fl in frames if not _scaffolding(fn, fl)}:
            inclusive[name] += count
        functions = {fn for fn, _ in frames}
        for label, function in FOCUS:
            if function in functions:
                focus[label] += count
    if not total:
        return {"samples": 0}

    def share(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(name, round(100 * c / total, 1)) for name, c in counter.most_common(n)]

    return {
        "samples": total,
        "waiting_samples_left_out": idle,
        "by_layer_percent": share(by_layer, 20),
        "inclusive_percent": share(inclusive, top),
        "focus_percent": [
            (label, round(100 * focus[label] / total, 1)) for label, _ in FOCUS if focus[label]
        ],
        "self_percent": share(own, top),
    }


_SCAFFOLDING_FILES = ("multiprocessing/", "click/", "granian/server/", "granian/cli", "<string>")
_SCAFFOLDING = frozenset(
    {
        "BaseEventLoop.run_forever",
        "BaseEventLoop._run_once",
        "BaseEventLoop.run_until_complete",
        "Handle._run",
        "Thread._bootstrap",
        "Thread._bootstrap_inner",
        "Thread.run",
        "<module>",
    }
)


def _scaffolding(function: str, file: str) -> bool:
    """Frames under every sample (process and event-loop start-up): no information."""
    return function in _SCAFFOLDING or _short(file).startswith(_SCAFFOLDING_FILES)


def _short(file: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3.11/", "/bench/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def render(summary: dict[str, Any]) -> str:
    if not summary.get("samples"):
        return "  (no samples)\n"
    lines = [
        f"  {summary['samples']} samples "
        f"({summary.get('waiting_samples_left_out', 0)} of idle threads left out)"
    ]
    lines.append("  by layer (innermost Python frame):")
    lines += [f"    {pct:5.1f}%  {name}" for name, pct in summary["by_layer_percent"]]
    lines.append("  named costs (inclusive):")
    lines += [f"    {pct:5.1f}%  {name}" for name, pct in summary.get("focus_percent", [])]
    lines.append("  on the stack (inclusive):")
    lines += [f"    {pct:5.1f}%  {name}" for name, pct in summary["inclusive_percent"]]
    lines.append("  at the top of the stack (self):")
    lines += [f"    {pct:5.1f}%  {name}" for name, pct in summary["self_percent"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(argument)
        print(render(summarise(Path(argument))))
