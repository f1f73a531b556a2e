"""Terms and IRIs of imported entries, made in one place for every source format.

IRIs (docs/modeling.md): an imported entry is named after its identifier at the source,
never after its name, since directories hold many entries of the same name
(``acteur/finess/<nofinesset>``, ``acteur/data-inclusion/<id>``,
``service/data-inclusion/<id>``; ``fiche/<dataset>/<kind>/<id>`` for the directory
record). Identifiers are percent-encoded, so any identifier gives a valid, distinct IRI.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import quote

import pyoxigraph as ox
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, SDO, SKOS, XSD

from ..iris import slugify
from ..vocab import SG

GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
CV = "http://data.europa.eu/m8g/"


@cache
def node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def sg(local: str) -> ox.NamedNode:
    """An ``sg:`` term through the generated vocabulary (a typo raises AttributeError)."""
    return node(getattr(SG, local))


TYPE = node(RDF.type)
LABEL = node(SKOS.prefLabel)
ALT_LABEL = node(SKOS.altLabel)
SCOPE_NOTE = node(SKOS.scopeNote)
DESCRIPTION = node(DCTERMS.description)
IDENTIFIER = node(DCTERMS.identifier)
IS_PART_OF = node(DCTERMS.isPartOf)
MODIFIED = node(DCTERMS.modified)
TITLE = node(DCTERMS.title)
AUDIENCE = node(DCTERMS.audience)
SPATIAL = node(DCTERMS.spatial)
THEMATIC_AREA = node(CV + "thematicArea")
DERIVED_FROM = node(PROV.wasDerivedFrom)
GENERATED_BY = node(PROV.wasGeneratedBy)
STARTED = node(PROV.startedAtTime)
USED = node(PROV.used)
RDFS_LABEL = node(RDFS.label)
XSD_DATETIME = node(XSD.dateTime)
ATTRIBUTED_TO = node(PROV.wasAttributedTo)
SEE_ALSO = node(RDFS.seeAlso)
COMMENT = node(RDFS.comment)
TELEPHONE = node(SDO.telephone)
EMAIL = node(SDO.email)
URL = node(SDO.url)
OPENING_HOURS = node(SDO.openingHours)
LAT = node(GEO + "lat")
LONG = node(GEO + "long")
DATASET = node(DCAT.Dataset)
LANDING_PAGE = node(DCAT.landingPage)
XSD_DATE = node(XSD.date)
XSD_DECIMAL = node(XSD.decimal)
XSD_STRING = node(XSD.string)


def dataset_triples(
    dataset: ox.NamedNode, title: str, landing_page: str | None = None
) -> list[ox.Triple]:
    """A source dataset's description: its type, its title and, when it is published, its
    landing page (the same for every reader)."""
    triples = [ox.Triple(dataset, TYPE, DATASET), ox.Triple(dataset, TITLE, fr(title))]
    if landing_page:
        triples.append(ox.Triple(dataset, LANDING_PAGE, node(landing_page)))
    return triples


def fr(text: str) -> ox.Literal:
    return ox.Literal(text, language="fr")


def string(text: str) -> ox.Literal:
    return ox.Literal(text)


def date(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=XSD_DATE)


def decimal(value: float, digits: int = 6) -> ox.Literal:
    """A rounded decimal in the store's canonical form (``51.03``, ``51``), so that the
    same value read again compares equal to the stored one."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return ox.Literal("0" if text in ("-0", "") else text, datatype=XSD_DECIMAL)


def code(value: str, nomenclature: str) -> ox.Literal:
    """A source code kept as is, typed with its nomenclature (``sg:Code…`` datatype)."""
    return ox.Literal(value, datatype=sg(nomenclature))


def segment(identifier: str) -> str:
    """An identifier as one IRI path segment (percent-encoded, ``/`` included)."""
    return quote(identifier, safe="-._~")


def entry_iri(base: str, kind: str, dataset: str, identifier: str) -> ox.NamedNode:
    return node(f"{base}{kind}/{dataset}/{segment(identifier)}")


def fiche_iri(base: str, dataset: str, kind: str, identifier: str) -> ox.NamedNode:
    return node(f"{base}fiche/{segment(dataset)}/{kind}/{segment(identifier)}")


def dataset_iri(base: str, dataset: str) -> ox.NamedNode:
    return node(f"{base}dataset/annuaire/{segment(dataset)}")


def import_graph(base: str, dataset: str, shard: str) -> str:
    """``graph/soumission/annuaire--<dataset>--<shard>``: one segment, as every submission
    graph's name (iris.SUBMISSION_NAME); slugs never hold ``--``, so the parts stay apart."""
    return f"{dataset_graphs_prefix(base, dataset)}{slugify(shard)}"


def dataset_graphs_prefix(base: str, dataset: str) -> str:
    return f"{base}graph/soumission/annuaire--{dataset}--"


# ---------------------------------------------------------------- normalised keys (dedup)
STREET_WORDS = {  # the abbreviations of FINESS's typvoie and of common addresses
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "pl": "place",
    "che": "chemin",
    "ch": "chemin",
    "rte": "route",
    "all": "allee",
    "imp": "impasse",
    "sq": "square",
    "crs": "cours",
    "fg": "faubourg",
    "qu": "quai",
    "res": "residence",
    "st": "saint",
    "ste": "sainte",
}


def name_key(name: str) -> str:
    return slugify(name)


def address_key(address: str) -> str:
    """A street address compared without case, accents, punctuation or abbreviations."""
    words = slugify(address).split("-")
    words = [STREET_WORDS.get(w, w) for w in words if w]
    return "-".join(w for w in words if w not in {"de", "du", "des", "la", "le", "les", "l", "d"})


_PHONE_NOISE = re.compile(r"[\s.\-/()]")
_NATIONAL = re.compile(r"^(?:\+33|0033|0)(?:0)?([1-9][0-9]{8})$")
_SHORT = re.compile(r"^(?:1[0-9]{1,2}|3[0-9]{3})$")


def phone(value: str) -> str:
    """A French number written as the shapes expect (``03 28 00 00 00``, or a short number
    such as ``3114``), or "" when the source's text is not one (the caller reports it)."""
    compact = _PHONE_NOISE.sub("", value or "")
    national = _NATIONAL.match(compact)
    if national:
        digits = "0" + national.group(1)
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return compact if _SHORT.match(compact) else ""


def web_iri(value: str) -> ox.NamedNode | None:
    """An http(s) address as an IRI, or None when it is not a valid one."""
    value = (value or "").strip()
    if not value.lower().startswith(("http://", "https://")):
        return None
    try:
        return ox.NamedNode(value)
    except ValueError:
        return None


def slugify_dataset(name: str) -> str:
    """A dataset name (``--source``) as it appears in IRIs and graph names (at most 80
    characters, so that a graph's name stays within the 120 of a submission's)."""
    return slugify(name)[:80].strip("-") or "annuaire"
