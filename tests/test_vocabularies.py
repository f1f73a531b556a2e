"""The controlled vocabularies of data/vocabulaires: SKOS hygiene and agreement with the doc."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[1]
VOCAB_DIR = ROOT / "data" / "vocabulaires"
MODELING = ROOT / "docs" / "modeling.md"
BASE = "https://w3id.org/santegraph/id/"
SG = "https://w3id.org/santegraph/def#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PREFIXES = f"""
BASE <{BASE}>
PREFIX sg: <{SG}>
PREFIX skos: <{SKOS}>
PREFIX dct: <http://purl.org/dc/terms/>
"""
CONCEPT_KINDS = (
    "public|besoin|role|secteur|statut-action|mode-accueil|role-mandat|statut-presence"
    "|type-probleme|statut-perimetre|grandeur|qualificatif|nature-chiffre|moment|certitude"
    "|fonction|role-participation"
)


# --------------------------------------------------------------------------- the doc's lists


def doc_vocabularies() -> dict[str, dict]:
    """scheme name -> {"cls": sg class or None, "concepts": [...], "narrower": [(parent, child)]}.

    Read from the "Controlled vocabularies" section, so the doc and the data cannot drift.
    """
    text = MODELING.read_text(encoding="utf-8")
    section = text.split("## Controlled vocabularies", 1)[1]
    result: dict[str, dict] = {}
    for bullet in re.split(r"\n- ", section)[1:]:
        head = re.match(r"`schema/([a-z-]+)`(?: \(`sg:([A-Za-z]+)`\))?", bullet)
        assert head, bullet[:60]
        concepts = re.findall(rf"`((?:{CONCEPT_KINDS})/[a-z0-9-]+)`", bullet)
        narrower = []
        for parent, children in re.findall(r"`([a-z-]+/[a-z0-9-]+)`\s*\(⊒ ([^)]*)\)", bullet):
            for child in re.findall(r"`([a-z-]+/[a-z0-9-]+)`", children):
                narrower.append((parent, child))
        result[head.group(1)] = {
            "cls": head.group(2),
            "concepts": list(dict.fromkeys(concepts)),
            "narrower": narrower,
        }
    return result


DOC = doc_vocabularies()


def test_doc_parsing_found_the_lists():
    assert len(DOC) == 17
    assert len(DOC["publics"]["concepts"]) >= 25
    assert ("public/jeunes-moins-25", "public/adolescents") in DOC["publics"]["narrower"]
    assert ("besoin/prevention", "besoin/vaccination") in DOC["besoins"]["narrower"]


# --------------------------------------------------------------------------- the data


def load_vocabularies(store: ox.Store) -> ox.Store:
    """Every scheme of data/vocabulaires/ into its own named graph, as the loader names it."""
    for path in sorted(VOCAB_DIR.glob("*.ttl")):
        store.bulk_load(
            path=str(path),
            format=ox.RdfFormat.TURTLE,
            base_iri=BASE,
            to_graph=ox.NamedNode(f"{BASE}graph/vocabulaires/{path.stem}"),
        )
    return store


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_vocabularies(ox.Store())


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    results = store.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in results]


def rel(iri: str) -> str:
    assert iri.startswith(BASE), iri
    return iri[len(BASE) :]


def test_files_are_relative_and_one_scheme_each():
    files = sorted(VOCAB_DIR.glob("*.ttl"))
    assert {f.stem for f in files} == set(DOC)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "@base" not in text.lower() and BASE not in text, path.name
        assert text.count("a skos:ConceptScheme") == 1, path.name


def test_every_scheme_of_the_doc_exists_with_titles(store):
    rows = select(
        store,
        """SELECT ?s ?g (GROUP_CONCAT(LANG(?t)) AS ?langs) WHERE {
             GRAPH ?g { ?s a skos:ConceptScheme ; dct:title ?t } } GROUP BY ?s ?g""",
    )
    schemes = {rel(r["s"]): (rel(r["g"]), sorted(r["langs"].split())) for r in rows}
    assert set(schemes) == {f"schema/{name}" for name in DOC}
    for name in DOC:
        graph, langs = schemes[f"schema/{name}"]
        assert graph == f"graph/vocabulaires/{name}"
        assert langs == ["en", "fr"]


def test_every_concept_of_the_doc_exists_in_its_scheme(store):
    rows = select(store, "SELECT ?c ?s WHERE { ?c skos:inScheme ?s }")
    in_scheme = defaultdict(set)
    for r in rows:
        in_scheme[rel(r["c"])].add(rel(r["s"]))
    types = defaultdict(set)
    for r in select(store, "SELECT ?c ?t WHERE { ?c a ?t }"):
        types[r["c"]].add(r["t"])
    problems = []
    for name, spec in DOC.items():
        for concept in spec["concepts"]:
            if in_scheme.get(concept) != {f"schema/{name}"}:
                problems.append(f"{concept}: schemes {in_scheme.get(concept)}")
            expected = {SKOS + "Concept"} | ({SG + spec["cls"]} if spec["cls"] else set())
            if not expected <= types[BASE + concept]:
                problems.append(f"{concept}: types {types[BASE + concept]}")
    assert not problems, "\n".join(problems)


def test_doc_hierarchy_is_in_the_data(store):
    broader = {
        (rel(r["p"]), rel(r["c"]))
        for r in select(store, "SELECT ?c ?p WHERE { ?c skos:broader ?p }")
    }
    expected = [pair for spec in DOC.values() for pair in spec["narrower"]]
    assert len(expected) >= 15
    assert sorted(set(expected) - broader) == []


def test_each_concept_labels_definition_and_single_scheme(store):
    rows = select(
        store,
        """SELECT ?c
                  (COUNT(DISTINCT ?s) AS ?schemes)
                  (COUNT(DISTINCT ?fr) AS ?fr_labels)
                  (COUNT(DISTINCT ?en) AS ?en_labels)
                  (COUNT(DISTINCT ?d) AS ?definitions)
           WHERE {
             ?c a skos:Concept .
             OPTIONAL { ?c skos:inScheme ?s }
             OPTIONAL { ?c skos:prefLabel ?fr FILTER(LANG(?fr) = "fr") }
             OPTIONAL { ?c skos:prefLabel ?en FILTER(LANG(?en) = "en") }
             OPTIONAL { ?c skos:definition ?d FILTER(LANG(?d) = "fr") }
           } GROUP BY ?c""",
    )
    assert len(rows) >= 100
    for r in rows:
        counts = (r["schemes"], r["fr_labels"], r["en_labels"], r["definitions"])
        assert counts == ("1", "1", "1", "1"), f"{r['c']}: {counts}"


def test_pref_labels_unique_within_a_scheme(store):
    rows = select(
        store,
        """SELECT ?s ?l (COUNT(?c) AS ?n) WHERE {
             ?c skos:inScheme ?s ; skos:prefLabel ?l FILTER(LANG(?l) = "fr")
           } GROUP BY ?s ?l HAVING (COUNT(?c) > 1)""",
    )
    assert rows == []


def test_broader_stays_in_scheme_and_top_concepts_agree(store):
    crossing = select(
        store,
        """SELECT ?c ?p WHERE {
             ?c skos:broader ?p ; skos:inScheme ?s .
             FILTER NOT EXISTS { ?p skos:inScheme ?s } }""",
    )
    assert crossing == []
    # a concept is a top concept exactly when it has no broader concept
    wrong_tops = select(
        store,
        """SELECT ?c WHERE { ?c skos:inScheme ?s .
             { ?c skos:topConceptOf ?s ; skos:broader ?p }
             UNION
             { FILTER NOT EXISTS { ?c skos:broader ?any }
               FILTER NOT EXISTS { ?c skos:topConceptOf ?s } }
             UNION
             { ?c skos:topConceptOf ?s FILTER NOT EXISTS { ?s skos:hasTopConcept ?c } } }""",
    )
    assert wrong_tops == []


def test_no_broader_cycles(store):
    parents: dict[str, set[str]] = defaultdict(set)
    for r in select(store, "SELECT ?c ?p WHERE { ?c skos:broader ?p }"):
        parents[r["c"]].add(r["p"])
    assert parents

    def has_cycle(node: str, path: frozenset[str]) -> bool:
        if node in path:
            return True
        return any(has_cycle(p, path | {node}) for p in parents.get(node, ()))

    assert [c for c in list(parents) if has_cycle(c, frozenset())] == []


# Lexical form of each nomenclature's codes (the datatype of an sg:codeExterne literal).
CODE_PATTERNS = {
    SG + "CodeDataInclusionPublic": r"[a-z0-9-]+",
    SG + "CodeDataInclusionThematique": r"[a-z0-9-]+",
    SG + "CodeRORPublicPrisEnCharge": r"[0-9]{2}",
}


def test_external_codes_are_typed(store):
    rows = select(
        store, "SELECT ?c ?code (DATATYPE(?code) AS ?dt) WHERE { ?c sg:codeExterne ?code }"
    )
    assert len(rows) > 20
    for r in rows:
        assert r["dt"] in CODE_PATTERNS, r
        assert re.fullmatch(CODE_PATTERNS[r["dt"]], r["code"]), r
    assert {r["dt"] for r in rows} == set(CODE_PATTERNS)


# --------------------------------------------------------------------------- ROR TRE_R239

ROR = SG + "CodeRORPublicPrisEnCharge"
TRE_R239_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R239-PublicPrisEnCharge/FHIR/TRE-R239-PublicPrisEnCharge"
)
# TRE_R239 "Public pris en charge", version of 2023-01-27, as the ANS publishes it:
# github.com/ansforge/IG-NOS, ig/allNos2/CodeSystem-TRE-R239-PublicPrisEnCharge.ttl at commit
# b8b0cc32cc5e1471d417d6d3a3dd17bfb0fce3e9 (display, then the "LibelleAdapte" designation).
TRE_R239 = {
    "01": "Personnes âgées en perte d'autonomie et aidants",
    "02": "Personnes en situation de handicap et aidants",
    "03": "Personnes âgées autonomes",
    "04": "Personnes présentant une addiction",
    "05": "Personnes handicapées vieillissantes",
    "06": "Personnes en situation de précarité",
    "07": "Tout public",
    "08": "Etudiants",
}


def ror_codes(store: ox.Store) -> dict[str, set[str]]:
    """concept (relative IRI) -> its TRE_R239 codes."""
    rows = select(
        store,
        f"SELECT ?c ?code WHERE {{ ?c sg:codeExterne ?code FILTER(DATATYPE(?code) = <{ROR}>) }}",
    )
    codes: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        codes[rel(r["c"])].add(r["code"])
    return codes


def fold(label: str) -> str:
    """Case and accents folded, so « Étudiants » and « Etudiants » compare equal."""
    return "".join(
        ch for ch in unicodedata.normalize("NFD", label.casefold()) if not unicodedata.combining(ch)
    )


def test_ror_codes_are_tre_r239_codes_on_declared_publics(store):
    codes = ror_codes(store)
    assert len(codes) >= 10
    publics = {
        rel(r["c"])
        for r in select(
            store,
            """SELECT ?c WHERE { ?c a sg:Public, skos:Concept ; skos:inScheme <schema/publics> ;
                                    skos:prefLabel ?l FILTER(LANG(?l) = "fr") }""",
        )
    }
    for concept, values in codes.items():
        assert concept in publics, concept
        assert values <= set(TRE_R239), (concept, values)
        # a closest value, not a list: two codes only where the concept covers both
        assert len(values) <= 2, (concept, values)


def test_a_public_named_like_a_tre_r239_code_carries_it(store):
    """Where our French label and the ANS label are the same words, the code must be there."""
    codes = ror_codes(store)
    labels = select(
        store,
        """SELECT ?c ?l WHERE { ?c a sg:Public ; skos:prefLabel ?l FILTER(LANG(?l) = "fr") }""",
    )
    by_label = {fold(r["l"]): rel(r["c"]) for r in labels}
    same = {
        code: by_label[fold(label)] for code, label in TRE_R239.items() if fold(label) in by_label
    }
    assert set(same) >= {"06", "07", "08"}
    for code, concept in same.items():
        assert code in codes.get(concept, set()), (concept, code)


def test_the_scheme_note_tells_the_tre_r239_version(store):
    notes = select(store, "SELECT ?n WHERE { <schema/publics> skos:note ?n }")
    ror = [r["n"] for r in notes if "TRE_R239" in r["n"]]
    assert len(ror) == 1 and "2023" in ror[0] and "ansforge/IG-NOS" in ror[0]
    assert "non établie" not in ror[0]


def test_an_integrator_finds_our_publics_from_a_ror_coding():
    """A ROR record carries (system, code) pairs; the ontology ties the system to our datatype."""
    store = ox.Store()
    store.bulk_load(
        path=str(ROOT / "ontology" / "santegraph.ttl"),
        format=ox.RdfFormat.TURTLE,
        base_iri=BASE,
        to_graph=ox.NamedNode(f"{BASE}graph/ontologie"),
    )
    load_vocabularies(store)
    query = f"""SELECT ?public ?code WHERE {{
        VALUES (?systeme ?code) {{ (<{TRE_R239_SYSTEM}> "06") (<{TRE_R239_SYSTEM}> "03") }}
        ?type dct:source ?systeme .
        ?public sg:codeExterne ?valeur .
        FILTER(DATATYPE(?valeur) = ?type && STR(?valeur) = ?code) }}"""
    found = {(rel(r["public"]), r["code"]) for r in select(store, query)}
    assert found == {
        ("public/personnes-precarite", "06"),
        ("public/personnes-sans-domicile", "06"),
        ("public/jeunes-moins-25-precarite", "06"),
        ("public/personnes-agees", "03"),
    }


# --------------------------------------------------------------------------- sector colours


def _linear(channel: float) -> float:
    channel /= 255
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _rgb(hex_colour: str) -> list[float]:
    return [_linear(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5)]


def contrast_on_white(hex_colour: str) -> float:
    r, g, b = _rgb(hex_colour)
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


# Viénot, Brettel & Mollon (1999) dichromacy simulation, in linear RGB.
PROTAN = ((0.11238, 0.88762, 0.0), (0.11238, 0.88762, 0.0), (0.00401, -0.00401, 1.0))
DEUTAN = ((0.29275, 0.70725, 0.0), (0.29275, 0.70725, 0.0), (-0.02234, 0.02234, 1.0))


def lab(hex_colour: str, matrix=None) -> tuple[float, float, float]:
    rgb = _rgb(hex_colour)
    if matrix is not None:
        rgb = [
            min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in matrix
        ]
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))


def test_sector_colours(store):
    rows = select(
        store,
        """SELECT ?c (GROUP_CONCAT(?col) AS ?cols) WHERE {
             ?c skos:inScheme <schema/secteurs> OPTIONAL { ?c sg:couleur ?col } } GROUP BY ?c""",
    )
    assert len(rows) == len(DOC["secteurs"]["concepts"]) == 12
    colours = {}
    for r in rows:
        values = r["cols"].split()
        assert len(values) == 1 and re.fullmatch(r"#[0-9A-F]{6}", values[0]), r
        colours[r["c"]] = values[0]
        assert contrast_on_white(values[0]) >= 3.0, r
    assert len(set(colours.values())) == len(colours)
    # pairwise still distinguishable (CIE76 ΔE >= 10) for typical, protan and deutan vision
    for (c1, h1), (c2, h2) in itertools.combinations(colours.items(), 2):
        for matrix in (None, PROTAN, DEUTAN):
            assert math.dist(lab(h1, matrix), lab(h2, matrix)) >= 10, (c1, c2, matrix)


def test_contrast_helper_is_sane():
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#FFFFFF") == pytest.approx(1.0)
    assert contrast_on_white("#777777") == pytest.approx(4.48, abs=0.01)
