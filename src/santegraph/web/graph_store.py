"""Writes for tools: SPARQL 1.1 Graph Store HTTP Protocol (``/store``) and SPARQL 1.1
Update (``/update``), both behind the same gate as the steward pages.

Authentication: ``Authorization: Bearer <token>``, or HTTP Basic ``name:token`` (what
SPARQLWrapper, rdflib and Jena send). Without ``steward_tokens`` every write is refused
(403); without a valid credential, 401 with a ``WWW-Authenticate`` challenge; after too
many wrong credentials from one address, 429 (``steward/access.py``). A write that a
browser says comes from another site's page (``Origin``, ``Sec-Fetch-Site``) is refused
(403) whatever its credential: a cross-site form would otherwise post with the Basic
credentials the browser holds.

Every write goes through :class:`~santegraph.stewardship.Stewardship` (only steward
graphs ``graph/soumission/...``; validation in the context of the store; one atomic
update with its journal events). An update that would leave violations gets a 422 with
the report, and nothing is applied. A body is parsed, and an update evaluated, in a check
worker over a snapshot (``sandbox/checks.py``): a parser crash stops that worker (422),
a body past ``check_timeout`` is stopped (503), a body beyond a bound is refused (413,
naming the setting); the commit then runs here, on the live store. Reads
(``GET``/``HEAD /store?graph=``) are public, as the same triples are on ``/sparql``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from ..errors import InputError, LimitExceeded, QueryError, ValidationFailed
from ..sandbox.checks import CheckError
from ..steward.credentials import Steward, from_authorization
from ..steward.workflow import Conflict, Forbidden, NotFound, Proposal
from . import state
from .linkeddata import RDF_FORMATS, _serialize, negotiate_rdf, not_acceptable

bp = Blueprint("graph_store", __name__)
BODY_FORMATS = {  # Content-Type of a PUT/POST body -> parser format
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def _problem(status: int, message: str, **extra: Any) -> Response:
    body = json.dumps({"error": status, "message": message, **extra}, ensure_ascii=False)
    response = Response(body, status=status, mimetype="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="santegraph steward", charset="UTF-8"'
    return response


def _steward() -> Steward | Response:
    settings = state().settings
    if not settings.writes_enabled:
        return _problem(403, "writes are disabled: no steward credential is configured")
    browser = _cross_site()
    if browser:
        return _problem(
            403,
            f"writes from another site's page are refused ({browser}): a browser sends the "
            "Basic credentials it holds with any form posted to this server; tools send no "
            "Origin or Sec-Fetch-Site header",
        )
    header = request.headers.get("Authorization")
    signins, client = state().signins, request.remote_addr or "?"
    wait = signins.retry_after(client) if header else 0
    if wait:
        response = _problem(
            429, f"too many failed credentials from this address: retry in {wait} s"
        )
        response.headers["Retry-After"] = str(wait)
        return response
    steward = from_authorization(settings, header)
    if steward is None:
        if header:  # a credential was presented and did not match
            signins.failed(client, channel=request.path.strip("/"), name=_claimed_name(header))
        return _problem(
            401, "a steward credential is required (Authorization: Bearer, or Basic name:token)"
        )
    signins.succeeded(client)
    return steward


def _cross_site() -> str:
    """Why the request is a browser's from another site, or "" (tools, same origin).

    A cross-site form can reach ``/update`` with the Basic credentials the browser has
    cached for this server: such requests carry ``Sec-Fetch-Site: cross-site|same-site``
    (recent browsers) and an ``Origin`` that is not this server's (every browser, on a
    POST; ``null`` from sandboxed frames). Tools send neither.
    """
    site = request.headers.get("Sec-Fetch-Site", "")
    if site and site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {site[:40]}"
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        return f"Origin: {origin[:100]}"
    return ""


def _claimed_name(header: str) -> str:
    """The name a Basic credential claims (for the audit log), else ""."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[0]
    except (ValueError, UnicodeDecodeError):
        return ""


def _input_problem(exc: InputError) -> Response:
    """400 for a body that does not parse; 413 for one beyond a limit (named)."""
    if isinstance(exc, LimitExceeded):
        return _problem(413, str(exc), setting=exc.setting, limit=exc.limit)
    return _problem(400, str(exc))


def _graph_param() -> str | Response:
    if "default" in request.args:
        return _problem(
            400,
            "santegraph's default graph is the union of all graphs: name a graph with ?graph=",
        )
    graph = request.args.get("graph", "")
    try:
        ox.NamedNode(graph)
    except ValueError:
        return _problem(400, f"?graph= must be an absolute IRI, got {graph[:200]!r}")
    return graph


