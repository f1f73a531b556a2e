"""An import end to end, through the steward gate: what lands in the graph, with which
provenance; re-import as synchronisation; deduplication across sources; rejections."""

from __future__ import annotations

import hashlib
import json
import os

import pyoxigraph as ox
import pytest

from santegraph.directories.importer import DirectoryImporter
from santegraph.directories.sync import ADDED, CHANGED, KEPT, REMOVED, UNCHANGED
from santegraph.errors import InputError
from santegraph.loading import Loader
from santegraph.steward.workflow import Stewardship
from santegraph.store import EmbeddedStore

from .conftest import BASE, FIXTURES, MARIE, data, files, run

PREFIXES = """
PREFIX sg: <https://w3id.org/santegraph/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
PREFIX cv: <http://data.europa.eu/m8g/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
ACTEUR = BASE + "acteur/"
FINESS_IME = ACTEUR + "finess/999000011"
MISSION = ACTEUR + "data-inclusion/fictif--mission-locale"
FICHE = BASE + "fiche/data-inclusion/structure/"
UNPLACED = BASE + "graph/soumission/annuaire--data-inclusion--hors-cog"
# the types an import states, not those graph/inferences derives from them (ADR 0011)
STATED = f"FILTER(?g != <{BASE}graph/inferences>)"


def values(store, query: str) -> list[tuple[str, ...]]:
    variables, rows = store.select_with_vars(PREFIXES + query)
    return sorted(
        tuple(r[v].value if r.get(v) is not None else "" for v in variables) for r in rows
    )


def ask(store, query: str) -> bool:
    return store.ask(PREFIXES + query)


def quads(store) -> list[str]:
    return sorted(str(q) for q in store.quads())


# ---------------------------------------------------------------- what lands
def test_a_finess_establishment_lands_typed_placed_reachable_and_sourced(importer, store):
    preview = run(importer, "finess", "etablissements.csv")
    assert not preview.refused and preview.counts() == {ADDED: 8}
    rows = values(
        store,
        f"""SELECT ?type ?nom ?tel ?commune ?public ?lat ?long ?code WHERE {{
          GRAPH ?g {{ <{FINESS_IME}> a ?type }} {STATED}
          <{FINESS_IME}> skos:prefLabel ?nom ; schema:telephone ?tel ;
            sg:localisation ?commune ; sg:public ?public ; geo:lat ?lat ; geo:long ?long ;
            sg:codeExterne ?code }}""",
    )
    assert rows == [
        (
            "https://w3id.org/santegraph/def#EtablissementMedicoSocial",
            "INSTITUT MEDICO-EDUCATIF FICTIF DES DUNES",
            "01 99 00 10 01",
            BASE + "territoire/commune/59183",
            BASE + "public/jeunes-moins-25-handicap",
            "51.034",
            "2.377",
            "183",
        )
    ]
    # the SESSAD's former commune code (59540) was replaced by Dunkerque, and said so
    assert values(
        store, f"SELECT ?c WHERE {{ <{ACTEUR}finess/999000029> sg:localisation ?c }}"
    ) == [(BASE + "territoire/commune/59183",)]
    assert any("59540 ancien" in p.message for p in preview.problems)
    # an unknown category is kept as the source's code, and reported
    assert values(
        store,
        f"""SELECT ?t ?c WHERE {{ GRAPH ?g {{ <{ACTEUR}finess/999000086> a ?t }} {STATED}
          <{ACTEUR}finess/999000086> sg:codeExterne ?c }}""",
    ) == [("https://w3id.org/santegraph/def#Acteur", "999")]
    assert any(p.value == "999" and p.topic == "correspondance" for p in preview.problems)
    # a position in an unknown projection is not kept, and reported
    assert values(store, f"SELECT ?l WHERE {{ <{ACTEUR}finess/999000060> geo:lat ?l }}") == []
    assert any(p.field == "sourcecoordet" for p in preview.problems)


def test_an_import_updates_what_the_ontology_entails(importer, store):
    """An import is written as a new version of the store (staged): its graph/inferences
    is rebuilt with it, so plain patterns (``?x a sg:Acteur``) find the imported entries
    on every backend (ADR 0011), and a second source is validated without it."""
    inferences = f"<{BASE}graph/inferences>"
    run(importer, "finess", "etablissements.csv")
    assert ask(store, f"ASK {{ GRAPH {inferences} {{ <{FINESS_IME}> a sg:Acteur }} }}")
    preview = run(importer, "data-inclusion", "structures.json", "services.json")
    assert not preview.refused
    # a DispositifInsertion is a Dispositif
    assert ask(store, f"ASK {{ GRAPH {inferences} {{ <{MISSION}> a sg:Dispositif }} }}")


def test_every_record_says_its_dataset_identifier_date_and_import(imported, store):
    rows = values(
        store,
        f"""SELECT ?id ?modifie ?producteur ?jeu ?titre ?import WHERE {{
          <{MISSION}> prov:wasDerivedFrom ?fiche .
          ?fiche a sg:FicheAnnuaire ; dct:identifier ?id ; dct:modified ?modifie ;
                 sg:producteur ?producteur ; dct:isPartOf ?jeu ; prov:wasGeneratedBy ?import .
          ?jeu dct:title ?titre }}""",
    )
    (row,) = rows
    assert row[:4] == (
        "fictif--mission-locale",
        "2025-02-01",
        "fictif",
        BASE + "dataset/annuaire/data-inclusion",
    )
    assert "data·inclusion" in row[4]
    # the import run, in the journal: who, when, which files with their checksums
    run_rows = values(
        store,
        f"""SELECT ?qui ?fin ?fichier ?somme WHERE {{ GRAPH <{BASE}graph/journal> {{
          <{row[5]}> a sg:ImportAnnuaire ; prov:wasAssociatedWith/rdfs:label ?qui ;
            prov:endedAtTime ?fin ; prov:used ?f .
          ?f dct:title ?fichier ; sg:sommeControle ?somme }} }}""",
    )
    assert [(r[0], r[2], r[3]) for r in run_rows] == sorted(
        (
            "Marie Martin",
            name,
            "sha256:" + hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest(),
        )
        for name in ("services.json", "structures.json")
    )
    # each graph it changed has its journal event, informed by the run
    events = values(
        store,
        f"""SELECT ?g ?canal WHERE {{ GRAPH <{BASE}graph/journal> {{
          ?e prov:wasInformedBy <{row[5]}> ; sg:grapheConcerne ?g ; sg:canal ?canal }} }}""",
    )
    assert {e[1] for e in events} == {"import"}
    assert {e[0].rsplit("--", 1)[1] for e in events} == {"59", "80", "hors-cog", "jeu"}


def test_services_reach_their_provider_publics_needs_and_area(imported, store):
    service = BASE + "service/data-inclusion/fictif--ml-handicap"
    assert values(
        store, f"SELECT ?p WHERE {{ <{service}> sg:prestataire ?p . ?p sg:offre <{service}> }}"
    ) == [(MISSION,)]
    assert values(store, f"SELECT ?p WHERE {{ <{service}> dct:audience ?p }}") == [
        (BASE + "public/jeunes-moins-25",),
        (BASE + "public/personnes-handicap",),
    ]
    assert values(store, f"SELECT ?b WHERE {{ <{service}> cv:thematicArea ?b }}") == [
        (BASE + "besoin/acces-aux-droits",),
        (BASE + "besoin/handicap",),
        (BASE + "besoin/insertion-professionnelle",),
    ]
    assert values(store, f"SELECT ?z WHERE {{ <{service}> dct:spatial ?z }}") == [
        (BASE + "territoire/commune/59067",),
        (BASE + "territoire/commune/59183",),
        (BASE + "territoire/departement/59",),
    ]
    # "remobilisation--lien-social" maps to nothing: kept, and said
    visites = BASE + "service/data-inclusion/fictif--visites"
    codes = values(store, f"SELECT ?c WHERE {{ <{visites}> sg:codeExterne ?c }}")
    assert ("remobilisation--lien-social",) in codes


# ---------------------------------------------------------------- synchronisation
def test_importing_the_same_files_again_changes_nothing(imported, store):
    before = quads(store)
    preview = run(imported, "data-inclusion", "structures.json", "services.json")
    assert preview.nothing_to_do and preview.proposal is None
    assert preview.counts() == {UNCHANGED: 14}
    again = run(imported, "finess", "etablissements.csv")
    assert again.nothing_to_do
    assert quads(store) == before  # not even a journal event


def test_a_newer_dump_is_a_diff_and_removed_records_stay_in_the_journal(imported, store):
    preview = imported.prepare(
        "data-inclusion", files("structures-v2.json", "services-v2.json"), MARIE
    )
    by_status = {}
    for change in preview.plan.changes:
        by_status.setdefault(change.status, set()).add(change.key)
    assert by_status[ADDED] == {"structure:fictif--aidants", "service:fictif--repit"}
    assert by_status[CHANGED] == {"structure:fictif--mission-locale"}
    assert by_status[REMOVED] == {"structure:fictif--sans-commune", "service:fictif--permanence"}
    (changed,) = [c for c in preview.plan.changes if c.status == CHANGED]
    assert {str(t.object) for t in changed.added} == {
        '"06 39 98 10 22"',
        '"2025-06-01"^^<http://www.w3.org/2001/XMLSchema#date>',
    }
    imported.commit(preview)
    gone = ACTEUR + "data-inclusion/fictif--sans-commune"
    assert not ask(store, f"ASK {{ <{gone}> ?p ?o }}")
    # the withdrawn record is in the journal: the previous content of its graph
    previous = values(
        store,
        f"""SELECT ?kind ?content WHERE {{ GRAPH <{BASE}graph/journal> {{
          ?e a ?kind ; sg:grapheConcerne <{UNPLACED}> ;
             sg:contenuPrecedent ?content }} }}""",
    )
    assert previous and "Permanence Fictive Itinérante" in previous[-1][1]
    assert previous[-1][0].endswith("#Retrait")
    # the unchanged records kept the import that produced them
    first_import = values(
        store,
        f"SELECT ?r WHERE {{ <{FICHE}fictif--cmp-baie> prov:wasGeneratedBy ?r }}",
    )
    new_import = values(
        store,
        f"SELECT ?r WHERE {{ <{FICHE}fictif--mission-locale> prov:wasGeneratedBy ?r }}",
    )
    assert first_import != new_import and new_import == [(preview.run,)]


def _correct(stewardship, graph: str, subject: str, prop: str, old: str, new: str):
    """A steward corrects one field of an imported entry, in the import's own graph."""
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in stewardship.store.match(graph=ox.NamedNode(graph))
    ]
    fixed = [
        ox.Triple(t.subject, t.predicate, ox.Literal(new))
        if (t.subject.value, t.predicate.value, t.object.value) == (subject, prop, old)
        else t
        for t in triples
    ]
    assert fixed != triples
    proposal = stewardship.propose(MARIE, {graph: fixed}, channel="web")
    stewardship.commit(proposal, acknowledge_warnings=True)


