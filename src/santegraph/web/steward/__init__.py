"""The steward pages (blueprint ``steward``, under ``/steward``), in French.

==================  ===============================================================
``validation.py``   check a submission against the shapes without writing; CSV templates
``sessions.py``     sign in with name and token, signed session, CSRF token
``submissions.py``  submit, preview, confirm, correct, withdraw (signed in)
``journal.py``      the public audit log and every previous version
``directories.py``  import a directory (upload, preview with the diff, confirm); entries
                    to verify (open to anyone)
``reports.py``      "signaler une erreur" on a fiche: the submission form pre-filled
``orientations.py`` « A oriente vers B pour ce public », with its source (a referral)
==================  ===============================================================

What the pages do is the steward domain's (``santegraph.steward``: ``workflow.py``
checks and writes a submission); this package reads forms and shows results. Checking a
submission, the CSV templates and the journal are open to anyone; every other page needs
writes enabled (``steward_tokens``), sessions (``secret_key``), a signed-in steward, and
on POST the session's CSRF token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, render_template, request, session
from flask.typing import ResponseReturnValue

from ...steward.credentials import csrf_matches
from .. import state

if TYPE_CHECKING:
    from ...steward.workflow import Stewardship

bp = Blueprint("steward", __name__, url_prefix="/steward")
KIND_LABELS = {"Depot": "Dépôt", "Correction": "Correction", "Retrait": "Retrait"}
# Open to anyone: checking without writing, the templates, and the journal (also
# readable on /sparql). Every other page of the blueprint passes the guard below.
PUBLIC_ENDPOINTS = frozenset(
    {
        "steward.validate_form",
        "steward.validate_submit",
        "steward.template",
        "steward.journal",
        "steward.event",
        "steward.previous",
        "steward.stale",
    }
)


def workflow() -> Stewardship:
    """The write workflow of this app (``santegraph.steward.workflow.Stewardship``)."""
    stewardship: Stewardship = state().stewardship
    return stewardship


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    settings = state().settings
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not settings.writes_enabled:
        return refuse(
            403,
            "Les écritures sont désactivées sur ce service : aucun référent n'est configuré "
            "(réglage steward_tokens).",
        )
    if not settings.secret_key:
        return refuse(
            503,
            "Les sessions des référents sont désactivées : l'opérateur doit définir "
            "secret_key. Les outils peuvent écrire par /store et /update avec leur jeton.",
        )
    if request.method == "POST" and not csrf_matches(
        session.get("csrf"), request.form.get("csrf_token")
    ):
        return refuse(
            400,
            "Jeton de formulaire (CSRF) absent ou périmé : rechargez la page et recommencez.",
        )
    return None


def refuse(status: int, message: str) -> ResponseReturnValue:
    if request.accept_mimetypes.best == "application/json":
        return {"error": status, "message": message}, status
    return render_template("steward/message.html", message=message, status=status), status


# The views register themselves on ``bp``.
from . import (  # noqa: E402, F401
    directories,
    journal,
    orientations,
    reports,
    sessions,
    submissions,
    validation,
)
