"""Recording « A oriente vers B pour ce public » (``/steward/orientation``, signed in): a
form of names and choices, turned into one ``sg:Orientation`` (``steward/orientations.py``)
and proposed as a new submission, previewed before anything is written."""

from __future__ import annotations

import re
from urllib.parse import unquote

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ...errors import InputError
from ...steward.orientations import Orientation, OrientationError, orientation_turtle
from .. import state
from ..ontology import PREFIXES
from . import bp, workflow
from .sessions import login_required, signed_in_steward
from .validation import describe_error

MAX_SUGGESTED = 3000  # names offered in the form's list; beyond, the fiche's address works
FICHE = re.compile(r"/acteurs/([^?#]+)")


def _actor_names() -> list[str]:
    entries = state().professional.indexes().search.entries
    names = sorted({e.label for e in entries if e.category == "acteur" and e.label})
    return names[:MAX_SUGGESTED]


def resolve_actor(text: str, role: str) -> tuple[str, str]:
    """(IRI, name) of the actor a field names: its exact name or acronym, the address of
    its fiche, or its IRI."""
    text = text.strip()
    if not text:
        raise OrientationError(f"Indiquez {role}.")
    base = state().settings.base_iri
    search = state().professional.indexes().search
    fiche = FICHE.search(text)
    iri = (
        base + "acteur/" + unquote(fiche.group(1))
        if fiche
        else (text if text.startswith(base) else "")
    )
    if iri:
        entry = search.by_iri.get(iri)
        if entry is None:
            raise OrientationError(f"{role.capitalize()} : aucune fiche à cette adresse ({text}).")
        return iri, entry.label
    hits = [h for h in search.search(text, categories=["acteur"]) if h.tier == 0]
    if len(hits) == 1:
        return hits[0].entry.iri, hits[0].entry.label
    if not hits:
        raise OrientationError(
            f"{role.capitalize()} : aucun acteur ne s'appelle « {text} ». Choisissez un nom de "
            "la liste, ou collez l'adresse de sa fiche."
        )
    names = ", ".join(h.entry.label for h in hits[:5])
    raise OrientationError(
        f"{role.capitalize()} : plusieurs acteurs s'appellent « {text} » ({names}) ; collez "
        "l'adresse de la fiche voulue."
    )


def _form(fields: dict[str, str], error: str = "", status: int = 200) -> ResponseReturnValue:
    professional = state().professional
    page = render_template(
        "steward/orientation.html",
        fields=fields,
        error=error,
        actors=_actor_names(),
        **professional.filter_options(),
    )
    return page, status


@bp.get("/orientation")
@login_required
def orientation_form() -> ResponseReturnValue:
    """The empty form, or pre-filled from a fiche (``?orienteur=IRI&public=slug``)."""
    fields = {k: request.args.get(k, "").strip() for k in ("orienteur", "public", "besoin")}
    if fields["orienteur"]:
        entry = state().professional.indexes().search.by_iri.get(fields["orienteur"])
        fields["orienteur"] = entry.label if entry else ""
    return _form(fields)


@bp.post("/orientation")
@login_required
def orientation_submit() -> ResponseReturnValue:
    names = ("orienteur", "destinataire", "public", "besoin", "source", "commentaire")
    fields = {k: request.form.get(k, "").strip() for k in names}
    professional = state().professional
    vocab = professional.vocabulary()
    try:
        orienteur, orienteur_label = resolve_actor(fields["orienteur"], "l'acteur qui oriente")
        destinataire, destinataire_label = resolve_actor(
            fields["destinataire"], "l'acteur vers qui la personne est orientée"
        )
        public = professional.concept(fields["public"], "public/", vocab.publics)
        if public is None:
            raise OrientationError("Choisissez le public pour lequel l'orientation vaut.")
        besoin = professional.concept(fields["besoin"], "besoin/", vocab.besoins)
        if fields["besoin"] and besoin is None:
            raise OrientationError("Ce besoin n'est pas connu : choisissez-le dans la liste.")
        facts = Orientation(
            orienteur,
            destinataire,
            public,
            besoin or "",
            fields["source"],
            orienteur_label,
            destinataire_label,
        )
        base = state().settings.base_iri
        turtle = orientation_turtle(base, facts, dict(PREFIXES))
        service = workflow()
        payload = service.loader.read_bytes(turtle.encode("utf-8"), "orientation.ttl", "turtle")
        proposal = service.propose_deposit(
            signed_in_steward(),
            payload,
            channel="web",
            source="orientation.ttl",
            comment=fields["commentaire"]
            or f"Orientation : {orienteur_label} oriente vers {destinataire_label}",
        )
    except OrientationError as exc:
        return _form(fields, str(exc), 400)
    except InputError as exc:
        return _form(fields, describe_error(exc), 400)
    service.remember(proposal)
    return redirect(url_for("steward.preview", proposal_id=proposal.id))
