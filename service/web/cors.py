"""Cross-origin access: any configured origin may read (GETs and POSTed queries); writes stay same-origin.

flask-cors answers preflights and adds the headers. Writes are kept out two ways: preflights never
allow PUT, DELETE or PATCH nor the Authorization header that carries the write key, and a write's
response is stripped of the CORS headers, so a browser script on another origin cannot read it.
"""
from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

READ_METHODS = ["GET", "HEAD", "POST", "OPTIONS"]
WRITE_METHODS = {"PUT", "DELETE", "PATCH"}
QUERY_ENDPOINT = "/sparql"
UPDATE_TYPE = "application/sparql-update"


def init_app(app: Flask) -> None:
    origins = app.config.get("CORS_ORIGINS", "*")
    if isinstance(origins, str):
        origins = [origin.strip() for origin in origins.split(",") if origin.strip()]
    if not origins:
        return
    if origins == ["*"]:
        origins = "*"  # flask-cors answers a list by echoing the origin; "*" itself is the plainer answer
    app.after_request(_withhold_from_writes)  # registered before flask-cors's hook, so it runs after it
    CORS(app, origins=origins, methods=READ_METHODS, allow_headers=["Accept", "Content-Type"],
         supports_credentials=False, send_wildcard=True, max_age=3600)


def is_write(req) -> bool:
    """Whether a request asks to change the graph (SPARQL Update, or the Graph Store Protocol)."""
    if req.method in WRITE_METHODS:
        return True
    if req.method != "POST":
        return False
    if req.mimetype == UPDATE_TYPE or req.path != QUERY_ENDPOINT:
        return True
    if "update" in req.args:
        return True
    try:
        return "update" in req.form
    except HTTPException:  # a body that cannot be read (too large, malformed) changes nothing: no CORS either
        return True


def _withhold_from_writes(response: Response) -> Response:
    if is_write(request):
        for header in [h for h in response.headers.keys() if h.lower().startswith("access-control-")]:
            del response.headers[header]
    return response
