"""Static files of the pages, served by tracebridge itself so the pages work with no internet.

``/static/plotly.min.js`` is the plotly.js bundled in the installed ``plotly`` Python package;
``tracebridge.css`` and ``tracebridge.js`` live next to this module. They hold no data, so they
need no read token (a browser fetching them sends no Authorization header of its own).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import plotly
from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

HERE = Path(__file__).resolve().parent / "static"
MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

router = APIRouter(tags=["static"], include_in_schema=False)


def asset_path(name: str) -> Path:
    """The file behind /static/NAME, or KeyError for anything not published."""
    if name == "plotly.min.js":
        return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if name in ("tracebridge.css", "tracebridge.js"):
        return HERE / name
    raise KeyError(name)


@cache
def asset_text(name: str) -> str:
    return asset_path(name).read_text(encoding="utf-8")


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    try:
        text = asset_text(name)
    except KeyError:
        raise HTTPException(404, f"no static file {name!r}") from None
    return Response(
        text, media_type=MEDIA[Path(name).suffix], headers={"Cache-Control": "public, max-age=3600"}
    )