def test_a_local_correction_is_kept_and_a_source_change_to_it_is_a_conflict(
    imported, stewardship, store
):
    graph = BASE + "graph/soumission/annuaire--data-inclusion--59"
    email = "https://schema.org/email"
    _correct(
        stewardship,
        graph,
        MISSION,
        email,
        "contact@mission-fictive.example.org",
        "accueil@mission-fictive.example.org",
    )
    # the source did not change the e-mail: the correction stays, no conflict
    same = run(imported, "data-inclusion", "structures.json", "services.json")
    assert same.plan.conflicts == [] and same.nothing_to_do
    v2 = imported.prepare("data-inclusion", files("structures-v2.json", "services-v2.json"), MARIE)
    assert v2.plan.conflicts == []
    imported.commit(v2)
    assert values(store, f"SELECT ?m WHERE {{ <{MISSION}> schema:email ?m }}") == [
        ("accueil@mission-fictive.example.org",)
    ]
    # now the source changes the e-mail too: a conflict, the steward's value stays
    dump = json.loads((FIXTURES / "structures-v2.json").read_text(encoding="utf-8"))
    for record in dump:
        if record["id"] == "fictif--mission-locale":
            record["courriel"] = "nouveau@mission-fictive.example.org"
    v3 = imported.prepare(
        "data-inclusion",
        [data("structures-v3.json", json.dumps(dump)), *files("services-v2.json")],
        MARIE,
    )
    (conflict,) = v3.plan.conflicts
    assert (conflict.key, conflict.property, conflict.local, conflict.source) == (
        "structure:fictif--mission-locale",
        email,
        ["accueil@mission-fictive.example.org"],
        ["nouveau@mission-fictive.example.org"],
    )
    imported.commit(v3)
    assert values(store, f"SELECT ?m WHERE {{ <{MISSION}> schema:email ?m }}") == [
        ("accueil@mission-fictive.example.org",)
    ]


