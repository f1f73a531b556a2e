"""CORS for the public, read-only resources, so browser-based SPARQL and Linked Data
clients hosted elsewhere can use them.

Only GET/HEAD/POST on public paths (``/sparql``, ``/id/...``, ``/.well-known/void``,
``/dump.nq.gz``, ``/context.jsonld``, ``/ontology.ttl`` and the other ontology downloads)
get ``Access-Control-Allow-Origin: *``.
No credentials are ever allowed cross-origin: the steward pages stay same-origin.
A preflight (``OPTIONS``) on those paths is answered ``204`` with the allowed methods.
"""

from __future__ import annotations

from flask import Flask, Response, request

PUBLIC_PATHS = (
    "/sparql",
    "/id/",
    "/.well-known/void",
    "/dump.nq.gz",
    "/context.jsonld",
    "/ontology.",
)
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
ALLOWED_HEADERS = "Accept, Accept-Language, Cache-Control, Content-Type, X-Requested-With"
EXPOSED_HEADERS = (
    "Content-Type, Content-Length, Content-Location, Content-Disposition, Link, Location, "
    "Vary, Retry-After"
)
MAX_AGE = "86400"


def is_public(path: str) -> bool:
    return path == "/sparql" or path.startswith(PUBLIC_PATHS)


def _allowed_methods() -> str:
    rule = request.url_rule
    if rule is None or not rule.methods:
        return ALLOWED_METHODS
    return ", ".join(sorted(rule.methods | {"OPTIONS"}))


def init_app(app: Flask) -> None:
    @app.before_request
    def preflight() -> Response | None:
        if request.method != "OPTIONS" or request.url_rule is None:
            return None
        response = Response(status=204)
        del response.headers["Content-Type"]
        response.headers["Allow"] = _allowed_methods()
        return response  # CORS headers are added below

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        if not is_public(request.path):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = _allowed_methods()
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = MAX_AGE
        return response