def _outcome(proposal: Proposal, status: int) -> Response:
    report = proposal.report
    body = {
        "graphs": [
            {
                "graph": c.graph,
                "operation": c.kind,
                "version": c.version + 1,
                "added": len(c.added),
                "removed": len(c.removed),
            }
            for c in proposal.changes
            if c.changes_anything  # a graph given its own content again: no new version
        ],
        "warnings": [r.as_dict() for r in report.results if r.severity != "Violation"],
        # entries the store already had (steward/duplicates.py): written, but worth a look
        "duplicates": [dataclasses.asdict(d) for d in proposal.duplicates],
    }
    return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")


def _apply(
    steward: Steward, contents: dict[str, list[ox.Triple]], channel: str, created: bool = False
) -> Response:
    service = state().stewardship
    try:
        proposal = service.apply(steward, contents, channel=channel, source=request.path)
    except ValidationFailed as exc:
        return _problem(
            422,
            f"refused: {exc.report.violation_count} SHACL violation(s); nothing was written",
            report=exc.report.as_json(),
        )
    except Forbidden as exc:
        return _problem(403, str(exc))
    except Conflict as exc:
        return _problem(409, str(exc))
    except NotFound as exc:
        return _problem(404, str(exc))
    return _outcome(proposal, 201 if created else 200)


# ---------------------------------------------------------------------- /store
@bp.route("/store", methods=["GET", "HEAD"])
def store_read() -> ResponseReturnValue:
    graph = _graph_param()
    if isinstance(graph, Response):
        return graph
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in state().store.match(graph=ox.NamedNode(graph))
    ]
    if not triples:
        return _problem(404, f"no graph <{graph}> in the store")
    choice = negotiate_rdf()
    if choice is None:
        return not_acceptable(RDF_FORMATS)
    response = Response(_serialize(triples, choice.media_type), mimetype=choice.media_type)
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/store", methods=["PUT", "POST", "DELETE"])
def store_write() -> ResponseReturnValue:
    steward = _steward()
    if isinstance(steward, Response):
        return steward
    graph = _graph_param()
    if isinstance(graph, Response):
        return graph
    if request.method == "DELETE":
        try:
            state().stewardship.require_graph(graph)
        except Forbidden as exc:
            return _problem(403, str(exc))
        except NotFound as exc:
            return _problem(404, str(exc))
        return _apply(steward, {graph: []}, "graph-store")
    media_type = request.mimetype
    if media_type not in BODY_FORMATS:
        return _problem(
            415, f"unsupported body type {media_type!r} (known: {', '.join(BODY_FORMATS)})"
        )
    try:  # in a check worker: a parser crash stops that worker, not the server
        runner = state().check_runner
        assert runner is not None  # create_app starts it
        quads = runner.parse_body(request.get_data(), media_type)
    except InputError as exc:
        return _input_problem(exc)
    except CheckError as exc:
        return _problem(exc.status, str(exc))
    new = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    current = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in state().store.match(graph=ox.NamedNode(graph))
    ]
    contents = new if request.method == "PUT" else current + new
    if not contents:
        return _problem(400, "empty body: use DELETE to remove a graph")
    return _apply(steward, {graph: contents}, "graph-store", created=not current)


# ---------------------------------------------------------------------- /update
@bp.post("/update")
def update() -> ResponseReturnValue:
    steward = _steward()
    if isinstance(steward, Response):
        return steward
    if request.mimetype == "application/sparql-update":
        text = request.get_data(as_text=True)
    elif request.mimetype == "application/x-www-form-urlencoded":
        text = request.form.get("update", "")
    else:
        return _problem(
            415, "send the update as application/sparql-update or as a form field `update`"
        )
    if not text.strip():
        return _problem(400, "empty update")
    # the dataset of the WHERE clauses (SPARQL 1.1 Protocol 2.2.3): in the query string
    # of a direct POST, in the body of a form
    using = {
        name: request.args.getlist(name) + request.form.getlist(name)
        for name in ("using-graph-uri", "using-named-graph-uri")
    }
    for iri in using["using-graph-uri"] + using["using-named-graph-uri"]:
        try:
            ox.NamedNode(iri)
        except ValueError:
            return _problem(400, f"using-graph-uri / using-named-graph-uri: not an IRI {iri!r}")
    try:  # evaluated over a snapshot in a check worker (steward/update_gate.py)
        runner = state().check_runner
        assert runner is not None  # create_app starts it
        contents = runner.update_contents(
            text, using["using-graph-uri"], using["using-named-graph-uri"]
        )
    except InputError as exc:
        return _input_problem(exc)
    except QueryError as exc:
        return _problem(400, str(exc))
    except Forbidden as exc:
        return _problem(403, str(exc))
    except CheckError as exc:
        return _problem(exc.status, str(exc))
    if not contents:
        return Response(
            json.dumps({"graphs": [], "warnings": []}), 200, mimetype="application/json"
        )
    return _apply(steward, contents, "sparql-update")  # the gate refuses other graphs (403)
