"""The OWL vocabulary: well-formed, documented, consistent, aligned with docs/modeling.md."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, SKOS, Literal, URIRef

from .external import SOURCE_TEXTS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "santegraph.ttl"
DATA = ROOT / "data"
MODELING = ROOT / "docs" / "modeling.md"
BASE = "https://w3id.org/santegraph/id/"
SG = rdflib.Namespace("https://w3id.org/santegraph/def#")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
VANN = rdflib.Namespace("http://purl.org/vocab/vann/")
# owlrl reports inconsistencies as `[] a err:ErrorMessage ; err:error "..."`.
ERR = rdflib.Namespace("http://www.daml.org/2002/03/agents/agent-ont#")

TERM_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    RDFS.Datatype,
)
SG_PREFIX = "PREFIX sg: <https://w3id.org/santegraph/def#>\n"
RDFS_PREFIX = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(ONTOLOGY, format="turtle")
    return graph


def sg_terms(graph: rdflib.Graph) -> set[URIRef]:
    return {
        s
        for t in TERM_TYPES
        for s in graph.subjects(RDF.type, t)
        if isinstance(s, URIRef) and str(s).startswith(str(SG))
    }


def data_files(include_generated: bool = True) -> list[Path]:
    files = sorted(DATA.rglob("*.ttl"))
    if not include_generated:
        # data/territoires/cog-<year>.ttl are generated (tens of thousands of communes);
        # they only use a handful of territory terms and would make the closure slow.
        files = [f for f in files if not f.name.startswith("cog-")]
    return files


def closure(graph: rdflib.Graph) -> rdflib.Graph:
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return graph


def inconsistencies(graph: rdflib.Graph) -> list[str]:
    messages = [str(graph.value(m, ERR.error)) for m in graph.subjects(RDF.type, ERR.ErrorMessage)]
    messages += [f"{s} is an owl:Nothing" for s in graph.subjects(RDF.type, OWL.Nothing)]
    return sorted(messages)


# --------------------------------------------------------------------------- syntax, header


def test_parses_with_oxigraph():
    quads = list(ox.parse(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE, base_iri=BASE))
    assert len(quads) > 1000


def test_header(onto):
    ont = URIRef("https://w3id.org/santegraph/def")
    assert (ont, RDF.type, OWL.Ontology) in onto
    titles = {t.language for t in onto.objects(ont, DCT.title)}
    assert titles == {"fr", "en"}
    assert onto.value(ont, OWL.versionIRI) == URIRef("https://w3id.org/santegraph/def/0.1.0")
    assert str(onto.value(ont, OWL.versionInfo)) == "0.1.0"
    assert onto.value(ont, DCT.license) == URIRef(
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )
    assert str(onto.value(ont, VANN.preferredNamespacePrefix)) == "sg"
    assert str(onto.value(ont, VANN.preferredNamespaceUri)) == str(SG)
    assert onto.value(ont, DCT.created) is not None and onto.value(ont, DCT.modified) is not None
    refs = {str(r) for r in onto.objects(ont, DCT.references)}
    for ns in ("http://www.w3.org/ns/org#", "http://purl.org/vocab/cpsv#", "https://schema.org/"):
        assert ns in refs
    assert not list(onto.objects(ont, OWL.imports)), "no remote imports: the file is self-contained"


# --------------------------------------------------------------------------- documentation


def test_every_term_has_labels_and_definition(onto):
    terms = sg_terms(onto)
    assert len(terms) > 150
    problems = []
    for term in sorted(terms):
        labels = [o for o in onto.objects(term, RDFS.label) if isinstance(o, Literal)]
        langs = sorted(lab.language for lab in labels)
        if langs.count("fr") != 1 or langs.count("en") != 1:
            problems.append(f"{term}: labels {langs}")
        definitions = [d for d in onto.objects(term, SKOS.definition) if d.language == "fr"]
        if len(definitions) != 1 or len(str(definitions[0]).split()) < 6:
            problems.append(f"{term}: needs one real French skos:definition")
    assert not problems, "\n".join(problems)


def test_every_sg_iri_in_the_ontology_is_declared(onto):
    """Catches typos: an sg: IRI used anywhere in the file must be a declared term."""
    declared = sg_terms(onto)
    used = {
        node
        for triple in onto
        for node in triple
        if isinstance(node, URIRef) and str(node).startswith(str(SG))
    }
    assert sorted(used - declared) == []


def test_every_sg_term_used_in_data_is_defined(onto):
    declared = {str(t) for t in sg_terms(onto)}
    store = ox.Store()
    for path in data_files():
        store.bulk_load(
            path=str(path),
            format=ox.RdfFormat.TURTLE,
            base_iri=BASE,
            to_graph=ox.NamedNode(f"urn:file:{path.relative_to(DATA)}"),
        )
    rows = store.query(
        """SELECT DISTINCT ?t ?g WHERE {
             GRAPH ?g { { ?s ?t ?o } UNION { ?s ?p ?t } }
             FILTER(isIRI(?t) && STRSTARTS(STR(?t), "https://w3id.org/santegraph/def#"))
           }"""
    )
    missing: dict[str, set[str]] = {}
    for row in rows:
        if row["t"].value not in declared:
            missing.setdefault(row["t"].value, set()).add(row["g"].value)
    assert not missing, "\n".join(f"{t} used in {sorted(g)}" for t, g in sorted(missing.items()))


def test_domains_and_ranges_are_declared(onto):
    known = sg_terms(onto) | {
        s for t in (OWL.Class, RDFS.Datatype) for s in onto.subjects(RDF.type, t)
    }
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for prop in (RDFS.domain, RDFS.range):
        for _s, o in onto.subject_objects(prop):
            assert o in known or str(o).startswith(xsd), f"{prop} {o} is not declared"


def test_source_terms_point_to_existing_source_documents(onto):
    transcribed = {p.name.removesuffix(".ttl") for p in (DATA / "sources").iterdir()}
    cited = {
        str(o)[len(BASE + "source/") :]
        for o in onto.objects(None, RDFS.seeAlso)
        if str(o).startswith(BASE + "source/")
    }
    assert cited and cited <= transcribed
    if (texts := SOURCE_TEXTS.folder_or_not_made()) is not None:
        assert cited <= {p.stem for p in texts.glob("*.txt")}
    # every term with a sg:termeSource says where the wording comes from
    for term in onto.subjects(SG.termeSource, None):
        assert any(str(o).startswith(BASE + "source/") for o in onto.objects(term, RDFS.seeAlso)), (
            term
        )


# --------------------------------------------------------------------------- modeling.md


def modeling_section(title: str) -> str:
    text = MODELING.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, title
    return match.group(1)


NOT_TERMS = {"EPSM"}  # named in the doc only to say it is not a dispositif kind


def test_every_class_of_the_modeling_guide_exists(onto):
    names = set(re.findall(r"`([A-Z][A-Za-z0-9]*)`", modeling_section("Classes (all `sg:`)")))
    names -= NOT_TERMS
    assert len(names) > 80
    missing = sorted(n for n in names if (SG[n], RDF.type, OWL.Class) not in onto)
    assert missing == []


def test_every_property_of_the_modeling_guide_exists(onto):
    section = modeling_section("Properties (all `sg:` unless prefixed)")
    names = set(re.findall(r"`sg:([A-Za-z][A-Za-z0-9]*)`", section))
    assert len(names) > 60
    assert sorted(n for n in names if SG[n] not in sg_terms(onto)) == []


def test_the_modeling_guide_documents_every_property_the_data_uses(onto):
    """Every predicate of data/ is named in the guide's Properties section (issue 17).

    Names are written as the ontology's prefixes give them (`sg:rubrique`, `dct:audience`);
    a predicate in a namespace without a prefix is reported as its full IRI.
    """
    section = modeling_section("Properties (all `sg:` unless prefixed)")
    prefixes = sorted(
        ((str(ns), prefix) for prefix, ns in onto.namespaces() if prefix),
        key=lambda pair: -len(pair[0]),
    )
    used: dict[str, set[str]] = {}
    for path in sorted((ROOT / "data").rglob("*.ttl")):
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE):
            iri = quad.predicate.value
            name = next((p + ":" + iri[len(ns) :] for ns, p in prefixes if iri.startswith(ns)), iri)
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    undocumented = {
        name: sorted(files)
        for name, files in used.items()
        if not re.search(rf"`{re.escape(name)}(?![A-Za-z0-9])", section) and name != "rdf:type"
    }
    assert len(used) > 100
    assert undocumented == {}


# --------------------------------------------------------------------------- structure

ORGANISATION_KINDS = (
    "CPTS MSP CentreDeSante ESP DAC PTA CMP CCAS CIAS MDA PAEJ CSNP CTS CRSA CLSM".split()
)
NON_ORGANISATION_KINDS = "CLS PTSM CPOM PSSM VIGILANS LigneEcoute DATAPS".split()


def superclasses(graph: rdflib.Graph, cls: URIRef) -> set[URIRef]:
    return set(graph.transitive_objects(cls, RDFS.subClassOf))


def test_dispositif_hierarchy(onto):
    for kind in ORGANISATION_KINDS:
        supers = superclasses(onto, SG[kind])
        assert SG.Dispositif in supers and SG.Acteur in supers, kind
    for kind in NON_ORGANISATION_KINDS:
        supers = superclasses(onto, SG[kind])
        assert SG.Dispositif in supers and SG.Acteur not in supers, kind
    assert superclasses(onto, SG.MAIA) >= {SG.AppuiCoordination, SG.Dispositif}
    assert (SG.DAC, DCT.replaces, SG.MAIA) in onto and (SG.DAC, DCT.replaces, SG.PTA) in onto


def test_dispositif_kinds_are_punned(onto):
    kinds = {c for c in onto.transitive_subjects(RDFS.subClassOf, SG.Dispositif)}
    assert len(kinds) > 40
    for kind in kinds:
        assert (kind, RDF.type, OWL.NamedIndividual) in onto, kind
        assert (kind, RDF.type, OWL.Class) in onto, kind


def test_alignments(onto):
    expected = {
        SG.Acteur: ORG.Organization,
        SG.Service: URIRef("http://purl.org/vocab/cpsv#PublicService"),
        SG.College: ORG.OrganizationalUnit,
        SG.Personne: URIRef("http://xmlns.com/foaf/0.1/Person"),
        SG.Commune: URIRef("http://rdf.insee.fr/def/geo#Commune"),
        SG.Territoire: DCT.Location,
        SG.Concertation: URIRef("https://schema.org/Event"),
        SG.Public: SKOS.Concept,
    }
    for cls, parent in expected.items():
        assert parent in superclasses(onto, cls), cls
    assert (SG.inclusDans, RDF.type, OWL.TransitiveProperty) in onto
    assert (SG.territoireDesservi, RDFS.subPropertyOf, DCT.spatial) in onto
    assert (SG.sigle, RDFS.subPropertyOf, SKOS.altLabel) in onto


# Open Referral HSDS 3 tables and the fields we point to, as named by its tabular schema:
# github.com/openreferral/specification, schema/simple/schema.csv at commit
# 32e5e5ce27814b03bda722d4cc1061be02a35f9e (HSDS publishes no RDF IRI for them, issue #561).
HSDS = {
    "organization": {"id", "name", "alternate_name", "description", "email", "website", "uri"},
    "service": {
        "id",
        "organization_id",
        "name",
        "description",
        "url",
        "email",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "service_areas",
    },
    "service_area": {"id", "service_id", "name", "description", "extent", "uri"},
    "location": {"id", "location_type", "name", "description", "latitude", "longitude"},
    "address": {"id", "location_id", "address_1", "address_2", "city", "postal_code"},
    "organization_identifier": {"id", "organization_id", "identifier_type", "identifier"},
    "attribute": {"id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value"},
    "phone": {"id", "number"},
    "contact": {"id", "name", "email"},
    "program": {"id", "organization_id", "name"},
    "taxonomy_term": {"id", "code", "name", "term_uri"},
}


def test_hsds_correspondences_name_real_hsds_tables_and_fields(onto):
    values = list(onto.subject_objects(SG.champExterne))
    assert len(values) >= 10
    covered = set()
    for term, value in values:
        assert isinstance(value, Literal) and value.datatype == SG.ChampHSDS, (term, value)
        table, _, column = str(value).partition(".")
        assert table in HSDS, (term, value)
        assert not column or column in HSDS[table], (term, value)
        # the annotated term is one the ontology declares (ours, or a reused one)
        assert any(onto.triples((term, RDF.type, None))), term
        covered.add(table)
    # an integrator mapping an HSDS directory finds where its core tables land
    assert {"organization", "service", "service_area", "location", "address"} <= covered


def test_external_code_datatypes_say_where_their_codes_come_from(onto):
    used = {o.datatype for o in onto.objects(None, SG.champExterne)} | {
        SG.CodeDataInclusionPublic,
        SG.CodeDataInclusionThematique,
        SG.CodeRORPublicPrisEnCharge,
    }
    for datatype in used:
        assert (datatype, RDF.type, RDFS.Datatype) in onto, datatype
        assert list(onto.objects(datatype, RDFS.seeAlso)), f"{datatype}: no rdfs:seeAlso"
    # the ROR codes are joined on the FHIR code system URL that ROR data carries
    assert list(onto.objects(SG.CodeRORPublicPrisEnCharge, DCT.source)) == [
        URIRef(
            "https://mos.esante.gouv.fr/NOS/TRE_R239-PublicPrisEnCharge"
            "/FHIR/TRE-R239-PublicPrisEnCharge"
        )
    ]
    # cited sources are pinned to a commit, so the codes read can be checked again
    for datatype in (SG.CodeRORPublicPrisEnCharge, SG.ChampHSDS):
        cited = [str(o) for p in (RDFS.seeAlso, DCT.source) for o in onto.objects(datatype, p)]
        assert any(re.search(r"github\.com/.+/blob/[0-9a-f]{40}/", c) for c in cited), datatype


def test_no_hsds_note_left_outside_the_machine_readable_mapping(onto):
    """HSDS correspondences live in sg:champExterne only (one source of truth)."""
    holders = {s for s, note in onto.subject_objects(SKOS.note) if "HSDS" in str(note)}
    assert holders == {SG.ChampHSDS}


# --------------------------------------------------------------------------- reasoning

FIXTURE = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<acteur/msp-a> a sg:MSP ; sg:sigle "MSPA"@fr ; sg:localisation <territoire/commune/59350> .
<acteur/cpts-b> a sg:CPTS ; sg:porte <acteur/csnp-b> .
<acteur/csnp-b> a sg:CSNP .
<acteur/cs-c> a sg:CentreDeSante .
<acteur/clsm-d> a sg:CLSM .
<contrat/cls-e> a sg:CLS .
<proposition/x/1> a sg:Proposition ; sg:mobiliseType sg:CLSM ; sg:impliqueType sg:URPS .
<territoire/commune/59350> a sg:Commune ; sg:inclusDans <territoire/epci/245900410> .
<territoire/epci/245900410> a sg:EPCI ; sg:inclusDans <territoire/departement/59> .
<territoire/departement/59> a sg:Departement .
"""