def test_a_corrected_record_removed_at_the_source_is_kept_and_reported(
    imported, stewardship, store
):
    graph = BASE + "graph/soumission/annuaire--data-inclusion--hors-cog"
    gone = ACTEUR + "data-inclusion/fictif--sans-commune"
    _correct(
        stewardship,
        graph,
        gone,
        "https://schema.org/email",
        "permanence@example.org",
        "permanence-corrigee@example.org",
    )
    v2 = imported.prepare("data-inclusion", files("structures-v2.json", "services-v2.json"), MARIE)
    statuses = {c.key: c.status for c in v2.plan.changes}
    assert statuses["structure:fictif--sans-commune"] == KEPT
    assert any(c.key == "structure:fictif--sans-commune" for c in v2.plan.conflicts)
    imported.commit(v2)
    assert ask(store, f"ASK {{ <{gone}> ?p ?o }}")


# ---------------------------------------------------------------- deduplication
def test_the_same_establishment_in_two_sources_is_one_actor_with_both_provenances(imported, store):
    # same SIRET: the data·inclusion structure describes the FINESS actor
    assert not ask(store, f"ASK {{ <{ACTEUR}data-inclusion/fictif--ime-dunes> ?p ?o }}")
    sources = values(
        store, f"SELECT ?jeu WHERE {{ <{FINESS_IME}> prov:wasDerivedFrom/dct:isPartOf ?jeu }}"
    )
    assert sources == [
        (BASE + "dataset/annuaire/data-inclusion",),
        (BASE + "dataset/annuaire/finess",),
    ]
    # one French name; the other source's name is an alternative label
    assert values(store, f"SELECT ?n WHERE {{ <{FINESS_IME}> skos:prefLabel ?n }}") == [
        ("INSTITUT MEDICO-EDUCATIF FICTIF DES DUNES",)
    ]
    assert ("IME Fictif des Dunes",) in values(
        store, f"SELECT ?n WHERE {{ <{FINESS_IME}> skos:altLabel ?n }}"
    )
    # its service is offered by the merged actor
    assert ask(
        store,
        f"ASK {{ <{FINESS_IME}> sg:offre <{BASE}service/data-inclusion/fictif--ime-accueil> }}",
    )
    # same name, commune and address (abbreviations aside): the CMP, merged too
    assert not ask(store, f"ASK {{ <{ACTEUR}data-inclusion/fictif--cmp-baie> ?p ?o }}")


