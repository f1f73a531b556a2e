"""Steward pages that write: sign in, submit, preview, confirm, correct, withdraw; the journal.

People sign in with their steward name and token (``/steward/connexion``) and get a signed
session cookie (``secret_key`` setting; HttpOnly, SameSite=Lax, 8 hours). Every POST of
this blueprint carries the session's CSRF token (a hidden ``csrf_token`` field), checked in
constant time. The session remembers a fingerprint of the steward's credential, so that an
operator who revokes a token signs its sessions out at once.

Every write is two steps, so that nobody commits blind: a POST computes a *proposal*
(steward/workflow.py: diff, dependants, validation in context) and redirects to its preview;
the preview's confirmation commits it. The journal pages are public: the audit log is
also readable by anyone on ``/sparql``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ...errors import InputError, ValidationFailed
from ...steward.credentials import Steward, csrf_matches, new_csrf_token, verify_token
from ...steward.workflow import Conflict, Forbidden, NotFound, WarningsNotAcknowledged
from .. import state
from .validation import FORMATS, FormProblem, _describe, read_submission_form

bp = Blueprint("stewardship", __name__, url_prefix="/steward")
KIND_LABELS = {"Depot": "Dépôt", "Correction": "Correction", "Retrait": "Retrait"}


# ---------------------------------------------------------------------- sessions
def _fingerprint(name: str) -> str | None:
    """A value derived from the steward's configured digest (never the digest itself)."""
    digest = state().settings.steward_token_hashes().get(name)
    if digest is None:
        return None
    return hmac.new(digest.encode(), b"santegraph-session", hashlib.sha256).hexdigest()


def current_steward() -> Steward | None:
    name = session.get("steward")
    if not name:
        return None
    expected = _fingerprint(name)
    if expected is None or not hmac.compare_digest(expected, session.get("cred", "")):
        session.clear()  # revoked or changed credential
        return None
    return Steward(name)


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = new_csrf_token()
    return session["csrf"]


@bp.app_context_processor
def _template_globals():
    return {"csrf_token": _csrf_token, "current_steward": current_steward}


@bp.before_request
def _guard():
    settings = state().settings
    if request.endpoint in ("stewardship.journal", "stewardship.event", "stewardship.previous"):
        return None  # the journal is public, like the SPARQL endpoint that also shows it
    if not settings.writes_enabled:
        return _refuse(
            403,
            "Les écritures sont désactivées sur ce service : aucun référent n'est configuré "
            "(réglage steward_tokens).",
        )
    if not settings.secret_key:
        return _refuse(
            503,
            "Les sessions des référents sont désactivées : l'opérateur doit définir "
            "secret_key. Les outils peuvent écrire par /store et /update avec leur jeton.",
        )
    if request.method == "POST" and not csrf_matches(
        session.get("csrf"), request.form.get("csrf_token")
    ):
        return _refuse(
            400,
            "Jeton de formulaire (CSRF) absent ou périmé : rechargez la page et recommencez.",
        )
    return None


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_steward() is None:
            if request.method == "GET":
                return redirect(url_for("stewardship.login", suivant=request.full_path))
            return _refuse(401, "Connectez-vous d'abord (votre session a pu expirer).")
        return view(*args, **kwargs)

    return wrapped


def _refuse(status: int, message: str):
    if request.accept_mimetypes.best == "application/json":
        return {"error": status, "message": message}, status
    return render_template("steward/message.html", message=message, status=status), status


@bp.get("/connexion")
def login():
    return render_template("steward/connexion.html", suivant=request.args.get("suivant", ""))


@bp.post("/connexion")
def login_submit():
    name = request.form.get("nom", "").strip()
    steward = verify_token(state().settings, request.form.get("jeton", ""), name)
    if steward is None:
        page = render_template(
            "steward/connexion.html",
            error="Nom ou jeton incorrect.",
            nom=name,
            suivant=request.form.get("suivant", ""),
        )
        return page, 401
    session.clear()  # a fresh session (and CSRF token) at each sign-in: no fixation
    session.permanent = True
    session["steward"] = steward.name
    session["cred"] = _fingerprint(steward.name)
    target = request.form.get("suivant", "")
    # only a path of this blueprint: never an open redirect
    if not target.startswith("/steward/") or target.startswith("//"):
        target = url_for("stewardship.home")
    return redirect(target)


@bp.post("/deconnexion")
def logout():
    session.clear()
    return redirect(url_for("stewardship.login"))


# ---------------------------------------------------------------------- submissions
def _service():
    return state().stewardship


def _graph_iri(sid: str) -> str:
    return _service().submission_prefix + sid


def _sid(graph: str) -> str:
    return graph.removeprefix(_service().submission_prefix)


@bp.app_template_filter("sid")
def _sid_filter(graph: str) -> str:
    return _sid(graph)