@pytest.fixture(scope="module")
def reasoned_fixture(onto) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in onto:
        graph.add(triple)
    graph.parse(data=FIXTURE, format="turtle", publicID=BASE)
    return closure(graph)


def test_inconsistency_detection_is_not_vacuous():
    """The helper does see what owlrl reports (here a disjointness clash)."""
    graph = rdflib.Graph()
    graph.parse(
        data="""@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix ex: <urn:ex:> .
                ex:A owl:disjointWith ex:B . ex:x a ex:A, ex:B .""",
        format="turtle",
    )
    assert inconsistencies(closure(graph)) != []


def test_owlrl_closure_of_ontology_and_fixture_is_consistent(reasoned_fixture):
    assert inconsistencies(reasoned_fixture) == []


def test_owlrl_infers_the_expected_types(reasoned_fixture):
    g = reasoned_fixture
    msp, clsm, cls = URIRef(BASE + "acteur/msp-a"), URIRef(BASE + "acteur/clsm-d"), None
    cls = URIRef(BASE + "contrat/cls-e")
    assert (msp, RDF.type, SG.Acteur) in g and (msp, RDF.type, ORG.Organization) in g
    assert (msp, SKOS.altLabel, Literal("MSPA", lang="fr")) in g
    assert (clsm, RDF.type, SG.Acteur) in g
    assert (cls, RDF.type, SG.Dispositif) in g and (cls, RDF.type, SG.Acteur) not in g
    commune = URIRef(BASE + "territoire/commune/59350")
    assert (commune, SG.inclusDans, URIRef(BASE + "territoire/departement/59")) in g
    # punned kinds used as values are not turned into organisations or territories
    for kind in (SG.CLSM, SG.URPS):
        assert (kind, RDF.type, SG.Acteur) not in g
        assert (kind, RDF.type, SG.Territoire) not in g


