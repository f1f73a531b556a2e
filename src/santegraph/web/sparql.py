"""`/sparql`: the SPARQL 1.1 Protocol, read-only, with content negotiation.

Query by GET ``?query=``, POST form ``query=`` or POST ``application/sparql-query``;
``default-graph-uri`` / ``named-graph-uri`` are honoured. Updates are refused here:
writes belong to authenticated stewards.

Without a query, ``/sparql`` is the query editor for browsers (YASGUI, served from the
package, with a plain form as fallback) and the SPARQL 1.1 Service Description for RDF
clients. HEAD answers the headers of GET; OPTIONS (CORS preflight) is in ``cors.py``.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from .. import bounds, sandbox
from ..errors import QueryError, StoreError
from ..formats import (
    RESULT_MEDIA_TYPES,
    aliases_for,
    format_name,
    is_known,
    media_type_for,
    names_for,
    result_kind,
)
from ..queries import query_form
from ..vocab import NAMESPACE as VOCAB_NAMESPACE
from . import sparql_service, state
from .negotiation import accepts_anything, negotiate
from .security import csp, editor_style_hashes

bp = Blueprint("sparql", __name__)


def _error(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _refuse_update() -> None:
    abort(_error(403, "This endpoint is read-only: SPARQL Update is refused here."))


def _single(params: MultiDict[str, str], name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        abort(_error(400, f"Give one `{name}` parameter, not {len(values)}."))
    return values[0] if values else None


def _read_request() -> tuple[str | None, list[str], list[str]]:
    """The query text and dataset parameters, from whichever protocol form was used.

    Aborts with 403 for an update, 415 for a body that is neither a form nor
    ``application/sparql-query`` in UTF-8, 400 for several ``query`` parameters.
    """
    query: str | None
    if request.method == "POST":
        content_type = request.mimetype
        if content_type == "application/sparql-update":
            _refuse_update()
        if content_type == "application/sparql-query":
            charset = request.mimetype_params.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8"):
                abort(_error(415, f"A SPARQL query body must be UTF-8, not {charset!r}."))
            try:
                query = request.get_data().decode("utf-8")
            except UnicodeDecodeError:
                abort(_error(400, "The query body is not valid UTF-8."))
            if "query" in request.args:
                abort(_error(400, "A direct POST carries the query in its body only."))
            params = request.args
        elif content_type == "application/x-www-form-urlencoded":
            if "update" in request.form or "update" in request.args:
                _refuse_update()
            query = _single(request.form, "query")
            params = request.form
        else:
            shown = content_type or "none"
            abort(
                _error(
                    415,
                    f"Unsupported Content-Type {shown!r} for a SPARQL query: use "
                    "application/x-www-form-urlencoded or application/sparql-query.",
                )
            )
    else:
        if "update" in request.args:
            _refuse_update()
        query = _single(request.args, "query")
        params = request.args
    if query is not None:
        query = _with_service_base(query)
    return query, params.getlist("default-graph-uri"), params.getlist("named-graph-uri")


# An IRI reference without a scheme, e.g. <acteur/x> (a `<` comparison has spaces).
_RELATIVE_IRI = re.compile(r"<[^<>\"{}|^`\\\s:]*>")
# A query that starts with its own BASE (after comments): it resolves its IRIs itself.
_OWN_BASE = re.compile(r"(?:\s+|#[^\n]*)*BASE\b", re.IGNORECASE)


def _with_service_base(query: str) -> str:
    """Relative IRIs resolve against the configured ``base_iri`` (as in the data files).

    SPARQL lets the service define the base IRI; the query's own BASE, placed after
    this one, still wins. Added (on the first line) only when the text seems to hold a
    relative IRI, so parser positions of other queries are untouched.
    """
    if not _RELATIVE_IRI.search(query) or _OWN_BASE.match(query):
        return query  # (Virtuoso refuses a second BASE)
    return "BASE " + str(ox.NamedNode(state().settings.base_iri)) + " " + query


def _format_parameter(form: str) -> str | None:
    """The first ``format`` value that names a media type of this form's results.

    A name of another form's results (SPARQLWrapper sends its return format whatever the
    query) is passed over; a name of no format at all is a 400 listing the known ones.
    """
    for value in request.values.getlist("format"):
        if not value.strip():
            continue
        media_type = media_type_for(value, form)
        if media_type:
            return media_type
        if not is_known(value):
            known = ", ".join(names_for(form))
            abort(
                _error(
                    400,
                    f"Unknown format {value[:60]!r}: {form} results have the format names "
                    f"{known}, or a media type (or leave format out and use Accept).",
                )
            )
    return None


def _negotiate(form: str) -> str | None:
    """The result media type: ``format`` if it names one for this form, else ``Accept``.

    A ``format`` value of another form's results falls back to ``Accept``; None (406) when
    neither gives a type this form can be served as.
    """
    kind = result_kind(form)
    from_parameter = _format_parameter(form)
    if from_parameter:
        return from_parameter
    choice = negotiate(RESULT_MEDIA_TYPES[kind], aliases_for(kind))
    return choice.media_type if choice else None


def _without_query() -> Response:
    """No query: the editor for browsers, the service description for RDF clients."""
    offered = ["text/html", *sparql_service.DESCRIPTION_MEDIA_TYPES]
    wanted: str | None
    if "example" in request.args:  # a link of the example catalogue
        wanted = "text/html"
    elif accepts_anything():
        wanted = sparql_service.DESCRIPTION_MEDIA_TYPES[0]
    else:
        choice = negotiate(offered)  # application/json: a 400 below, not JSON-LD
        wanted = choice.media_type if choice else None
    if wanted == "text/html":
        policy = csp(style_hashes=editor_style_hashes())  # YASGUI's two <style> elements
        return Response(
            _editor_page(), mimetype="text/html", headers={"Content-Security-Policy": policy}
        )
    if wanted is None:
        return _error(
            400,
            "Missing the `query` parameter. Without one, /sparql serves its service "
            "description as " + ", ".join(sparql_service.DESCRIPTION_MEDIA_TYPES) + ".",
        )
    triples = sparql_service.service_description(request.base_url)
    response = Response(sparql_service.serialize_description(triples, wanted), mimetype=wanted)
    if wanted != "application/n-triples":
        response.mimetype_params["charset"] = "utf-8"  # response.charset: gone in Werkzeug 3
    return response


def _editor_page() -> str:
    examples = sparql_service.examples()
    chosen = request.args.get("example")
    initial = next((e for e in examples if e.name == chosen), None)
    links = [
        [state().settings.base_iri, request.script_root + "/id/"],
        [VOCAB_NAMESPACE, url_for("ontology.page") + "#"],
    ]
    config = {
        "endpoint": url_for("sparql.endpoint", _external=True),
        "prefixes": sparql_service.EDITOR_PREFIXES,
        "defaultQuery": sparql_service.default_query(),
        "initial": {"name": initial.name, "title": initial.title, "query": initial.text}
        if initial
        else None,
        "links": links,
        "formats": {
            kind: [[format_name(t), t] for t in types] for kind, types in RESULT_MEDIA_TYPES.items()
        },
    }
    return render_template(
        "sparql.html",
        config=config,
        examples=examples,
        initial_query=initial.text if initial else sparql_service.default_query(),
        initial_example=initial,
        prefixes=sparql_service.EDITOR_PREFIXES,
    )


@bp.get("/sparql/examples")
def example_catalogue() -> ResponseReturnValue:
    """The example catalogue as JSON: name, title, description, form, query, link."""
    return jsonify(
        [
            {
                "name": e.name,
                "title": e.title,
                "description": e.description,
                "form": e.form,
                "query": e.text,
                "editor": url_for("sparql.endpoint", example=e.name, _external=True),
            }
            for e in sparql_service.examples()
        ]
    )


@bp.after_request
def _head_has_no_body(response: Response) -> Response:
    """HEAD: keep GET's headers, but close a streamed answer instead of leaking it.

    Werkzeug drops the body of a HEAD response without starting its iterator, so a
    query's producer (a thread, or an HTTP response from a remote store) would never be
    released: start it and close it here.
    """
    if request.method == "HEAD" and response.is_streamed:
        body, response.response = response.response, iter(())  # no Content-Length: 0
        try:
            iterator = iter(body)
            next(iterator, None)
        except Exception:  # the GET would have failed mid-stream too
            pass
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
    return response


@bp.route("/sparql", methods=["GET", "HEAD", "POST"])
def endpoint() -> ResponseReturnValue:
    query, default_graphs, named_graphs = _read_request()
    if query is None:
        return _without_query()
    try:
        form = query_form(query)
    except QueryError as exc:
        return _error(400, str(exc))
    if form == "UPDATE":
        return _error(403, "This endpoint is read-only: SPARQL Update is refused here.")
    settings = state().settings
    try:  # before any parser or engine sees it, on both backends (bounds.py)
        bounds.check_public_query(
            query,
            max_depth=settings.max_nesting_depth,
            service_allowlist=settings.service_allowlist,
        )
    except bounds.ServiceRefused as exc:
        return _error(403, str(exc))
    except QueryError as exc:
        return _error(400, str(exc))
    media_type = _negotiate(form)
    if media_type is None:
        offered = ", ".join(RESULT_MEDIA_TYPES[result_kind(form)])
        return _error(406, f"{form} results can be served as: {offered}.")
    # Untrusted: run to completion in the sandbox (time limit, result cap) before any byte
    # is sent, so that a stopped query gets a real error status (the sandbox package, ADR 0003).
    try:
        runner = state().query_runner
        assert runner is not None  # create_app starts it
        result = runner.run(
            query,
            media_type,
            default_graph_uris=default_graphs,
            named_graph_uris=named_graphs,
        )
    except sandbox.QueryUnsupported as exc:  # valid SPARQL the engine cannot evaluate
        return _error(501, str(exc))
    except QueryError as exc:
        return _error(400, str(exc))
    except sandbox.QueryTimeout as exc:
        return _error(503, str(exc))
    except sandbox.ResultTooLarge as exc:
        # the endpoint's policy, not a fault: a 200 is always a complete answer
        return _error(403, str(exc))
    except sandbox.QueryBusy as exc:
        response = _error(503, str(exc))
        response.headers["Retry-After"] = "5"
        return response
    except StoreError as exc:
        return _error(502, str(exc))
    response = Response(result, mimetype=media_type)
    response.content_length = result.size
    if media_type.startswith("text/") or media_type.endswith("json") or "xml" in media_type:
        response.mimetype_params["charset"] = "utf-8"  # response.charset: gone in Werkzeug 3
    response.headers["Vary"] = "Accept"
    return response
