"""Reporting an error on a fiche (``/steward/signaler?entree=IRI``, signed in): the
submission form pre-filled with the entry's description (``steward/reports.py``); it posts
to the usual deposit or correction, previewed before anything is written."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from ...steward.reports import report_for
from ..ontology import PREFIXES
from . import bp, refuse, workflow
from .sessions import login_required
from .validation import FORMATS


@bp.get("/signaler")
@login_required
def report_form() -> ResponseReturnValue:
    entry = request.args.get("entree", "").strip()
    report = report_for(workflow(), entry, PREFIXES) if entry else None
    if report is None:
        return refuse(404, "Cette fiche n'existe pas dans le graphe : rien à signaler.")
    sid = report.graph.removeprefix(workflow().submission_prefix) if report.graph else ""
    return render_template(
        "steward/signaler.html", report=report, sid=sid, formats=FORMATS, fmt="turtle"
    )
