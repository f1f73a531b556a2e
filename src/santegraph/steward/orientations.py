"""Recording a step of the path: « A oriente vers B pour ce public (ce besoin) », with its
source, as one ``sg:Orientation`` (ontology). The stewards' form (``web/steward/
orientations.py``) reads the fields; this module makes the triples, which go through the
usual workflow (``workflow.py``: a new submission, checked in the context of the graph,
previewed, then committed with its journal event). Toiles draw an arrow only from such a
fact."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..iris import slugify
from ..vocab import SG

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
DCT_SOURCE = ox.NamedNode("http://purl.org/dc/terms/source")


class OrientationError(ValueError):
    """A field of the form that cannot make a referral (said in French)."""


@dataclass(frozen=True)
class Orientation:
    """The facts of one referral, IRIs resolved."""

    orienteur: str
    destinataire: str
    public: str
    besoin: str = ""
    source: str = ""  # a web address (becomes an IRI) or a title
    orienteur_label: str = ""
    destinataire_label: str = ""


def orientation_iri(base: str, facts: Orientation) -> str:
    """``orientation/<who>--<to whom>--<public>[--<need>]``: the same referral recorded
    twice gets the same IRI (the duplicate is then visible in the preview)."""
    parts = [facts.orienteur, facts.destinataire, facts.public] + (
        [facts.besoin] if facts.besoin else []
    )
    names = []
    for part in parts:
        name = slugify(part[len(base) :] if part.startswith(base) else part.rsplit("/", 1)[-1])
        for prefix in ("acteur-", "public-", "besoin-"):
            name = name.removeprefix(prefix)
        names.append(name)
    return f"{base}orientation/{'--'.join(names)}"


def source_term(text: str) -> ox.NamedNode | ox.Literal:
    """The source as written: an http(s) address becomes an IRI, anything else a title."""
    text = " ".join(text.split())
    if not text:
        raise OrientationError(
            "Indiquez la source de l'orientation : l'adresse ou le titre de la convention, "
            "du protocole ou de la page qui l'établit."
        )
    if text.lower().startswith(("http://", "https://")) and " " not in text:
        try:
            return ox.NamedNode(text)
        except ValueError:
            pass
    return ox.Literal(text, language="fr")


def orientation_triples(base: str, facts: Orientation) -> list[ox.Triple]:
    """The triples of one referral (its IRI from :func:`orientation_iri`)."""
    if facts.orienteur == facts.destinataire:
        raise OrientationError(
            "Un acteur ne s'oriente pas vers lui-même : choisissez deux acteurs différents."
        )
    node = ox.NamedNode(orientation_iri(base, facts))
    triples = [
        ox.Triple(node, RDF_TYPE, ox.NamedNode(SG.Orientation)),
        ox.Triple(node, ox.NamedNode(SG.orienteur), ox.NamedNode(facts.orienteur)),
        ox.Triple(node, ox.NamedNode(SG.destinataire), ox.NamedNode(facts.destinataire)),
        ox.Triple(node, ox.NamedNode(SG.public), ox.NamedNode(facts.public)),
        ox.Triple(node, DCT_SOURCE, source_term(facts.source)),
    ]
    if facts.besoin:
        triples.append(ox.Triple(node, ox.NamedNode(SG.besoin), ox.NamedNode(facts.besoin)))
    if facts.orienteur_label and facts.destinataire_label:
        label = f"{facts.orienteur_label} oriente vers {facts.destinataire_label}"
        triples.append(ox.Triple(node, RDFS_LABEL, ox.Literal(label, language="fr")))
    return triples


def orientation_turtle(base: str, facts: Orientation, prefixes: dict[str, str]) -> str:
    """The referral as Turtle, what the submission holds (and what its preview shows)."""
    data = ox.serialize(
        orientation_triples(base, facts),
        format=ox.RdfFormat.TURTLE,
        prefixes=prefixes,
        base_iri=base,
    )
    assert data is not None  # no output given: the bytes are returned
    return data.decode("utf-8")