@bp.app_template_filter("term")
def _term_filter(term) -> str:
    """A term as a steward reads it: ``acteur/x`` for minted IRIs, ``sg:localisation``
    for vocabulary terms, ``"texte"@fr`` for literals (escaped by Jinja like any text)."""
    import pyoxigraph as ox

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
def home():
    return render_template(
        "steward/accueil.html", submissions=_service().submissions(), kinds=KIND_LABELS
    )


@bp.get("/soumettre")
@login_required
def submit_form():
    return render_template("steward/soumettre.html", formats=FORMATS, fmt="auto")


@bp.post("/soumettre")
@login_required
def submit():
    return _propose_from_form(None, "steward/soumettre.html")


@bp.get("/soumissions/<path:sid>")
@login_required
def submission(sid: str):
    graph = _graph_iri(sid)
    service = _service()
    triples = [(q.subject, q.predicate, q.object) for q in service.store.match(graph=_named(graph))]
    history = service.history(graph=graph)
    if not triples and not history:
        abort(404, description="soumission inconnue")
    return render_template(
        "steward/soumission.html",
        graph=graph,
        sid=sid,
        triples=sorted(triples, key=lambda t: (str(t[0]), str(t[1]), str(t[2]))),
        history=history,
        kinds=KIND_LABELS,
        formats=FORMATS,
        fmt="auto",
    )


@bp.post("/soumissions/<path:sid>/corriger")
@login_required
def correct(sid: str):
    return _propose_from_form(_graph_iri(sid), "steward/soumission.html", sid=sid)


@bp.post("/soumissions/<path:sid>/retirer")
@login_required
def withdraw(sid: str):
    try:
        proposal = _service().propose_withdrawal(
            current_steward(),
            _graph_iri(sid),
            channel="web",
            comment=request.form.get("commentaire", "").strip(),
        )
    except (Forbidden, NotFound) as exc:
        return _refuse(404 if isinstance(exc, NotFound) else 403, str(exc))
    _service().remember(proposal)
    return redirect(url_for("stewardship.preview", proposal_id=proposal.id))


def _propose_from_form(graph: str | None, template: str, **context):
    service, steward = _service(), current_steward()
    comment = request.form.get("commentaire", "").strip()
    text = request.form.get("texte", "")

    def again(error: str, status: int):
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
        payload = service.loader.read_bytes(data, name, fmt)
        if graph is None:
            proposal = service.propose_deposit(
                steward, payload, channel="web", source=name, comment=comment
            )
        else:
            proposal = service.propose_correction(
                steward, graph, payload, channel="web", source=name, comment=comment
            )
    except FormProblem as exc:
        return again(str(exc), 400)
    except InputError as exc:
        return again(_describe(exc), 400)
    except Forbidden as exc:
        return again(str(exc), 403)
    except NotFound as exc:
        return again(str(exc), 404)
    service.remember(proposal)
    return redirect(url_for("stewardship.preview", proposal_id=proposal.id))


@bp.get("/apercu/<proposal_id>")
@login_required
def preview(proposal_id: str):
    try:
        proposal = _service().pending(proposal_id, current_steward())
    except NotFound as exc:
        return _refuse(404, str(exc))
    return render_template("steward/apercu.html", proposal=proposal, kinds=KIND_LABELS)


@bp.post("/apercu/<proposal_id>")
@login_required
def confirm(proposal_id: str):
    service = _service()
    try:
        proposal = service.pending(proposal_id, current_steward())
    except NotFound as exc:
        return _refuse(404, str(exc))

    def again(error: str, status: int, report=None):
        page = render_template(
            "steward/apercu.html",
            proposal=proposal,
            kinds=KIND_LABELS,
            error=error,
            fresh_report=report,
        )
        return page, status

    try:
        service.commit(proposal, acknowledge_warnings=request.form.get("avertissements") == "lus")
    except WarningsNotAcknowledged as exc:
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
        return redirect(url_for("stewardship.submission", sid=_sid(change.graph), fait="1"))
    return redirect(url_for("stewardship.journal", graphe=change.graph))


# ---------------------------------------------------------------------- journal (public)
@bp.get("/journal")
def journal():
    graph = request.args.get("graphe") or None
    events = _service().history(graph=graph) if _graph_ok(graph) else []
    return render_template("steward/journal.html", events=events, graph=graph, kinds=KIND_LABELS)


@bp.get("/journal/<event_id>")
def event(event_id: str):
    iri = state().settings.base_iri + "journal/" + event_id
    events = _service().history(event=iri)
    if not events:
        abort(404, description="événement inconnu")
    return render_template("steward/evenement.html", event=events[0], kinds=KIND_LABELS)


@bp.get("/journal/<event_id>/avant.nt")
def previous(event_id: str):
    iri = state().settings.base_iri + "journal/" + event_id
    try:
        text = _service().previous_content(iri)
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
        _named(graph)
    except ValueError:
        return False
    return True


def _named(iri: str):
    import pyoxigraph as ox

    return ox.NamedNode(iri)
