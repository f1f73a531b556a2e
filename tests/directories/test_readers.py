"""The published shapes of each source are read the same way, and bad files are refused
with a clear message (file, line or record) before anything is written."""

from __future__ import annotations

import json

import pytest

from santegraph.directories import rdf
from santegraph.directories.finess import insee_code
from santegraph.errors import InputError

from .conftest import FIXTURES, MARIE, data, files


def graph_contents(preview) -> dict[str, set[str]]:
    """The planned graphs, without the run link (each preview has its own run)."""
    return {
        g: {str(t) for t in triples if t.predicate != rdf.GENERATED_BY}
        for g, triples in preview.plan.contents.items()
    }


def test_json_list_json_lines_and_csv_give_the_same_graph(importer):
    as_lists = importer.prepare("data-inclusion", files("structures.json", "services.json"), MARIE)
    mixed = importer.prepare("data-inclusion", files("structures.jsonl", "services.csv"), MARIE)
    assert not as_lists.refused and not mixed.refused
    assert graph_contents(as_lists) == graph_contents(mixed)
    assert as_lists.read_counts() == {"structure": 7, "service": 7}


def test_structures_and_services_may_come_in_one_file(importer):
    together = json.loads((FIXTURES / "structures.json").read_text(encoding="utf-8"))
    together += json.loads((FIXTURES / "services.json").read_text(encoding="utf-8"))
    one = importer.prepare("data-inclusion", [data("tout.json", json.dumps(together))], MARIE)
    two = importer.prepare("data-inclusion", files("structures.json", "services.json"), MARIE)
    assert graph_contents(one) == graph_contents(two)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "le fichier est vide"),
        ('[{"id": "a", "nom": "Abc"}', "tableau JSON non terminé"),
        ('[{"id": "a", "nom": "Abc"} {"id": "b"}]', "enregistrement 2 : « , » ou « ] » attendu"),
        ('[{"id": "a", "nom": "Abc", }]', "enregistrement 1 : JSON invalide"),
        ('["a"]', "enregistrement 1 : un objet JSON est attendu"),
        ('{"id": "a"}\n{"id": \n', "ligne 2 : JSON invalide"),
        ("[" + "[" * 200 + "]" * 200 + "]", "un objet JSON est attendu"),
        ('[{"a": ' + "[" * 150 + "]" * 150 + "}]", "nested"),
        ("id,nom\n\xff\n", "n'est pas en UTF-8"),
        ("colonne;autre\n1;2\n", "en-tête CSV data·inclusion attendu"),
    ],
)
def test_unreadable_data_inclusion_files_are_refused(importer, text, said):
    source = data("f.json", text.encode("latin-1") if "\xff" in text else text)
    with pytest.raises(InputError, match=said):
        importer.prepare("data-inclusion", [source], MARIE)


def test_a_record_over_the_bound_is_refused(importer):
    big = json.dumps([{"id": "a", "nom": "x" * (1 << 20)}])
    with pytest.raises(InputError, match="plus de 1 Mio"):
        importer.prepare("data-inclusion", [data("gros.json", big)], MARIE)


def test_finess_reads_both_sections_and_the_first_line(importer):
    preview = importer.prepare("finess", files("etablissements.csv"), MARIE)
    assert preview.read_counts() == {"etablissement": 8}
    assert not preview.rejected


def test_a_file_that_is_not_a_finess_extraction_is_refused(importer):
    with pytest.raises(InputError, match="ce n'est pas une extraction FINESS"):
        importer.prepare("finess", files("acteurs.csv"), MARIE)


def test_finess_lines_in_windows_1252_are_read(importer):
    text = (FIXTURES / "etablissements.csv").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("structureet;999000011"))
    accented = line.replace("FICTIF DES DUNES;", "FICTIF DES DUNES D'ÉTÉ;")
    mixed = text.encode("utf-8").replace(line.encode("utf-8"), accented.encode("cp1252"))
    preview = importer.prepare("finess", [data("etalab.csv", mixed)], MARIE)
    assert not preview.refused
    labels = {c.label for c in preview.plan.changes}
    assert "INSTITUT MEDICO-EDUCATIF FICTIF DES DUNES D'ÉTÉ" in labels  # the cp1252 line
    assert "SESSAD FICTIF DU LITTORAL" in labels  # the UTF-8 ones


@pytest.mark.parametrize(
    ("departement", "commune", "code"),
    [("59", "183", "59183"), ("1", "451", "01451"), ("2A", "004", "2A004"), ("9D", "411", "97411")],
)
def test_finess_commune_codes(departement, commune, code):
    assert insee_code(departement, commune) == code


def test_the_checksum_is_the_sha256_of_the_whole_file(importer):
    import hashlib

    preview = importer.prepare("data-inclusion", files("structures.json", "services.json"), MARIE)
    for source in preview.files:
        expected = hashlib.sha256((FIXTURES / source.name).read_bytes()).hexdigest()
        assert source.checksum() == expected
