"""The jobs a check worker runs: parsing and validating untrusted submissions.

Each job is the code the server ran in process before, unchanged, given a
:class:`JobContext`: the store (a snapshot, read-only, or the remote endpoint), the
settings, and a Loader whose shapes are parsed once per worker. A job returns data or
raises a santegraph error (an InputError, a LimitExceeded, a steward refusal...); both
travel back to the server (``portable.py``), which answers the client. Anything the parser
does that kills the process (a stack overflow in pyoxigraph, memory exhausted) kills
this worker only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from ..config import Settings
from ..loading import Loader
from ..rdfio import parse_bytes
from ..steward.credentials import Steward
from ..steward.update_gate import changed_graphs
from ..steward.workflow import Proposal, Stewardship
from ..store.base import GraphStore
from ..validation import ValidationReport


@dataclass
class JobContext:
    store: GraphStore
    settings: Settings
    loader: Loader  # shapes parsed once per worker; its store is this job's


def check_submission(ctx: JobContext, data: bytes, name: str, fmt: str) -> ValidationReport:
    """/steward/validate: the report of a submission checked in the context of the store."""
    payload = ctx.loader.read_bytes(data, name, fmt)
    return ctx.loader.check([payload], in_context=True)


def propose_submission(
    ctx: JobContext,
    steward: Steward,
    data: bytes,
    name: str,
    fmt: str,
    graph: str | None,
    comment: str,
    channel: str,
) -> Proposal:
    """The steward preview: a deposit (``graph`` None) or a correction of ``graph``, with
    its diff, dependants and report (steward/workflow.py), nothing written."""
    payload = ctx.loader.read_bytes(data, name, fmt)
    service = Stewardship(ctx.store, ctx.settings, ctx.loader)
    if graph is None:
        return service.propose_deposit(
            steward, payload, channel=channel, source=name, comment=comment
        )
    return service.propose_correction(
        steward, graph, payload, channel=channel, source=name, comment=comment
    )


def parse_body(ctx: JobContext, data: bytes, media_type: str) -> list[ox.Quad]:
    """A /store request body, parsed within the bounds of the settings."""
    settings = ctx.settings
    rdf_format = ox.RdfFormat.from_media_type(media_type)
    assert rdf_format is not None  # the view takes RDF media types only
    return parse_bytes(
        data,
        rdf_format,
        source="request body",
        base_iri=settings.base_iri,
        max_depth=settings.max_nesting_depth,
        max_expansion=settings.max_entity_expansion_bytes,
        max_triples=settings.max_triples,
    )


def update_contents(
    ctx: JobContext,
    update: str,
    using_graphs: Sequence[str] = (),
    using_named_graphs: Sequence[str] = (),
) -> dict[str, list[ox.Triple]]:
    """An /update evaluated over an overlay of the store: the new content of each graph
    it changes or creates (steward/update_gate.py), nothing written; ``using_*``: the
    protocol's using-graph-uri / using-named-graph-uri."""
    settings = ctx.settings
    return changed_graphs(
        ctx.store,
        update,
        settings.base_iri,
        max_depth=settings.max_nesting_depth,
        max_triples=settings.max_triples,
        using_graphs=using_graphs,
        using_named_graphs=using_named_graphs,
    )


JOBS: dict[str, Callable[..., Any]] = {
    job.__name__: job for job in (check_submission, propose_submission, parse_body, update_contents)
}
