"""The journal (public): every steward operation, and the content each one replaced.

The audit log is also readable by anyone on ``/sparql`` (graph ``graph/journal``).
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from ...steward.workflow import NotFound
from .. import state
from . import KIND_LABELS, bp, workflow


@bp.get("/journal")
def journal() -> ResponseReturnValue:
    graph = request.args.get("graphe") or None
    events = workflow().history(graph=graph) if _graph_ok(graph) else []
    return render_template("steward/journal.html", events=events, graph=graph, kinds=KIND_LABELS)


@bp.get("/journal/<event_id>")
def event(event_id: str) -> ResponseReturnValue:
    iri = state().settings.base_iri + "journal/" + event_id
    events = workflow().history(event=iri)
    if not events:
        abort(404, description="événement inconnu")
    return render_template("steward/evenement.html", event=events[0], kinds=KIND_LABELS)


@bp.get("/journal/<event_id>/avant.nt")
def previous(event_id: str) -> ResponseReturnValue:
    iri = state().settings.base_iri + "journal/" + event_id
    try:
        text = workflow().previous_content(iri)
    except NotFound as exc:
        abort(404, description=str(exc))
    return Response(
        text,
        mimetype="application/n-triples",
        headers={"Content-Disposition": f'attachment; filename="{event_id}-avant.nt"'},
    )


def _graph_ok(graph: str | None) -> bool:
    if graph is None:
        return True
    try:
        ox.NamedNode(graph)
    except ValueError:
        return False
    return True
