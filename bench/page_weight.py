"""The web app's first load: what a browser transfers for /login."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from bench.config import ROOT


def login_page_weight(base_url: str, dist: Path = ROOT / "web" / "dist") -> dict[str, Any]:
    """Bytes a browser transfers for a first visit to /login, as Tasklane serves the built app
    (brotli twins when accepted): the page, the favicon, the entry chunk and its CSS, and the
    login route's lazy chunk with everything it imports (from Vite's manifest). API calls the
    page makes are not counted. Without a build (web/dist), nothing is measured."""
    manifest_path = dist / ".vite" / "manifest.json"
    if not manifest_path.exists():
        return {"measured": False, "why": "no web/dist build"}
    manifest = json.loads(manifest_path.read_text())
    route = next((k for k in manifest if k.endswith("LoginPage.tsx")), None)
    if route is None:
        return {"measured": False, "why": "no LoginPage chunk in the manifest"}
    files: list[str] = []
    todo = ["index.html", route]
    while todo:
        key = todo.pop()
        chunk = manifest.get(key, {})
        for name in (chunk.get("file"), *chunk.get("css", [])):
            if name and name not in files:
                files.append(name)
        todo += [
            i for i in chunk.get("imports", []) if manifest.get(i, {}).get("file") not in files
        ]
    paths = ["/login", "/favicon.svg", *(f"/{f}" for f in files)]
    sizes: dict[str, int] = {}
    headers = {"Accept-Encoding": "br, gzip", "Accept": "*/*"}
    with httpx.Client(base_url=base_url, timeout=30, headers=headers) as client:
        for path in paths:
            answer = client.get(path)
            answer.raise_for_status()
            head = sum(len(k) + len(v) + 4 for k, v in answer.headers.raw) + 17
            sizes[path] = answer.num_bytes_downloaded + head
    return {
        "measured": True,
        "bytes": sum(sizes.values()),
        "kib": round(sum(sizes.values()) / 1024, 1),
        "resources": sizes,
    }