def test_an_uncertain_match_is_a_note_for_a_steward(imported, store):
    notes = values(
        store,
        """SELECT ?a ?b WHERE { ?n a sg:NoteQualite ; sg:typeProbleme ?t ; sg:concerne ?a, ?b .
             FILTER(STRENDS(STR(?t), "doublon-possible") && STR(?a) < STR(?b)) }""",
    )
    assert notes == [
        (ACTEUR + "data-inclusion/fictif--ehpad-tilleuls", ACTEUR + "finess/999000060")
    ]


# ---------------------------------------------------------------- rejections
def test_invalid_records_refuse_the_run_and_nothing_is_written(importer, store):
    before = quads(store)
    preview = importer.prepare(
        "data-inclusion", files("invalides/structures.json", "invalides/services.json"), MARIE
    )
    assert preview.refused
    with pytest.raises(InputError, match="--skip-invalid"):
        importer.commit(preview)
    assert quads(store) == before
    said = {
        (p.file, p.where, p.field): p.message for p in preview.problems if p.severity == "Violation"
    }
    assert said[("structures.json", "enregistrement 2", "nom")] == "champ obligatoire manquant"
    assert "14 chiffres" in said[("structures.json", "enregistrement 3", "siret")]
    assert "futur" in said[("structures.json", "enregistrement 4", "date_maj")]
    assert (
        "structure « fictif--inconnue » absente"
        in said[("services.json", "enregistrement 2", "structure_id")]
    )
    assert "refusée" in said[("services.json", "enregistrement 3", "structure_id")]
    assert "trop court" in said[("services.json", "enregistrement 4", "description")]
    # accepted by the schema, refused by the shapes, in the context of the graph
    assert "code postal" in said[("structures.json", "enregistrement 5", "code_postal")]


