"""`/sparql`: the SPARQL 1.1 Protocol, read-only, with content negotiation.

Query by GET ``?query=``, POST form ``query=`` or POST ``application/sparql-query``;
``default-graph-uri`` / ``named-graph-uri`` are honoured. Updates are refused here:
writes belong to authenticated stewards.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from ..errors import QueryError, StoreError
from ..queries import query_form
from ..store.base import RESULT_MEDIA_TYPES, result_kind
from . import state

bp = Blueprint("sparql", __name__)

FORMAT_PARAM = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "xmlrdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
}
# Common aliases clients send for the same formats.
ACCEPT_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json+ld": "application/ld+json",
}


def _error(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _read_request() -> tuple[str | None, list[str], list[str]]:
    """The query text and dataset parameters, from whichever protocol form was used."""
    if request.method == "POST":
        content_type = request.mimetype
        if content_type == "application/sparql-update" or "update" in request.form:
            abort(_error(403, "This endpoint is read-only: SPARQL Update is refused here."))
        if content_type == "application/sparql-query":
            query = request.get_data(as_text=True)
            params = request.args
        elif content_type == "application/x-www-form-urlencoded":
            query = request.form.get("query")
            params = request.form
        else:
            abort(_error(415, f"Unsupported Content-Type {content_type!r} for a SPARQL query."))
    else:
        if "update" in request.args:
            abort(_error(403, "This endpoint is read-only: SPARQL Update is refused here."))
        query = request.args.get("query")
        params = request.args
    return query, params.getlist("default-graph-uri"), params.getlist("named-graph-uri")


def _negotiate(form: str) -> str | None:
    allowed = RESULT_MEDIA_TYPES[result_kind(form)]
    wanted = request.values.get("format")
    if wanted:
        media_type = FORMAT_PARAM.get(wanted, wanted)
        return media_type if media_type in allowed else None
    if not request.accept_mimetypes or request.accept_mimetypes.best == "*/*":
        return allowed[0]
    candidates = list(allowed) + [a for a, target in ACCEPT_ALIASES.items() if target in allowed]
    best = request.accept_mimetypes.best_match(candidates)
    return ACCEPT_ALIASES.get(best, best) if best else None


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    query, default_graphs, named_graphs = _read_request()
    if query is None:
        if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "text/html":
            return render_template("sparql.html")
        return _error(400, "Missing the `query` parameter.")
    try:
        form = query_form(query)
    except QueryError as exc:
        return _error(400, str(exc))
    if form == "UPDATE":
        return _error(403, "This endpoint is read-only: SPARQL Update is refused here.")
    media_type = _negotiate(form)
    if media_type is None:
        offered = ", ".join(RESULT_MEDIA_TYPES[result_kind(form)])
        return _error(406, f"{form} results can be served as: {offered}.")
    try:
        result = state().store.query_stream(
            query,
            media_type,
            default_graph_uris=default_graphs,
            named_graph_uris=named_graphs,
        )
    except QueryError as exc:
        return _error(400, str(exc))
    except StoreError as exc:
        return _error(502, str(exc))
    response = Response(result.chunks, mimetype=media_type)
    if media_type.startswith("text/") or media_type.endswith("json") or "xml" in media_type:
        response.charset = "utf-8"
    response.headers["Vary"] = "Accept"
    return response
