"""Checking a submission without writing it, and the CSV templates (open to anyone).

``/steward/validate`` checks an uploaded file or pasted text against the shapes *in the
context of the store* (ADR 0002) and writes nothing, so it needs no steward credential;
CSRF protection and authentication come with the write workflow. The request body is
capped by Flask's ``MAX_CONTENT_LENGTH`` (the ``max_upload_bytes`` setting): a larger
upload gets a 413 with a French message.
"""

from __future__ import annotations

import json

from flask import Response, abort, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...errors import InputError, LimitExceeded
from ...loading import Loader
from ...steward.csv_templates import TEMPLATES, template_csv
from ...validation import ValidationReport
from .. import error_response, state
from . import bp

FORMATS = {  # form value -> label
    "auto": "Détecter d'après l'extension du fichier",
    "csv": "CSV (modèle acteurs)",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
}
BY_SUFFIX = {"csv": "csv", "ttl": "turtle", "nt": "ntriples", "jsonld": "jsonld", "json": "jsonld"}


def _loader() -> Loader:
    """One loader per app (the shapes and ontology are parsed once), which serialises
    validations itself (pySHACL shares the parsed shapes)."""
    return state().loader


def _form(**context):
    return render_template(
        "steward/validate.html",
        formats=FORMATS,
        templates=TEMPLATES,
        limit_mb=state().settings.max_upload_bytes / 1_000_000,
        **context,
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    if request.endpoint not in ("steward.validate_form", "steward.validate_submit"):
        return error_response(exc)  # the other steward pages: the app's error page
    limit = state().settings.max_upload_bytes
    message = (
        f"Fichier trop volumineux : la limite est de {limit / 1_000_000:.1f} Mo "
        f"({limit} octets). Découpez le fichier en plusieurs envois."
    )
    if request.accept_mimetypes.best == "application/json":
        return {"error": "Payload Too Large", "message": message}, 413
    return _form(error=message), 413


@bp.get("/validate")
def validate_form():
    return _form(fmt="auto")


class FormProblem(Exception):
    """The submission form is incomplete or names an unknown format (a 400, in French)."""


def read_submission_form() -> tuple[bytes, str, str]:
    """(bytes, name, format) of the file or pasted text of a submission form."""
    upload = request.files.get("fichier")
    fmt = request.form.get("format", "auto")
    text = request.form.get("texte", "")
    if fmt not in FORMATS:
        raise FormProblem("format inconnu")
    if upload is not None and upload.filename:
        data, name = upload.read(), upload.filename
    elif text.strip():
        data, name = text.encode("utf-8"), "texte-colle"
    else:
        raise FormProblem("Choisissez un fichier ou collez un texte.")
    if fmt == "auto":
        fmt = BY_SUFFIX.get(name.rsplit(".", 1)[-1].lower() if "." in name else "", "")
        if not fmt:
            raise FormProblem(
                "Format non reconnu d'après le nom du fichier : choisissez-le dans la liste."
            )
    return data, name, fmt


@bp.post("/validate")
def validate_submit():
    output = request.form.get("sortie", "html")
    text = request.form.get("texte", "")
    if output not in ("html", "json", "turtle"):
        abort(400, description="format inconnu")
    try:
        data, name, fmt = read_submission_form()
    except FormProblem as exc:
        return _form(error=str(exc), fmt=request.form.get("format", "auto"), texte=text), 400
    loader = _loader()
    try:
        payload = loader.read_bytes(data, name, fmt)
        report = loader.check([payload], in_context=True)
    except InputError as exc:
        error, status = describe_error(exc), input_status(exc)
        if output == "json":
            name = "Payload Too Large" if status == 413 else "Bad Request"
            return {"error": name, "message": error}, status
        return _form(error=error, fmt=fmt, texte=text), status
    if output == "json":
        return Response(_json(report), mimetype="application/json")
    if output == "turtle":
        return Response(_turtle(report), mimetype="text/turtle; charset=utf-8")
    return _form(
        report=report,
        name=name,
        fmt=fmt,
        texte=text,
        report_turtle=_turtle(report),
        report_json=_json(report),
    )


@bp.get("/templates/<name>.csv")
def template(name: str):
    if name not in TEMPLATES:
        abort(404, description="modèle inconnu")
    # UTF-8 with a BOM so that spreadsheet programs open the accents correctly
    body = "\ufeff" + template_csv(TEMPLATES[name])
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def describe_error(exc: InputError) -> str:
    where = exc.source
    if exc.line is not None:
        where += f", ligne {exc.line}" + (f", colonne {exc.column}" if exc.column else "")
    detail = exc.detail
    if isinstance(exc, LimitExceeded):
        detail = f"limite dépassée : {exc.french}"
    return f"{where} : {detail}" if where else detail


def input_status(exc: InputError) -> int:
    """413 for input beyond a limit (the setting is named), 400 for unreadable input."""
    return 413 if isinstance(exc, LimitExceeded) else 400


def _json(report: ValidationReport) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2)


def _turtle(report: ValidationReport) -> str:
    return report.graph.serialize(format="turtle")