def test_skip_invalid_leaves_the_refused_records_out_and_writes_the_rest(importer, store):
    preview = run(
        importer,
        "data-inclusion",
        "invalides/structures.json",
        "invalides/services.json",
        skip_invalid=True,
    )
    assert not preview.refused
    assert {r.key for r in preview.records} == {
        "structure:fictif--ok",
        "service:fictif--ok-service",
    }
    assert ask(store, f"ASK {{ <{ACTEUR}data-inclusion/fictif--ok> a sg:Acteur }}")
    assert not ask(store, f"ASK {{ <{ACTEUR}data-inclusion/fictif--code-postal> ?p ?o }}")


def test_finess_rows_that_cannot_be_read_are_reported_by_line(importer, store):
    preview = importer.prepare("finess", files("invalides/etablissements.csv"), MARIE)
    assert preview.refused
    said = {(p.where, p.field): p.message for p in preview.problems if p.severity == "Violation"}
    assert "numéro FINESS invalide" in said[("ligne 3", "nofinesset")]
    assert "tronquée" in said[("ligne 4", "section")]
    assert "« autre » inconnue" in said[("ligne 5", "section")]
    skipped = run(importer, "finess", "invalides/etablissements.csv", skip_invalid=True)
    assert [r.ident for r in skipped.records] == ["999000094"]


def test_a_duplicated_identifier_is_refused(importer):
    dump = json.loads((FIXTURES / "structures.json").read_text(encoding="utf-8"))
    preview = importer.prepare(
        "data-inclusion", [data("s.json", json.dumps(dump + dump[:1]))], MARIE
    )
    assert preview.refused
    assert any("identifiant déjà présent" in p.message for p in preview.problems)


def test_a_dry_run_and_a_refused_run_leave_no_trace(importer, store):
    before = quads(store)
    importer.prepare("finess", files("etablissements.csv"), MARIE)
    assert quads(store) == before


def test_the_csv_template_goes_through_the_same_path(importer, store):
    preview = run(importer, "csv", "acteurs.csv", source="cpts-flandres")
    assert preview.counts() == {ADDED: 3}
    cpts = ACTEUR + "cpts-fictive-des-moulins"
    assert values(store, f"SELECT ?t WHERE {{ <{cpts}> sg:territoireDesservi ?t }}") == [
        (BASE + "territoire/commune/59067",),
        (BASE + "territoire/commune/59183",),
    ]
    assert values(store, f"SELECT ?j WHERE {{ <{cpts}> prov:wasDerivedFrom/dct:isPartOf ?j }}") == [
        (BASE + "dataset/annuaire/cpts-flandres",)
    ]
    assert run(importer, "csv", "acteurs.csv", source="cpts-flandres").nothing_to_do


