"""Submitting: deposit, correct, withdraw, each previewed before it is confirmed.

Every write is two steps, so that nobody commits blind: a POST computes a *proposal*
(``santegraph.steward.workflow``: diff, dependants, validation in context) and redirects
to its preview; the preview's confirmation commits it. Every page here needs a signed-in
steward (``sessions.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ...errors import InputError, ValidationFailed
from ...sandbox.checks import CheckError
from ...steward.workflow import (
    Conflict,
    DuplicatesNotAcknowledged,
    Forbidden,
    NotFound,
    Proposal,
    WarningsNotAcknowledged,
)
from ...validation import ValidationReport
from .. import state
from . import KIND_LABELS, bp, refuse, workflow
from .sessions import login_required, signed_in_steward
from .validation import FORMATS, FormProblem, describe_error, input_status, read_submission_form


def _graph_iri(sid: str) -> str:
    return workflow().submission_prefix + sid


def _sid(graph: str) -> str:
    return graph.removeprefix(workflow().submission_prefix)


@bp.app_template_filter("sid")
def _sid_filter(graph: str) -> str:
    return _sid(graph)


@bp.app_template_filter("term")
def _term_filter(term: object) -> str:
    """A term as a steward reads it: ``acteur/x`` for minted IRIs, ``sg:localisation``
    for vocabulary terms, ``"texte"@fr`` for literals (escaped by Jinja like any text)."""
    from ..ontology import curie

    if isinstance(term, ox.NamedNode):
        base = state().settings.base_iri
        if term.value.startswith(base):
            return term.value[len(base) :]
        return curie(term.value)
    if isinstance(term, ox.Literal) and term.language:
        return f'"{term.value}"@{term.language}'
    if isinstance(term, ox.Literal):
        return f'"{term.value}"'
    return str(term)


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    return render_template(
        "steward/accueil.html", submissions=workflow().submissions(), kinds=KIND_LABELS
    )


@bp.get("/soumettre")
@login_required
def submit_form() -> ResponseReturnValue:
    return render_template("steward/soumettre.html", formats=FORMATS, fmt="auto")


@bp.post("/soumettre")
@login_required
def submit() -> ResponseReturnValue:
    return _propose_from_form(None, "steward/soumettre.html")


@bp.get("/soumissions/<path:sid>")
@login_required
def submission(sid: str) -> ResponseReturnValue:
    graph = _graph_iri(sid)
    service = workflow()
    triples = [
        (q.subject, q.predicate, q.object) for q in service.store.match(graph=ox.NamedNode(graph))
    ]
    history = service.history(graph=graph)
    if not triples and not history:
        abort(404, description="soumission inconnue")
    return render_template(
        "steward/soumission.html",
        graph=graph,
        sid=sid,
        triples=sorted(triples, key=lambda t: (str(t[0]), str(t[1]), str(t[2]))),
        entries=_entries(triples),
        owner=service.owners([graph]).get(graph, ("", ""))[1],
        rights=service.rights(signed_in_steward(), graph),
        history=history,
        kinds=KIND_LABELS,
        formats=FORMATS,
        fmt="auto",
    )


def _entries(
    triples: Iterable[tuple[object, ox.NamedNode, object]],
) -> list[tuple[ox.NamedNode, str]]:
    """(IRI, French name or "") of each entry (IRI subject) of a submission."""
    label = "http://www.w3.org/2004/02/skos/core#prefLabel"
    names: dict[str, str] = {}
    for s, p, o in triples:
        if isinstance(s, ox.NamedNode):
            names.setdefault(s.value, "")
            if p.value == label and isinstance(o, ox.Literal) and o.language == "fr":
                names[s.value] = o.value
    return [(ox.NamedNode(iri), name) for iri, name in sorted(names.items())]


@bp.post("/soumissions/<path:sid>/corriger")
@login_required
def correct(sid: str) -> ResponseReturnValue:
    return _propose_from_form(_graph_iri(sid), "steward/soumission.html", sid=sid)


@bp.post("/soumissions/<path:sid>/retirer")
@login_required
def withdraw(sid: str) -> ResponseReturnValue:
    try:
        proposal = workflow().propose_withdrawal(
            signed_in_steward(),
            _graph_iri(sid),
            channel="web",
            comment=request.form.get("commentaire", "").strip(),
        )
    except (Forbidden, NotFound) as exc:
        return refuse(404 if isinstance(exc, NotFound) else 403, str(exc))
    workflow().remember(proposal)
    return redirect(url_for("steward.preview", proposal_id=proposal.id))


@bp.post("/soumissions/<path:sid>/retirer-entree")
@login_required
def withdraw_entry(sid: str) -> ResponseReturnValue:
    entry = request.form.get("entree", "")
    try:
        proposal = workflow().propose_entry_withdrawal(
            signed_in_steward(),
            _graph_iri(sid),
            entry,
            channel="web",
            comment=request.form.get("commentaire", "").strip(),
        )
    except ValueError:  # not an IRI
        return refuse(400, "entrée invalide : une IRI est attendue")
    except (Forbidden, NotFound) as exc:
        return refuse(404 if isinstance(exc, NotFound) else 403, str(exc))
    workflow().remember(proposal)
    return redirect(url_for("steward.preview", proposal_id=proposal.id))


def _propose_from_form(graph: str | None, template: str, **context: Any) -> ResponseReturnValue:
    service, steward = workflow(), signed_in_steward()
    comment = request.form.get("commentaire", "").strip()
    text = request.form.get("texte", "")

    def again(error: str, status: int) -> tuple[str, int]:
        page = render_template(
            template,
            error=error,
            formats=FORMATS,
            fmt=request.form.get("format", "auto"),
            texte=text,
            commentaire=comment,
            **context,
        )
        return page, status

    try:
        data, name, fmt = read_submission_form()
        # parsed and checked in a check worker (sandbox/checks.py): a parser crash or a
        # check past check_timeout stops that worker, not the server
        runner = state().check_runner
        assert runner is not None  # create_app starts it
        proposal = runner.propose_submission(steward, data, name, fmt, graph, comment, "web")
    except FormProblem as exc:
        return again(str(exc), 400)
    except InputError as exc:
        return again(describe_error(exc), input_status(exc))
    except Forbidden as exc:
        return again(str(exc), 403)
    except NotFound as exc:
        return again(str(exc), 404)
    except CheckError as exc:
        return again(f"{name} : {exc.french}", exc.status)
    service.remember(proposal)
    return redirect(url_for("steward.preview", proposal_id=proposal.id))


def _preview_page(proposal: Proposal, status: int = 200, **context: Any) -> tuple[str, int]:
    """The preview, with what the steward may do about each duplicate: correct the
    submission that has the entry (their own, or any for a reviewer) or ask its owner."""
    service, steward = workflow(), signed_in_steward()
    graphs = sorted({d.graph for d in proposal.duplicates if d.in_submission})
    owners = service.owners(graphs)
    offers = {
        g: {
            "owner": owners.get(g, ("", ""))[1],
            "may_correct": "correct" in service.rights(steward, g),
        }
        for g in graphs
    }
    page = render_template(
        "steward/apercu.html", proposal=proposal, kinds=KIND_LABELS, offers=offers, **context
    )
    return page, status


@bp.get("/apercu/<proposal_id>")
@login_required
def preview(proposal_id: str) -> ResponseReturnValue:
    try:
        proposal = workflow().pending(proposal_id, signed_in_steward())
    except NotFound as exc:
        return refuse(404, str(exc))
    return _preview_page(proposal)


@bp.post("/apercu/<proposal_id>/corriger")
@login_required
def correct_instead(proposal_id: str) -> ResponseReturnValue:
    """A deposit that duplicates entries of a submission becomes a correction of it."""
    service, steward = workflow(), signed_in_steward()
    try:
        proposal = service.pending(proposal_id, steward)
    except NotFound as exc:
        return refuse(404, str(exc))
    graph = request.form.get("graphe", "")
    if proposal.payload is None or graph not in {d.graph for d in proposal.duplicates}:
        return refuse(400, "cette soumission n'est pas un doublon de l'aperçu")
    try:
        correction = service.propose_correction(
            steward,
            graph,
            dataclasses.replace(proposal.payload),  # the deposit's preview stays as it was
            channel=proposal.channel,
            source=proposal.source,
            comment=proposal.comment,
        )
    except (Forbidden, NotFound) as exc:
        return refuse(404 if isinstance(exc, NotFound) else 403, str(exc))
    service.remember(correction)
    return redirect(url_for("steward.preview", proposal_id=correction.id))


@bp.post("/apercu/<proposal_id>")
@login_required
def confirm(proposal_id: str) -> ResponseReturnValue:
    service = workflow()
    try:
        proposal = service.pending(proposal_id, signed_in_steward())
    except NotFound as exc:
        return refuse(404, str(exc))

    def again(error: str, status: int, report: ValidationReport | None = None) -> tuple[str, int]:
        return _preview_page(proposal, status, error=error, fresh_report=report)

    try:
        service.commit(
            proposal,
            acknowledge_warnings=request.form.get("avertissements") == "lus",
            acknowledge_duplicates=request.form.get("doublons") == "vus",
        )
    except (WarningsNotAcknowledged, DuplicatesNotAcknowledged) as exc:
        return again(str(exc), 400)
    except Conflict as exc:
        return again(str(exc), 409)
    except ValidationFailed as exc:
        return again(
            "Le graphe a changé depuis l'aperçu et la soumission n'est plus conforme : "
            "rien n'a été enregistré.",
            422,
            exc.report,
        )
    change = proposal.changes[0]
    if change.after:
        return redirect(url_for("steward.submission", sid=_sid(change.graph), fait="1"))
    return redirect(url_for("steward.journal", graphe=change.graph))