def test_owlrl_closure_of_ontology_and_content_is_consistent(onto):
    graph = rdflib.Graph()
    for triple in onto:
        graph.add(triple)
    for path in data_files(include_generated=False):
        graph.parse(path, format="turtle", publicID=BASE)
    graph = closure(graph)
    assert inconsistencies(graph) == []
    # soundness of domains/ranges on the real content: no nonsense types inferred
    clashes = [
        (SG.Acteur, SG.Territoire),
        (SG.Acteur, SG.Personne),
        (SG.Acteur, SKOS.Concept),
        (SG.Territoire, SKOS.Concept),
        (SG.Personne, SG.Territoire),
    ]
    for a, b in clashes:
        both = set(graph.subjects(RDF.type, a)) & set(graph.subjects(RDF.type, b))
        assert not both, f"typed both {a} and {b}: {sorted(both)[:5]}"


def test_coordination_structures_by_plain_sparql():
    store = ox.Store()
    store.bulk_load(path=str(ONTOLOGY), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    store.load(FIXTURE, format=ox.RdfFormat.TURTLE, base_iri=BASE)
    query = (
        SG_PREFIX
        + RDFS_PREFIX
        + "SELECT ?x WHERE { ?x a/rdfs:subClassOf* sg:ExerciceCoordonne } ORDER BY ?x"
    )
    found = [row["x"].value for row in store.query(query)]
    assert found == [BASE + "acteur/cpts-b", BASE + "acteur/cs-c", BASE + "acteur/msp-a"]
    query = SG_PREFIX + RDFS_PREFIX + "SELECT ?x WHERE { ?x a/rdfs:subClassOf* sg:Acteur }"
    acteurs = {row["x"].value for row in store.query(query)}
    assert BASE + "acteur/csnp-b" in acteurs and BASE + "contrat/cls-e" not in acteurs


# --------------------------------------------------------------------------- generated vocab.py


def test_vocab_py_is_up_to_date():
    sys.path.insert(0, str(ROOT / "src"))
    try:
        from santegraph.tools import gen_vocab

        committed = (ROOT / "src" / "santegraph" / "vocab.py").read_text(encoding="utf-8")
        assert gen_vocab.render(ONTOLOGY) == committed, "run python -m santegraph.tools.gen_vocab"
        assert gen_vocab.main(["--check"]) == 0
    finally:
        sys.path.remove(str(ROOT / "src"))


def test_vocab_py_defined_namespace():
    sys.path.insert(0, str(ROOT / "src"))
    try:
        from santegraph.vocab import SG as GeneratedSG
    finally:
        sys.path.remove(str(ROOT / "src"))
    assert GeneratedSG.Acteur == URIRef(str(SG) + "Acteur")
    assert GeneratedSG.inclusDans == URIRef(str(SG) + "inclusDans")
    with pytest.raises(AttributeError):
        GeneratedSG.NotATerm  # noqa: B018