def test_the_compiled_validation_of_a_proposal_says_what_pyshacl_says(stewardship, store):
    """Imports are checked with the shapes compiled to SPARQL over a staging copy of the
    store (Loader.check_staged): the same results as the workflow's pySHACL check."""
    graph = BASE + "graph/soumission/essai-compile"
    text = (
        "@prefix sg: <https://w3id.org/santegraph/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix schema: <https://schema.org/> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
        '<acteur/msp-fictive-essai> a sg:MSP ; skos:prefLabel "MSP Fictive"@fr ;\n'
        '  schema:telephone "pas un numéro" ; sg:codePostal "99999" ;\n'
        "  sg:localisation <territoire/commune/59183> ; sg:public <besoin/sante-mentale> ;\n"
        "  prov:wasAttributedTo <referent/marie-martin> .\n"
    )
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    ]

    def results(compiled: bool) -> set[tuple]:
        proposal = stewardship.propose(MARIE, {graph: triples}, channel="cli", compiled=compiled)
        return {(r.focus_node, r.path, r.severity, r.source_shape) for r in proposal.report.results}

    before = quads(store)
    by_pyshacl, by_sparql = results(False), results(True)
    assert by_pyshacl == by_sparql
    assert {(r[1].rsplit("/", 1)[-1].rsplit("#", 1)[-1], r[2]) for r in by_sparql} >= {
        ("telephone", "Violation"),
        ("codePostal", "Violation"),
        ("public", "Violation"),
    }
    assert quads(store) == before  # the staging copy is dropped


def test_an_import_on_disk_is_a_new_version_of_the_store_swapped_in(
    content, content_settings, tmp_path
):
    """On the embedded store an import is not one SPARQL update text (gigabytes at France
    scale): a copy of the store gets the graphs in bulk and replaces it in one step."""
    content_quads, shared = content
    path = tmp_path / "store"
    store = EmbeddedStore(str(path))
    store.pyoxigraph_store.bulk_extend(content_quads)
    loader = Loader(store, content_settings, progress=False)
    loader.__dict__["validator"] = shared.validator
    loader.__dict__["entry_classes"] = shared.entry_classes
    importer = DirectoryImporter(Stewardship(store, content_settings, loader))
    version = os.readlink(path)
    preview = run(importer, "finess", "etablissements.csv")
    assert not preview.refused and os.readlink(path) != version  # a new version linked in
    expected = quads(store)
    store.close()
    reopened = EmbeddedStore(str(path))
    assert quads(reopened) == expected
    assert ask(reopened, f"ASK {{ GRAPH ?g {{ <{FINESS_IME}> a ?type }} }}")
    events = Stewardship(reopened, content_settings, loader).history()
    assert {e["channel"] for e in events} == {"import"}
    reopened.close()


def test_a_staged_write_whose_guard_fails_writes_nothing(content, content_settings, tmp_path):
    """The compare-and-swap of a steward write holds for staged writes too: the guard is
    asked under the store's write lock, and false means no new version."""
    content_quads, _ = content
    store = EmbeddedStore(str(tmp_path / "store"))
    store.pyoxigraph_store.bulk_extend(content_quads)
    before, version = quads(store), os.readlink(tmp_path / "store")
    graph = BASE + "graph/soumission/essai-garde"
    triple = ox.Triple(
        ox.NamedNode(ACTEUR + "essai"),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
        ox.Literal("x"),
    )
    loader = Loader(store, content_settings, progress=False)
    assert not loader.write_staged(
        replace={graph: [triple]}, drop=[], add={}, guard="FILTER(false)"
    )
    assert quads(store) == before and os.readlink(tmp_path / "store") == version
    assert loader.write_staged(replace={graph: [triple]}, drop=[], add={}, guard="FILTER(true)")
    assert ask(store, f"ASK {{ GRAPH <{graph}> {{ <{ACTEUR}essai> rdfs:label 'x' }} }}")
    store.close()
