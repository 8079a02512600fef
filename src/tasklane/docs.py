"""The interactive API documentation (Swagger UI) at ``/api/docs``, from files the app serves.

FastAPI's own page loads Swagger UI from a CDN: without internet it is blank, and the
Content-Security-Policy had to allow that CDN. Here the script and style come from the
``fastapi-offline`` distribution (a pinned copy of ``swagger-ui-dist``) and are served under
``/api/docs/assets/``; the page starts Swagger UI from a script of its own (``init.js``)
rather than an inline one, so the docs' policy (``tasklane.core.http.DOCS_CSP``) allows
scripts from this origin only.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

#: The files of the distribution the page uses (the folder holds ReDoc's script too).
SWAGGER_UI_DIR = Path(str(files("fastapi_offline") / "static"))
ASSET_NAMES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - Swagger UI</title>
<link rel="icon" type="image/png" href="{prefix}/assets/favicon.png">
<link rel="stylesheet" href="{prefix}/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{prefix}/assets/swagger-ui-bundle.js"></script>
<script src="{prefix}/init.js"></script>
</body>
</html>
"""

_INIT = """"use strict";
window.ui = SwaggerUIBundle({{
  url: {openapi_url},
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}});
"""


class _Assets(StaticFiles):
    """Swagger UI's files: only the ones the page uses, cached by browsers for a day (they
    change with the pinned distribution, on a new release of the app)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path not in ASSET_NAMES:
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def install_docs(app: FastAPI, *, prefix: str, openapi_url: str) -> None:
    """``GET {prefix}`` (the page), ``{prefix}/init.js`` and ``{prefix}/assets/*``."""
    page = _PAGE.format(title=app.title, prefix=prefix)
    init = _INIT.format(openapi_url=json.dumps(openapi_url))

    @app.get(prefix, include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{prefix}/init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(init, media_type="text/javascript; charset=utf-8")

    app.mount(f"{prefix}/assets", _Assets(directory=SWAGGER_UI_DIR), name="docs-assets")
