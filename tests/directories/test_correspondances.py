"""The mapping tables of data/correspondances/: complete, valid, and applied row by row.

The tables are the import's half of the alignment (source code -> santegraph terms); the
vocabularies' ``sg:codeExterne`` are the export's half (concept -> closest code). Both are
checked against the nomenclatures of data-inclusion-schema v1 and against each other.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from data_inclusion.schema import v1

from santegraph.directories import rdf
from santegraph.directories.context import Context
from santegraph.directories.correspondances import Correspondances, read_table
from santegraph.directories.model import Record
from santegraph.directories.places import Places
from santegraph.errors import ConfigError

from .conftest import BASE, ROOT

TABLES = Correspondances(ROOT / "data" / "correspondances", BASE)
SKOS = "http://www.w3.org/2004/02/skos/core#"


@pytest.fixture(scope="module")
def vocabulary():
    """concept IRI -> (its broader concepts, its data·inclusion codes by datatype)."""
    store = ox.Store()
    for path in sorted((ROOT / "data" / "vocabulaires").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    broader, codes = defaultdict(set), defaultdict(lambda: defaultdict(set))
    for s, p, o, _ in store:
        if p.value == SKOS + "broader":
            broader[s.value].add(o.value)
        if p.value.endswith("#codeExterne") and "DataInclusion" in o.datatype.value:
            codes[s.value][o.datatype.value.rsplit("#", 1)[1]].add(o.value)
    concepts = {s.value for s, p, o, _ in store if p.value == SKOS + "inScheme"}
    return concepts, broader, codes


def ancestors(concept, broader) -> set[str]:
    seen, todo = set(), [concept]
    while todo:
        for parent in broader.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


@pytest.mark.parametrize(
    ("table", "enum"),
    [
        ("publics", v1.Public),
        ("thematiques", v1.Thematique),
        ("types_services", v1.TypeService),
        ("reseaux", v1.ReseauPorteur),
    ],
)
def test_every_data_inclusion_code_has_exactly_one_row(table, enum):
    """Complete: a new code in the schema package fails here until the table says what it
    maps to (or that it maps to nothing, with a comment)."""
    assert set(TABLES.tables[table].rows) == {e.value for e in enum}
    for row in TABLES.tables[table].rows.values():
        assert row.label == enum(row.code).label, row.code  # the package's own label
        assert not row.empty or row.comment, f"{row.code}: maps to nothing, say why"


def test_finess_rows_name_real_categories_and_ontology_classes():
    finess = TABLES.finess
    assert len(finess.rows) > 90
    for row in finess.rows.values():
        assert row.code.isdigit() and len(row.code) == 3
        assert row.get("types") or row.comment, f"{row.code}: no class, say why"
        for iri in row.get("types"):
            assert iri.startswith("https://w3id.org/santegraph/def#")
    # the categories the scenarios rely on
    assert finess.get("156").get("types") == ("https://w3id.org/santegraph/def#CMP",)
    assert finess.get("183").get("publics") == (BASE + "public/jeunes-moins-25-handicap",)
    assert finess.get("500").get("besoins") == (BASE + "besoin/perte-autonomie",)
    assert finess.get("604").get("types") == ("https://w3id.org/santegraph/def#CPTS",)


def test_every_target_is_a_concept_of_the_vocabularies(vocabulary):
    concepts, _, _ = vocabulary
    for table in TABLES.tables.values():
        for row in table.rows.values():
            for column in ("publics", "besoins", "roles", "secteurs"):
                for iri in row.get(column):
                    assert iri in concepts, f"{table.name}, {row.code}: {iri}"


@pytest.mark.parametrize(
    ("datatype", "table", "enum"),
    [
        ("CodeDataInclusionPublic", "publics", v1.Public),
        ("CodeDataInclusionThematique", "thematiques", v1.Thematique),
    ],
)
def test_vocabulary_codes_and_tables_agree_both_ways(vocabulary, datatype, table, enum):
    """Export then import lands where it started: every code a concept carries (what the
    export writes for it) is a v1 code whose row brings it back to that concept or to a
    broader one; and every concept the tables import to, if it carries codes, carries
    codes that come back to it."""
    concepts, broader, codes = vocabulary
    valid = {e.value for e in enum}
    column = "publics" if table == "publics" else "besoins"
    carried = {c: codes[c][datatype] for c in concepts if codes[c][datatype]}
    assert carried, "the vocabularies cite data·inclusion codes"
    for concept, values in carried.items():
        for code in values:
            assert code in valid, f"{concept}: {code} is not a data·inclusion v1 code"
            row = TABLES.tables[table].get(code)
            back = set(row.get(column)) | set(row.get("publics"))
            assert back & ({concept} | ancestors(concept, broader)), (concept, code, back)
    for row in TABLES.tables[table].rows.values():
        for target in row.get(column):
            for code in codes[target][datatype]:
                again = TABLES.tables[table].get(code).get(column)
                assert set(again) & ({target} | ancestors(target, broader)), (target, code)


def _all_rows():
    nomenclatures = {
        "publics": ("CodeDataInclusionPublic", {"publics": rdf.AUDIENCE}),
        "thematiques": (
            "CodeDataInclusionThematique",
            {"besoins": rdf.THEMATIC_AREA, "publics": rdf.AUDIENCE},
        ),
        "types_services": ("CodeDataInclusionTypeService", {"roles": rdf.sg("roleParcours")}),
        "reseaux": (
            "CodeDataInclusionReseauPorteur",
            {"types": rdf.TYPE, "secteurs": rdf.sg("secteur"), "publics": rdf.sg("public")},
        ),
        "finess": (
            "CodeFinessCategorie",
            {
                "types": rdf.TYPE,
                "secteurs": rdf.sg("secteur"),
                "publics": rdf.sg("public"),
                "besoins": rdf.sg("besoin"),
            },
        ),
    }
    for name, table in TABLES.tables.items():
        for code in table.rows:
            yield pytest.param(name, code, *nomenclatures[name], id=f"{name}:{code}")


@pytest.mark.parametrize(("table", "code", "nomenclature", "columns"), list(_all_rows()))
def test_each_row_is_applied_as_written(table, code, nomenclature, columns):
    """An entry with this code gets exactly the row's terms, keeps the code itself, and is
    reported when the row maps to nothing."""
    context = Context(BASE, "essai", Places(BASE), TABLES)
    record = Record(
        "x:1", "x", "1", "Essai", "f", "ligne 2", rdf.node(BASE + "e/1"), rdf.node(BASE + "f/1")
    )
    row = TABLES.tables[table].get(code)
    context.mapped(record, row, code, nomenclature, "champ", columns)
    expected = {(columns[column].value, target) for column in columns for target in row.get(column)}
    stated = {(t.predicate.value, t.object.value) for t in record.triples}
    assert stated - {(rdf.sg("codeExterne").value, code)} == expected
    kept = [t.object for t in record.triples if t.predicate == rdf.sg("codeExterne")]
    assert [(k.value, k.datatype.value.rsplit("#", 1)[1]) for k in kept] == [(code, nomenclature)]
    assert bool(record.problems) == (not expected)
    if record.problems:
        assert record.problems[0].topic == "correspondance" and code in record.problems[0].message


def test_a_code_with_no_row_is_kept_and_reported():
    context = Context(BASE, "essai", Places(BASE), TABLES)
    record = Record(
        "x:1", "x", "1", "Essai", "f", "ligne 2", rdf.node(BASE + "e/1"), rdf.node(BASE + "f/1")
    )
    context.mapped(
        record,
        TABLES.finess.get("998"),
        "998",
        "CodeFinessCategorie",
        "categetab",
        {"types": rdf.TYPE},
    )
    assert [t.object.value for t in record.triples] == ["998"]
    (problem,) = record.problems
    assert problem.severity == "Warning" and "absent de la table" in problem.message


def test_a_malformed_table_is_refused_with_its_line(tmp_path: Path):
    bad = tmp_path / "t.csv"
    bad.write_text("code;libelle;types\n156;CMP;CentreMedicoPsy\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"t.csv, ligne 2, colonne types : classe inconnue"):
        read_table(bad, BASE)
    bad.write_text("code;libelle;couleurs\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="colonne\\(s\\) inconnue\\(s\\) : couleurs"):
        read_table(bad, BASE)
    bad.write_text("code;libelle;publics\n1;a;x\n1;b;y\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ligne 3 : code 1 déjà présent"):
        read_table(bad, BASE)
