"""The commands: import-directory (the issue's done-when, from the command line),
export-directory (validated by data-inclusion-schema) and stale."""

from __future__ import annotations

import json

import pytest
from data_inclusion.schema import v1

from santegraph.cli import main
from santegraph.store import EmbeddedStore

from .conftest import FIXTURES, ROOT


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch, content):
    """``santegraph`` in process on an on-disk store holding the project content."""
    quads, _ = content
    store = EmbeddedStore(str(tmp_path / "store"))
    store.pyoxigraph_store.bulk_extend(quads)
    store.close()
    for name in ("SANTEGRAPH_CONFIG", "SANTEGRAPH_STEWARD_TOKEN", "SANTEGRAPH_STEWARD_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    common = ["--store-path", str(tmp_path / "store"), "--content-dir", str(ROOT), "--no-progress"]

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main([*common, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def fixture(*names: str) -> list[str]:
    return [str(FIXTURES / name) for name in names]


def test_import_then_reimport_then_a_newer_dump(cli):
    code, out, _ = cli("import-directory", "finess", *fixture("etablissements.csv"))
    assert code == 0 and "8 ajouté(s)" in out and "écrit : " in out
    code, out, _ = cli(
        "import-directory", "data-inclusion", *fixture("structures.json", "services.json")
    )
    assert code == 0 and "14 ajouté(s)" in out
    assert (
        "fusionné avec https://w3id.org/santegraph/id/acteur/finess/999000011 (même SIRET)" in out
    )
    # the same files again: nothing to do, nothing written
    code, out, _ = cli(
        "import-directory", "data-inclusion", *fixture("structures.json", "services.json")
    )
    assert code == 0 and "Rien à changer" in out and "écrit" not in out
    # a newer dump: the diff, then a confirmation (--yes off a terminal)
    newer = fixture("structures-v2.json", "services-v2.json")
    code, out, err = cli("import-directory", "data-inclusion", *newer)
    assert code == 1 and "2 ajouté(s), 1 modifié(s), 2 retiré(s)" in out
    assert "retiré    structure fictif--sans-commune" in out and "--yes" in err
    code, out, _ = cli("import-directory", "data-inclusion", *newer, "--yes")
    assert code == 0 and "écrit : " in out


def test_a_dry_run_shows_and_writes_nothing(cli):
    code, out, _ = cli("import-directory", "finess", *fixture("etablissements.csv"), "--dry-run")
    assert code == 0 and "--dry-run : rien n'a été écrit" in out
    code, out, _ = cli("import-directory", "finess", *fixture("etablissements.csv"), "--dry-run")
    assert "8 ajouté(s)" in out  # still nothing in the store


def test_an_invalid_file_is_refused_unless_skip_invalid(cli):
    invalid = fixture("invalides/structures.json", "invalides/services.json")
    code, out, _ = cli("import-directory", "data-inclusion", *invalid)
    assert code == 1 and "IMPORT REFUSÉ" in out
    assert (
        "[refus] structures.json, enregistrement 2, champ nom : champ obligatoire manquant" in out
    )
    code, out, _ = cli("import-directory", "data-inclusion", *invalid, "--skip-invalid")
    assert code == 0 and "écarté(s) (--skip-invalid)" in out and "écrit : " in out


def test_the_json_report_and_the_usage_errors(cli):
    code, out, _ = cli("import-directory", "csv", *fixture("acteurs.csv"), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["ajoutes"] == 3 and report["conforme"]
    assert report["fichiers"][0]["sha256"]
    code, _, err = cli("import-directory", "finess", "absent.csv")
    assert code == 2 and "fichier introuvable" in err
    code, _, err = cli("import-directory", "finess", *fixture("etablissements.csv"), "--as", "Paul")
    assert code == 2 and "no valid credential" in err


def test_the_export_is_valid_data_inclusion(cli, tmp_path):
    cli("import-directory", "finess", *fixture("etablissements.csv"))
    cli("import-directory", "data-inclusion", *fixture("structures.json", "services.json"))
    cli("import-directory", "csv", *fixture("acteurs.csv"))
    code, out, _ = cli("export-directory", "data-inclusion", "-o", str(tmp_path / "export"))
    assert code == 0
    structures = json.loads((tmp_path / "export" / "structures.json").read_text(encoding="utf-8"))
    services = json.loads((tmp_path / "export" / "services.json").read_text(encoding="utf-8"))
    for record in structures:
        v1.Structure.model_validate(record)
    for record in services:
        v1.Service.model_validate(record)
    by_name = {s["nom"]: s for s in structures}
    # CNR actors (from the documents), stewards' entries (CSV), imported ones
    assert "CPAM des Flandres" in by_name
    assert {"CPTS Fictive des Moulins", "DAC Fictif du Littoral", "CLSM Fictif de la Baie"} <= set(
        by_name
    )
    ime = by_name["INSTITUT MEDICO-EDUCATIF FICTIF DES DUNES"]
    assert (ime["siret"], ime["code_insee"], ime["telephone"]) == (
        "99999999900011",
        "59183",
        "01 99 00 10 01",
    )
    assert ime["source"] == "santegraph" and ime["lien_source"].endswith("acteur/finess/999000011")
    service = next(
        s for s in services if s["nom"] == "Accompagnement des jeunes en situation de handicap"
    )
    assert set(service["publics"]) == {"jeunes", "personnes-en-situation-de-handicap"}
    assert "sante--constituer-un-dossier-mdph-invalidite" in service["thematiques"]
    assert service["structure_id"] in {s["id"] for s in structures}
    assert service["zone_eligibilite"] == ["59", "59067", "59183"]


def test_stale_lists_entries_older_than_the_setting(cli):
    cli("import-directory", "data-inclusion", *fixture("structures.json", "services.json"))
    code, out, _ = cli("stale")
    assert code == 0 and "à vérifier (non vérifiées depuis plus de 730 jours)" in out
    assert "EHPAD Fictif Les Tilleuls — vérifiée le 2019-06-01" in out
    assert "Mission locale fictive du Littoral" not in out
    code, out, _ = cli("stale", "--days", "36500", "--format", "json")
    names = {e["label"] for e in json.loads(out)}
    assert "EHPAD Fictif Les Tilleuls" not in names  # within a century
    code, out, _ = cli("stats")
    assert "entries to verify" in out
