"""Territory reference data: the COG importer (on a hand-written fixture) and the committed
data/territoires/ files (COG 2022 and COG 2026 vintages of Hauts-de-France, and the TAS)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[1]

from santegraph import territories  # noqa: E402
from santegraph.territories import CogError, import_cog, main, write_cog  # noqa: E402

from .external import SourceText  # noqa: E402

BASE = "https://w3id.org/santegraph/id/"
SG = "https://w3id.org/santegraph/def#"
FIXTURE = ROOT / "tests" / "data" / "territoires" / "pkg"
EXPECTED = ROOT / "tests" / "data" / "territoires" / "expected-cog-2022-region-32.ttl"
DATA = ROOT / "data" / "territoires"
VINTAGES = {2022: "2.3.1", 2026: "6.0.0"}  # COG year -> @etalab/decoupage-administratif
ARCHIVED = {2022}  # imported with --archive: territoire/cog-2022/... IRIs


def terr(year: int, rel: str) -> str:
    """The IRI (relative, in <>) of a territory in a vintage: archived ones have their own."""
    return f"<territoire/cog-{year}/{rel}>" if year in ARCHIVED else f"<territoire/{rel}>"


PREFIXES = f"""
BASE <{BASE}>
PREFIX sg: <{SG}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def parse(text: str) -> set[ox.Triple]:
    return set(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE, base_iri=BASE))


def n(rel: str) -> ox.NamedNode:
    return ox.NamedNode(BASE + rel)


def sg(local: str) -> ox.NamedNode:
    return ox.NamedNode(SG + local)


RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREF = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
REPLACED = ox.NamedNode("http://purl.org/dc/terms/isReplacedBy")


def objects(triples: set[ox.Triple], s: ox.NamedNode, p: ox.NamedNode) -> set:
    return {t.object for t in triples if t.subject == s and t.predicate == p}


# --- the importer, on the fixture ---------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_triples() -> set[ox.Triple]:
    return parse(import_cog(FIXTURE, 2022))


def test_fixture_output_is_exactly_the_reviewed_file():
    assert import_cog(FIXTURE, 2022) == EXPECTED.read_text(encoding="utf-8")


def test_fixture_output_is_deterministic(tmp_path):
    first = write_cog(FIXTURE, 2022, out_dir=tmp_path / "a").read_bytes()
    second = write_cog(FIXTURE, 2022, out_dir=tmp_path / "b").read_bytes()
    assert first == second
    assert b"@base" not in first and b"https://w3id.org/santegraph/id/" not in first


def test_fixture_region_departements_and_classes(fixture_triples):
    t = fixture_triples
    typed = {
        (s.subject.value.removeprefix(BASE), s.object.value.removeprefix(SG))
        for s in t
        if s.predicate == RDF_TYPE and s.subject.value.startswith(BASE + "territoire/")
    }
    assert typed == {
        ("territoire/region/32", "Region"),
        ("territoire/departement/59", "Departement"),
        ("territoire/departement/62", "Departement"),
        ("territoire/departement/80", "Departement"),
        ("territoire/epci/200000001", "EPCI"),
        ("territoire/epci/245900428", "EPCI"),
        ("territoire/epci/247600588", "EPCI"),
        ("territoire/commune/59006", "Commune"),
        ("territoire/commune/59183", "Commune"),
        ("territoire/commune/59350", "Commune"),
        ("territoire/commune/62041", "Commune"),
        ("territoire/commune/80507", "Commune"),
    }  # no Corsican, Norman, délégué or associé commune; no EPCI without a member in 32
    assert objects(t, n("territoire/region/32"), PREF) == {
        ox.Literal("Hauts-de-France", language="fr")
    }
    assert objects(t, n("territoire/departement/62"), sg("inclusDans")) == {
        n("territoire/region/32")
    }


