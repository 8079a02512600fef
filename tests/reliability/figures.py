"""The figures of a reliability run, and the section of docs/reliability.md that shows them.

Tests call ``record(name, values)``; the values are merged into the JSON file named by
``TASKLANE_RELIABILITY_FIGURES`` (nothing is written without it). ``make reliability`` sets
it, runs the long forms on each database, then runs this module, which rewrites the section
between the two markers of docs/reliability.md:

    python -m tests.reliability.figures FIGURES.json docs/reliability.md
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

START = "<!-- figures:start -->"
END = "<!-- figures:end -->"


def record(name: str, values: dict[str, Any]) -> None:
    target = os.environ.get("TASKLANE_RELIABILITY_FIGURES")
    if not target:
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        text = handle.read()
        data: dict[str, Any] = json.loads(text) if text.strip() else {}
        data[name] = values
        handle.seek(0)
        handle.truncate()
        json.dump(data, handle, indent=2, sort_keys=True)


def section(data: dict[str, Any], when: str) -> str:
    lines = [
        START,
        f"Last `make reliability` run: {when}.",
        "",
        "| suite | database | figures |",
        "| --- | --- | --- |",
    ]
    for name in sorted(data):
        suite, _, database = name.rpartition("-")
        values = ", ".join(f"{key}: {value}" for key, value in sorted(data[name].items()))
        lines.append(f"| {suite} | {database} | {values} |")
    lines.append(END)
    return "\n".join(lines)


def update(figures_path: Path, doc_path: Path) -> None:
    data = json.loads(figures_path.read_text(encoding="utf-8"))
    doc = doc_path.read_text(encoding="utf-8")
    before, found, rest = doc.partition(START)
    if not found:
        raise SystemExit(f"{doc_path} has no {START} marker")
    _, found, after = rest.partition(END)
    if not found:
        raise SystemExit(f"{doc_path} has no {END} marker")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    doc_path.write_text(before + section(data, when) + after, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m tests.reliability.figures FIGURES.json DOC.md")
    update(Path(sys.argv[1]), Path(sys.argv[2]))
