"""/docs: the API's Swagger UI, served from this server only, under the member site's
Content-Security-Policy; not mounted in production.

FastAPI's own /docs and /redoc load their scripts from a CDN and start them with an inline
script: a third party's code on the member's origin, and a page no strict CSP allows. Here
the Swagger UI bundle and stylesheet come from the `fastapi-offline` package (its
`static/` folder, which tracks Swagger UI 5 releases; the package's own pages are not
used, they inline their start-up script), the start-up is a file of ours, and the page
carries the same CSP as every member page. ReDoc is not offered: it injects its styles and
starts a worker from a blob, which that CSP forbids.

Production has no /docs at all (404): the member's origin runs only the site's own
scripts, and integrators read `/openapi.json` (still served) with tools of their own.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from web.security import secure_headers

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
INIT = Path(__file__).resolve().parent / "docs_assets" / "swagger-init.js"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/docs/assets/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""


def mount(app: FastAPI) -> None:
    """Add /docs (the page), /docs/init.js and /docs/assets/ (the package's files)."""
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")
    page = PAGE.format(title=app.title, openapi_url=app.openapi_url)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        response = HTMLResponse(page)
        secure_headers(response)
        return response

    @app.get("/docs/init.js", include_in_schema=False)
    def init() -> FileResponse:
        return FileResponse(INIT, media_type="text/javascript")