def test_fixture_keeps_the_article_of_each_name(fixture_triples):
    """The COG's type de nom en clair (package field typeLiaison) becomes sg:codeArticle:
    the pages write « dans le Nord », « dans les Hauts-de-France », « à Dunkerque »."""
    article = sg("codeArticle")
    assert objects(fixture_triples, n("territoire/departement/59"), article) == {ox.Literal("2")}
    assert objects(fixture_triples, n("territoire/region/32"), article) == {ox.Literal("4")}
    assert objects(fixture_triples, n("territoire/commune/59183"), article) == {ox.Literal("0")}
    # EPCI carry none in the package: the pages read their name ("CU de ...")
    assert not objects(fixture_triples, n("territoire/epci/245900428"), article)


def test_fixture_commune_block(fixture_triples):
    t, dk = fixture_triples, n("territoire/commune/59183")
    assert objects(t, dk, PREF) == {ox.Literal("Dunkerque", language="fr")}
    assert objects(t, dk, sg("codeInsee")) == {ox.Literal("59183")}
    assert objects(t, dk, sg("siren")) == {ox.Literal("200027159")}
    assert objects(t, dk, sg("codeRegion")) == {ox.Literal("32")}
    assert objects(t, dk, sg("codePostal")) == {ox.Literal(c) for c in ("59140", "59240", "59640")}
    assert objects(t, dk, sg("population")) == {
        ox.Literal("86545", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    }
    assert objects(t, dk, sg("millesimeCOG")) == {
        ox.Literal("2022", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear"))
    }
    assert objects(t, dk, sg("inclusDans")) == {
        n("territoire/departement/59"),
        n("territoire/epci/245900428"),
    }
    assert objects(t, dk, ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")) == {
        n("dataset/cog-2022")
    }
    # optional fields absent in the data are simply omitted
    assert objects(t, n("territoire/commune/62041"), sg("population")) == set()
    # a commune in no EPCI only has its département as parent
    assert objects(t, n("territoire/commune/59006"), sg("inclusDans")) == {
        n("territoire/departement/59")
    }
    assert objects(t, n("territoire/commune/59006"), PREF) == {
        ox.Literal("L'Orée de Mormal", language="fr")
    }


def test_fixture_epci_parents(fixture_triples):
    t = fixture_triples
    # all members in one département -> that département
    assert objects(t, n("territoire/epci/245900428"), sg("inclusDans")) == {
        n("territoire/departement/59")
    }
    # members in two départements of the region -> the région, with a note
    assert objects(t, n("territoire/epci/200000001"), sg("inclusDans")) == {
        n("territoire/region/32")
    }
    note = objects(
        t, n("territoire/epci/200000001"), ox.NamedNode("http://www.w3.org/2004/02/skos/core#note")
    )
    assert len(note) == 1 and "59 et 62" in next(iter(note)).value
    # members outside the region -> not included in the région (it is not), recorded instead
    villes_soeurs = n("territoire/epci/247600588")
    assert objects(t, villes_soeurs, sg("inclusDans")) == set()
    assert objects(t, villes_soeurs, sg("codeRegion")) == {ox.Literal("28"), ox.Literal("32")}
    note = objects(t, villes_soeurs, ox.NamedNode("http://www.w3.org/2004/02/skos/core#note"))
    assert "interrégional" in next(iter(note)).value and "76" in next(iter(note)).value
    # its Norman member commune is not described
    assert not any(x.subject == n("territoire/commune/76217") for x in t)


def test_fixture_former_codes_and_dataset(fixture_triples):
    t = fixture_triples
    assert objects(t, n("territoire/commune/59070"), REPLACED) == {n("territoire/commune/59006")}
    assert objects(t, n("territoire/commune/59540"), REPLACED) == {n("territoire/commune/59183")}
    assert objects(t, n("territoire/commune/59248"), REPLACED) == {n("territoire/commune/59183")}
    ds = n("dataset/cog-2022")
    assert objects(t, ds, RDF_TYPE) == {ox.NamedNode("http://www.w3.org/ns/dcat#Dataset")}
    assert objects(t, ds, ox.NamedNode("http://purl.org/dc/terms/license")) == {
        ox.NamedNode("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
    }
    assert objects(t, ds, ox.NamedNode("http://purl.org/dc/terms/source")) == {
        ox.Literal("npm @etalab/decoupage-administratif 0.0.0-fixture")
    }


def test_fixture_corsican_codes_2a_2b():
    t = parse(import_cog(FIXTURE, 2022, region_code="94"))
    assert objects(t, n("territoire/departement/2A"), RDF_TYPE) == {sg("Departement")}
    assert objects(t, n("territoire/departement/2B"), sg("codeInsee")) == {ox.Literal("2B")}
    assert objects(t, n("territoire/commune/2A004"), sg("inclusDans")) == {
        n("territoire/departement/2A"),
        n("territoire/epci/242010056"),
    }
    assert objects(t, n("territoire/commune/2B033"), sg("inclusDans")) == {
        n("territoire/departement/2B")
    }
    assert objects(t, n("territoire/epci/242010056"), sg("inclusDans")) == {
        n("territoire/departement/2A")
    }
    assert objects(t, n("territoire/commune/20004"), REPLACED) == {n("territoire/commune/2A004")}
    assert not any(x.subject == n("territoire/commune/59183") for x in t)


def test_errors_and_cli(tmp_path, capsys):
    with pytest.raises(CogError, match="region '99'"):
        import_cog(FIXTURE, 2022, region_code="99")
    with pytest.raises(CogError, match="missing"):
        import_cog(tmp_path, 2022)
    assert main(["--package-dir", str(tmp_path), "--year", "2022"]) == 2
    out_dir = tmp_path / "out"
    assert main(["--package-dir", str(FIXTURE), "--year", "2022", "--out-dir", str(out_dir)]) == 0
    assert "5 Commune, 3 Departement, 3 EPCI, 1 Region" in capsys.readouterr().out
    assert (out_dir / "cog-2022.ttl").read_text(encoding="utf-8") == EXPECTED.read_text(
        encoding="utf-8"
    )


# --- the committed data files ---------------------------------------------------------------


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """data/territoires/*.ttl, each in its named graph graph/territoires/<stem> (loader rule)."""
    st = ox.Store()
    for path in sorted(DATA.glob("*.ttl")):
        st.load(
            path=str(path),
            format=ox.RdfFormat.TURTLE,
            base_iri=BASE,
            to_graph=n(f"graph/territoires/{path.stem}"),
        )
    return st


def select(st: ox.Store, query: str) -> list[tuple]:
    return [
        tuple(None if v is None else v.value for v in row) for row in st.query(PREFIXES + query)
    ]


def ask(st: ox.Store, query: str) -> bool:
    return bool(st.query(PREFIXES + query))


def count(st: ox.Store, year: int, cls: str) -> int:
    rows = select(
        st,
        f"SELECT (COUNT(?s) AS ?n) {{ GRAPH <graph/territoires/cog-{year}> {{ ?s a sg:{cls} }} }}",
    )
    return int(rows[0][0])


# Counts measured on the pinned packages: communes = entries of data/communes.json with
# type == "commune-actuelle" (COG type COM) and region == "32"; EPCI = entries of
# data/epci.json with at least one such member.  2.3.1 = COG 2022, 6.0.0 = COG 2026.
EXPECTED_COUNTS = {
    2022: {"Region": 1, "Departement": 5, "EPCI": 92, "Commune": 3788},
    2026: {"Region": 1, "Departement": 5, "EPCI": 92, "Commune": 3782},
}
COMMUNES_PER_DEPARTEMENT = {
    2022: {"02": 799, "59": 648, "60": 679, "62": 890, "80": 772},
    2026: {"02": 797, "59": 647, "60": 680, "62": 887, "80": 771},
}


def ask_in(st: ox.Store, graph: str, pattern: str) -> bool:
    """ASK whether ``pattern`` matches in graph/territoires/<graph>."""
    return ask(st, f"ASK {{ GRAPH <graph/territoires/{graph}> {{ {pattern} }} }}")


@pytest.mark.parametrize("year", sorted(VINTAGES))
def test_vintage_counts(store, year):
    assert {cls: count(store, year, cls) for cls in EXPECTED_COUNTS[year]} == EXPECTED_COUNTS[year]
    rows = select(
        store,
        f"""SELECT ?code (COUNT(?c) AS ?n) {{ GRAPH <graph/territoires/cog-{year}> {{
              ?c a sg:Commune ; sg:inclusDans ?d . ?d a sg:Departement ; sg:codeInsee ?code }} }}
            GROUP BY ?code""",
    )
    assert {code: int(k) for code, k in rows} == COMMUNES_PER_DEPARTEMENT[year]


@pytest.mark.parametrize("year", sorted(VINTAGES))
def test_every_commune_in_one_departement_and_at_most_one_epci(store, year):
    g = f"<graph/territoires/cog-{year}>"
    bad_dept = select(
        store,
        f"""SELECT ?c (COUNT(?d) AS ?n) {{ GRAPH {g} {{ ?c a sg:Commune
              OPTIONAL {{ ?c sg:inclusDans ?d . ?d a sg:Departement }} }} }}
            GROUP BY ?c HAVING (COUNT(?d) != 1)""",
    )
    assert bad_dept == []
    bad_epci = select(
        store,
        f"""SELECT ?c {{ GRAPH {g} {{ ?c a sg:Commune ; sg:inclusDans ?e1, ?e2 .
              ?e1 a sg:EPCI . ?e2 a sg:EPCI FILTER (?e1 != ?e2) }} }}""",
    )
    assert bad_epci == []
    cog = f"cog-{year}"
    # in Hauts-de-France every commune belongs to an EPCI in both vintages
    assert not ask_in(
        store, cog, "?c a sg:Commune FILTER NOT EXISTS { ?c sg:inclusDans/a sg:EPCI }"
    )
    # every commune has a French name, a postal code and a population
    assert not ask_in(
        store,
        cog,
        """?c a sg:Commune
           FILTER NOT EXISTS { ?c skos:prefLabel ?l ; sg:codePostal ?p ; sg:population ?n }""",
    )


@pytest.mark.parametrize("year", sorted(VINTAGES))
def test_transitive_containment(store, year):
    cog = f"cog-{year}"
    dunkerque, region = terr(year, "commune/59183"), terr(year, "region/32")
    assert ask_in(store, cog, f"{dunkerque} sg:inclusDans+ {region}")
    assert ask_in(
        store,
        cog,
        f"""{dunkerque} sg:inclusDans ?e .
            ?e a sg:EPCI ; sg:siren "245900428" ; skos:prefLabel "CU de Dunkerque"@fr""",
    )
    # every commune reaches the région
    assert not ask_in(
        store,
        cog,
        f"?c a sg:Commune FILTER NOT EXISTS {{ ?c sg:inclusDans+ {region} }}",
    )


def test_interregional_epci_is_recorded_not_included(store):
    for year in VINTAGES:
        aumale_blangy = terr(year, "epci/200069722")  # members in Somme (32) and Seine-Maritime
        rows = select(
            store,
            f"""SELECT ?r {{ GRAPH <graph/territoires/cog-{year}> {{
                  {aumale_blangy} sg:codeRegion ?r }} }}""",
        )
        assert sorted(r[0] for r in rows) == ["28", "32"]
        assert not ask_in(store, f"cog-{year}", f"{aumale_blangy} sg:inclusDans ?x")
        assert ask_in(store, f"cog-{year}", f"{aumale_blangy} skos:note ?n")
    # CC Flandre Lys straddles Nord and Pas-de-Calais: attached to the région
    flandre_lys, region = terr(2022, "epci/245900758"), terr(2022, "region/32")
    assert ask_in(store, "cog-2022", f"{flandre_lys} sg:inclusDans {region}")


def label(store, year, code) -> list[str]:
    q = f"""SELECT ?l {{ GRAPH <graph/territoires/cog-{year}> {{
              {terr(year, "commune/" + code)} a sg:Commune ; skos:prefLabel ?l }} }}"""
    return [r[0] for r in select(store, q)]


def test_both_vintages_answerable(store):
    # Bermeries merged into L'Orée de Mormal (59006): a commune in 2022 only
    assert label(store, 2022, "59070") == ["Bermeries"]
    assert label(store, 2026, "59070") == []
    assert label(store, 2026, "59006") == ["L'Orée de Mormal"]
    assert label(store, 2022, "59006") == ["Amfroipret"]
    assert ask_in(
        store,
        "cog-2026",
        "<territoire/commune/59070> dct:isReplacedBy <territoire/commune/59006>",
    )
    # Les Hauts-Talican changed code (60054 in 2022, 60694 in 2026): 60694 exists in 2026 only,
    # and the code 60054 denotes a different commune in each vintage
    assert label(store, 2022, "60694") == []
    assert label(store, 2026, "60694") == ["Les Hauts-Talican"]
    assert label(store, 2022, "60054") == ["Les Hauts-Talican"]
    assert label(store, 2026, "60054") == ["Beaumont-les-Nonains"]
    # a renaming: "Montreuil" (2022) became "Montreuil-sur-Mer"
    assert label(store, 2022, "62588") == ["Montreuil"]
    assert label(store, 2026, "62588") == ["Montreuil-sur-Mer"]
    only_2022 = select(
        store,
        """SELECT ?code { GRAPH <graph/territoires/cog-2022> {
               ?c a sg:Commune ; sg:codeInsee ?code }
             FILTER NOT EXISTS { GRAPH <graph/territoires/cog-2026> {
               ?c2 a sg:Commune ; sg:codeInsee ?code } } }""",
    )
    assert sorted(r[0] for r in only_2022) == [
        "02077", "02311", "59070", "62461", "62549", "62743", "80830",
    ]  # fmt: skip
    # each of them has a replacement commune in the newest vintage
    assert not ask(
        store,
        """ASK { GRAPH <graph/territoires/cog-2022> { ?c a sg:Commune ; sg:codeInsee ?code }
          BIND (IRI(CONCAT(STR(<territoire/commune/>), ?code)) AS ?current)
          FILTER NOT EXISTS { GRAPH <graph/territoires/cog-2026> { ?current a sg:Commune } }
          FILTER NOT EXISTS { GRAPH <graph/territoires/cog-2026> {
            ?current dct:isReplacedBy ?new . ?new a sg:Commune } } }""",
    )


@pytest.mark.parametrize("year,version", sorted(VINTAGES.items()))
def test_dataset_description_and_size(store, year, version):
    path = DATA / f"cog-{year}.ttl"
    assert path.stat().st_size < 5_000_000
    text = path.read_text(encoding="utf-8")
    assert "@base" not in text and BASE not in text
    assert ask_in(
        store,
        f"cog-{year}",
        f"""<dataset/cog-{year}> a dcat:Dataset ;
              dct:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence/> ;
              dct:source "npm @etalab/decoupage-administratif {version}" ;
              sg:millesimeCOG "{year}"^^xsd:gYear""",
    )
    # every territory of the vintage is derived from the vintage's dataset and dated
    assert not ask_in(
        store,
        f"cog-{year}",
        f"""?t a ?c FILTER (?c IN (sg:Region, sg:Departement, sg:EPCI, sg:Commune))
            FILTER NOT EXISTS {{ ?t prov:wasDerivedFrom <dataset/cog-{year}> ;
                                    sg:millesimeCOG "{year}"^^xsd:gYear }}""",
    )


@pytest.mark.parametrize("year,version", sorted(VINTAGES.items()))
def test_committed_files_are_up_to_date(year, version):
    """Regenerating from the npm-pinned package gives the committed file (needs `npm ci`)."""
    package_dir = ROOT / "node_modules" / f"cog-{year}"
    if not (package_dir / "package.json").exists():
        pytest.skip("node_modules not installed (run `npm ci`)")
    assert territories.load_package(package_dir).version == version
    generated = import_cog(package_dir, year, archive=year in ARCHIVED)
    assert generated == (DATA / f"cog-{year}.ttl").read_text(encoding="utf-8")


# --- the 7 TAS ------------------------------------------------------------------------------

TAS = {
    "artois-douaisis": "59178",  # Douai
    "oise": "60141",  # Chantilly
    "somme-littoral-sud": "80021",  # Amiens
    "hainaut": "59606",  # Valenciennes
    "metropole-flandres": "59350",  # Lille
    "aisne-haute-somme": "02361",  # Guise
    "littoral-nord": "59183",  # Dunkerque
}


def test_tas_composition(store):
    for slug, commune in TAS.items():
        tas = f"<territoire/tas/{slug}>"
        assert ask_in(
            store,
            "tas",
            f"""{tas} sg:inclusDans <territoire/region/32> ;
                  sg:statutPerimetre <statut-perimetre/partiel> ; skos:note ?n ;
                  prov:wasDerivedFrom <source/003_e24160ded3cfc3a8> FILTER (lang(?n) = "fr")""",
        )
        # stated, or read from the place of its concertation (sg:inclusDansDeduit ⊑ sg:inclusDans)
        assert ask_in(
            store, "tas", f"<territoire/commune/{commune}> sg:inclusDans|sg:inclusDansDeduit {tas}"
        )
        # the commune exists in both vintages, so the TAS is tied to official data
        for year in VINTAGES:
            assert label(store, year, commune), (slug, year)
    q = "SELECT DISTINCT ?t { GRAPH <graph/territoires/tas> { ?t sg:statutPerimetre ?s } }"
    assert len(select(store, q)) == 7
    # tas.ttl never types or names the TAS (doc 003's file does)
    assert not ask_in(store, "tas", "?t a sg:TerritoireAnimationSante")
    assert not ask_in(store, "tas", "?t skos:prefLabel ?l")
    # Amiens Métropole is in Somme-Littoral Sud (doc 001), and is an EPCI of both vintages
    amiens_metropole = "<territoire/epci/248000531>"
    assert ask_in(
        store, "tas", f"{amiens_metropole} sg:inclusDans <territoire/tas/somme-littoral-sud>"
    )
    for year in VINTAGES:
        assert ask_in(store, f"cog-{year}", f"{terr(year, 'epci/248000531')} a sg:EPCI")
    # union of all graphs (no graph/inferences here): Dunkerque reaches its TAS and région
    for target in ("tas/littoral-nord", "region/32"):
        path = "(sg:inclusDans|sg:inclusDansDeduit)+"
        q = f"ASK {{ <territoire/commune/59183> {path} <territoire/{target}> }}"
        assert store.query(PREFIXES + q, use_default_graph_as_union=True)


def test_tas_quality_notes_and_citations(store):
    rows = select(
        store,
        """SELECT DISTINCT ?n ?t { GRAPH <graph/territoires/tas> { ?n a sg:NoteQualite ;
             sg:typeProbleme ?t ; sg:concerne ?x ; rdfs:comment ?c ; prov:wasDerivedFrom ?s } }""",
    )
    assert {(r[0].removeprefix(BASE), r[1].removeprefix(BASE)) for r in rows} == {
        ("note/tas/1", "type-probleme/contradiction"),
        ("note/tas/2", "type-probleme/information-manquante"),
    }
    citations = select(store, "SELECT ?c { GRAPH <graph/territoires/tas> { ?t sg:citation ?c } }")
    assert len(citations) == 9
    every_source = SourceText()
    for (c,) in citations:
        assert every_source.says(c), c  # quoted verbatim


def test_an_archived_vintage_has_its_own_iri_space():
    """Two vintages never share an IRI, so a renamed commune has one prefLabel per IRI."""
    triples = parse(import_cog(FIXTURE, 2022, archive=True))
    territories = {
        t.subject.value
        for t in triples
        if t.predicate == RDF_TYPE and t.object.value.startswith(SG)
    }
    assert territories and all(iri.startswith(BASE + "territoire/cog-2022/") for iri in territories)
    assert objects(triples, n("territoire/cog-2022/commune/59183"), sg("inclusDans")) == {
        n("territoire/cog-2022/departement/59"),
        n("territoire/cog-2022/epci/245900428"),
    }
