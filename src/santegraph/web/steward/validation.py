"""Checking a submission without writing it, and the CSV templates (open to anyone).

``/steward/validate`` checks an uploaded file or pasted text against the shapes *in the
context of the store* (ADR 0002) and writes nothing, so it needs no steward credential;
CSRF protection and authentication come with the write workflow. Being anonymous, a check
has a small budget of its own (ADR 0010), each refusal in French naming its setting:
the file or text at most ``public_check_max_bytes`` (413; the request body is capped by
``max_upload_bytes`` before), ``public_check_rate`` checks a minute per client address
(429), ``public_check_timeout`` seconds in a check worker (503), never the write lock.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Response, abort, make_response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from ...errors import InputError, LimitExceeded
from ...sandbox.checks import CheckBusy, CheckError
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
HTTP_NAMES = {
    400: "Bad Request",
    413: "Payload Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
BY_SUFFIX = {"csv": "csv", "ttl": "turtle", "nt": "ntriples", "jsonld": "jsonld", "json": "jsonld"}


def _form(**context: Any) -> str:
    return render_template(
        "steward/validate.html",
        formats=FORMATS,
        templates=TEMPLATES,
        limit_mb=state().settings.max_upload_bytes / 1_000_000,
        **context,
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
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
def validate_form() -> ResponseReturnValue:
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
def validate_submit() -> ResponseReturnValue:
    output = request.form.get("sortie", "html")
    text = request.form.get("texte", "")
    if output not in ("html", "json", "turtle"):
        abort(400, description="format inconnu")
    try:
        data, name, fmt = read_submission_form()
    except FormProblem as exc:
        return _form(error=str(exc), fmt=request.form.get("format", "auto"), texte=text), 400

    def refuse(error: str, status: int, retry_after: float = 0) -> Response:
        body: dict[str, str] | str
        if output == "json":
            body, code = {"error": HTTP_NAMES.get(status, str(status)), "message": error}, status
        else:
            body, code = _form(error=error, fmt=fmt, texte=text), status
        response = make_response(body, code)
        if retry_after:
            response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        return response

    settings = state().settings
    if len(data) > settings.public_check_max_bytes:
        limit = settings.public_check_max_bytes
        return refuse(
            f"{name} : limite dépassée : une vérification sans connexion accepte au plus "
            f"{limit / 1_000_000:.1f} Mo ({limit} octets, réglage public_check_max_bytes). "
            "Découpez le fichier, ou connectez-vous comme référent pour le soumettre.",
            413,
        )
    wait = state().check_rate.wait(request.remote_addr or "")
    if wait:
        return refuse(
            f"Trop de vérifications depuis votre adresse : au plus "
            f"{settings.public_check_rate} par minute (réglage public_check_rate). "
            f"Réessayez dans {math.ceil(wait)} s.",
            429,
            wait,
        )
    try:
        runner = state().check_runner
        assert runner is not None  # create_app starts it
        report = runner.check_submission(data, name, fmt)
    except InputError as exc:
        return refuse(describe_error(exc), input_status(exc))
    except CheckError as exc:
        return refuse(f"{name} : {exc.french}", exc.status, 5 if isinstance(exc, CheckBusy) else 0)
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
def template(name: str) -> ResponseReturnValue:
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
