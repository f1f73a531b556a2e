"""Importing a directory from the steward pages: upload, preview with the diff, confirm.

The same import as ``santegraph import-directory`` (``santegraph.directories``): the files
are read, validated, mapped, placed, deduplicated and synchronised, the changed graphs are
proposed to the workflow, and the preview page shows what would be added, changed and
withdrawn, the conflicts with local corrections, the duplicates and every problem by file,
record and field. Nothing is written before **Confirmer**. The whole request is bounded by
``max_upload_bytes``: larger directories are imported on the command line.

``/steward/a-verifier`` (open to anyone, like the journal) lists the entries not updated or
checked within ``stale_after_days``.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ...directories.freshness import available, stale_entries
from ...directories.importer import FORMATS, DirectoryImporter, Preview
from ...directories.sources import SourceFile
from ...directories.sync import ADDED, CHANGED, KEPT, REMOVED, UNCHANGED
from ...errors import InputError, ValidationFailed
from ...steward.workflow import Conflict, NotFound
from .. import state
from . import bp, refuse
from .sessions import login_required, signed_in_steward

STATUS_ORDER = {REMOVED: 0, CHANGED: 1, KEPT: 2, ADDED: 3, UNCHANGED: 4}


def _importer() -> DirectoryImporter:
    return state().importer


def _form(status: int = 200, **context: Any) -> ResponseReturnValue:
    page = render_template(
        "steward/annuaire.html",
        formats=FORMATS,
        limit_mb=state().settings.max_upload_bytes / 1_000_000,
        **context,
    )
    return page, status


@bp.get("/annuaires")
@login_required
def directory_form() -> ResponseReturnValue:
    return _form(fmt="data-inclusion")


@bp.post("/annuaires")
@login_required
def directory_upload() -> ResponseReturnValue:
    fmt = request.form.get("format", "")
    source = request.form.get("source", "").strip()[:80]
    skip = request.form.get("ecarter") == "oui"
    uploads = [f for f in request.files.getlist("fichiers") if f and f.filename]
    again = {"fmt": fmt, "source": source, "ecarter": skip}
    if fmt not in FORMATS:
        return _form(400, error="Choisissez le format de l'annuaire.", **again)
    if not uploads:
        return _form(400, error="Joignez au moins un fichier.", **again)
    files = [SourceFile(u.filename or "", data=u.read()) for u in uploads]
    try:
        preview = _importer().prepare(
            fmt, files, signed_in_steward(), source=source, skip_invalid=skip, origin="web"
        )
    except InputError as exc:
        return _form(400, error=f"Fichier illisible : {exc}", **again)
    if preview.proposal is not None and not preview.refused:
        _importer().remember(preview)
        return redirect(url_for("steward.directory_preview", preview_id=preview.id))
    return _preview_page(preview, 422 if preview.refused else 200)


def _preview_page(preview: Preview, status: int = 200, error: str = "") -> ResponseReturnValue:
    changes = sorted(
        preview.plan.changes if preview.plan else [],
        key=lambda c: (STATUS_ORDER.get(c.status, 9), c.key),
    )
    page = render_template(
        "steward/annuaire_apercu.html",
        preview=preview,
        changes=[c for c in changes if c.status != UNCHANGED],
        unchanged=sum(c.status == UNCHANGED for c in changes),
        counts=preview.counts(),
        problems=sorted(
            preview.problems, key=lambda p: ({"Violation": 0, "Warning": 1}.get(p.severity, 2),
                                             p.file, p.where, p.field)
        ),
        formats=FORMATS,
        error=error,
    )  # fmt: skip
    return page, status


@bp.get("/annuaires/apercu/<preview_id>")
@login_required
def directory_preview(preview_id: str) -> ResponseReturnValue:
    try:
        preview = _importer().pending(preview_id, signed_in_steward())
    except NotFound as exc:
        return refuse(404, str(exc))
    return _preview_page(preview)


@bp.post("/annuaires/apercu/<preview_id>")
@login_required
def directory_confirm(preview_id: str) -> ResponseReturnValue:
    importer = _importer()
    try:
        preview = importer.pending(preview_id, signed_in_steward())
    except NotFound as exc:
        return refuse(404, str(exc))
    try:
        events = importer.commit(preview)
    except Conflict as exc:
        return _preview_page(preview, 409, str(exc))
    except ValidationFailed:
        return _preview_page(
            preview,
            422,
            "Le graphe a changé depuis l'aperçu et l'import n'est plus conforme : rien n'a été "
            "enregistré. Recommencez l'envoi.",
        )
    importer.forget(preview)
    message = (
        f"Import enregistré : {len(events)} graphe(s) modifié(s), "
        f"{preview.counts().get(ADDED, 0)} ajout(s), {preview.counts().get(CHANGED, 0)} "
        f"modification(s), {preview.counts().get(REMOVED, 0)} retrait(s)."
    )
    return render_template("steward/message.html", message=message, status=200)


@bp.get("/a-verifier")
def stale() -> ResponseReturnValue:
    settings = state().settings
    days = settings.stale_after_days
    entries = stale_entries(state().store, settings, days) if available(settings) else []
    return render_template("steward/a_verifier.html", entries=entries, days=days)
