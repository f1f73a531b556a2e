"""Steward validation (issue 7, "Validate"): CSV templates, reports for people and tools,
`santegraph validate` on CSV/JSON-LD, and the read-only /steward/validate page.

Runs on the tiny content of tests/data/mini (communes 59183, 59350...; CPTS and MSP).
"""

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup

from santegraph.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from santegraph.config import load_settings
from santegraph.errors import InputError
from santegraph.steward.csv_templates import ACTEURS, columns_markdown, parse_csv, template_csv
from santegraph.web import create_app

from .conftest import BASE, MINI, ROOT, sorted_quads

HEADER = "nom;type;localisation;telephone;referent"
VALID_ROW = "CPTS Fictive du Dunkerquois;CPTS;59183;03 53 73 00 00;Marie Fictive"
UNKNOWN_COMMUNE_ROW = "CPTS de Nulle Part;CPTS;59999;03 53 73 00 00;Marie Fictive"


# ------------------------------------------------------------------ the template
def test_docs_csv_templates_is_generated_from_the_columns():
    on_disk = (ROOT / "docs" / "csv-templates.md").read_text(encoding="utf-8")
    assert on_disk == columns_markdown(), (
        "docs/csv-templates.md is stale: regenerate it with "
        "python -c 'from santegraph.steward.csv_templates import columns_markdown as m; "
        'open("docs/csv-templates.md", "w").write(m())\''
    )
    for column in ACTEURS.columns:
        assert f"`{column.name}`" in on_disk


def test_template_has_the_header_and_one_example_row_that_never_loads():
    """The example row is there to be replaced: left in, it is a clear violation (row 2,
    column nom), never an entry of the graph."""
    rows = list(csv.reader(io.StringIO(template_csv()), delimiter=";"))
    assert rows[0] == ACTEURS.names
    assert len(rows) == 2
    assert rows[1][0].startswith("EXEMPLE")
    mapping = parse_csv(
        template_csv().encode(), source="t.csv", base_iri=BASE, graph=_graph(), classes={"CPTS"}
    )
    assert mapping.quads == [] and mapping.rows == {}
    (problem,) = mapping.problems
    assert (problem.severity, problem.row, problem.column) == ("Violation", 2, "nom")
    assert "ligne d'exemple du modèle" in problem.message


def test_the_example_row_shows_valid_values():
    """With a name of its own, the example row maps cleanly: its cells are a model."""
    header, example = template_csv().splitlines()
    cells = example.split(";")
    cells[0] = "CPTS Fictive du Littoral"
    text = f"{header}\n{';'.join(cells)}\n"
    mapping = parse_csv(
        text.encode(), source="t.csv", base_iri=BASE, graph=_graph(), classes={"CPTS"}
    )
    assert mapping.problems == []
    assert list(mapping.rows) == [BASE + "acteur/cpts-fictive-du-littoral"]
    objects = {q.object.value for q in mapping.quads}
    assert BASE + "territoire/commune/59183" in objects
    assert BASE + "public/personnes-agees" in objects
    assert BASE + "referent/marie-fictive" in objects


@pytest.mark.parametrize(
    "code, iri",
    [
        ("59183", "territoire/commune/59183"),
        ("2A004", "territoire/commune/2A004"),
        ("59", "territoire/departement/59"),
        ("971", "territoire/departement/971"),
        ("200040947", "territoire/epci/200040947"),
    ],
)
def test_territory_codes_become_the_right_iri(code, iri):
    text = f"nom,type,territoires_desservis,referent\nX,CPTS,{code},R\n".encode()
    mapping = parse_csv(text, source="t.csv", base_iri=BASE, graph=_graph(), classes={"CPTS"})
    assert [q.object.value for q in mapping.quads if "territoire" in q.object.value] == [BASE + iri]


def test_comma_separator_bom_and_bad_cells_name_row_and_column():
    text = "\ufeffnom,type,localisation,referent\nA,CPTX,59183,R\nB,CPTS,5918,R\n".encode()
    mapping = parse_csv(text, source="t.csv", base_iri=BASE, graph=_graph(), classes={"CPTS"})
    where = sorted((p.row, p.column) for p in mapping.problems)
    assert where == [(2, "type"), (3, "localisation")]


def test_wrong_header_lists_the_expected_columns():
    with pytest.raises(InputError) as info:
        parse_csv(b"name;kind\nX;CPTS\n", source="t.csv", base_iri=BASE, graph=_graph())
    message = str(info.value)
    assert "name" in message and "manquante" in message
    assert "Colonnes attendues : " + ", ".join(ACTEURS.names) in message


# ------------------------------------------------------------------ the CLI
@pytest.fixture
def run(run):
    """The CLI (conftest) with the tiny content already loaded."""
    code, _, _ = run("load")
    assert code == EXIT_OK
    return run


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def test_cli_valid_csv_conforms(run, tmp_path):
    code, out, _ = run("validate", _write(tmp_path, "ok.csv", f"{HEADER}\n{VALID_ROW}\n"))
    assert code == EXIT_OK, out


def test_cli_unknown_commune_names_row_2_and_column_localisation(run, tmp_path):
    path = _write(tmp_path, "bad.csv", f"{HEADER}\n{UNKNOWN_COMMUNE_ROW}\n")
    code, out, _ = run("validate", path, "--format", "json")
    assert code == EXIT_INVALID
    report = json.loads(out)
    assert report["conforms"] is False and report["violations"] == 1
    (violation,) = [r for r in report["results"] if r["severity"] == "Violation"]
    assert violation["row"] == 2 and violation["column"] == "localisation"
    assert violation["focus_node"] == BASE + "acteur/cpts-de-nulle-part"
    assert violation["entry_label"] == "CPTS de Nulle Part"
    assert violation["value"] == BASE + "territoire/commune/59999"
    assert violation["message"].startswith("La localisation")
    for key in ("severity", "path", "message_en", "file", "location"):
        assert key in violation
    code, out, _ = run("validate", path)
    assert "ligne 2, colonne localisation" in out


def test_cli_turtle_report_is_a_shacl_report(run, tmp_path):
    path = _write(tmp_path, "bad.csv", f"{HEADER}\n{UNKNOWN_COMMUNE_ROW}\n")
    code, out, _ = run("validate", path, "--format", "turtle")
    assert code == EXIT_INVALID
    assert "sh:ValidationReport" in out and "sh:conforms false" in out


def test_cli_warnings_alone_exit_0_but_the_shacl_report_does_not_say_conforms(run, tmp_path):
    """santegraph loads an entry with only warnings; its SHACL report still states
    sh:conforms as SHACL defines it (false as soon as there is a result)."""
    no_phone = "CPTS Fictive du Dunkerquois;CPTS;59183;;Marie Fictive"
    path = _write(tmp_path, "warn.csv", f"{HEADER}\n{no_phone}\n")
    code, out, _ = run("validate", path, "--format", "turtle")
    assert code == EXIT_OK, out
    assert "sh:conforms false" in out and "sh:resultSeverity sh:Warning" in out
    assert "sh:Violation" not in out


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("header.csv", "nom;kind;referent\nX;CPTS;R\n", "Colonnes attendues : nom, type"),
        ("latin1.csv", f"{HEADER}\nCPTS Métropole;CPTS;59183;;R\n".encode("latin-1"), "UTF-8"),
        ("empty.csv", b"", "vide"),
        ("empty.ttl", b"   \n", "empty"),
        ("only-header.csv", f"{HEADER}\n", "aucune entrée"),
        ("broken.ttl", "@prefix sg: <https://w3id.org/santegraph/def#> .\n<a> sg:x .\n", ":2:"),
    ],
)
def test_cli_unreadable_input_exits_2_with_a_clear_error(run, tmp_path, name, data, expected):
    code, out, err = run("validate", _write(tmp_path, name, data))
    assert code == EXIT_USAGE
    assert expected in err, err


def test_cli_file_over_the_upload_limit_exits_2(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SANTEGRAPH_MAX_UPLOAD_BYTES", "100")
    path = _write(tmp_path, "big.csv", f"{HEADER}\n" + f"{VALID_ROW}\n" * 10)
    code, _, err = run("validate", path)
    assert code == EXIT_USAGE and "too large" in err


def test_cli_jsonld_is_validated_with_its_line(run, tmp_path):
    doc = {
        "@context": {"sg": "https://w3id.org/santegraph/def#"},
        "@id": BASE + "acteur/msp-json",
        "@type": "sg:MSP",
        "sg:localisation": {"@id": BASE + "territoire/commune/59999"},
    }
    path = _write(tmp_path, "entry.jsonld", json.dumps(doc, indent=2))
    code, out, _ = run("validate", path, "--format", "json")
    assert code == EXIT_INVALID
    lines = {r["line"] for r in json.loads(out)["results"]}
    assert lines == {5}  # the "@id" line (the context takes lines 2-4)


# ------------------------------------------------------------------ the web page
def _post(client, data: bytes, name="entree.csv", fmt="auto", **extra):
    form = {"fichier": (io.BytesIO(data), name), "format": fmt, **extra}
    return client.post("/steward/validate", data=form, content_type="multipart/form-data")


def test_form_is_french_and_offers_the_templates(client):
    response = client.get("/steward/validate")
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("html")["lang"] == "fr"
    assert soup.find("input", {"type": "file", "name": "fichier"})
    assert soup.find("textarea", {"name": "texte"})
    assert {o["value"] for o in soup.select("select[name=format] option")} >= {"csv", "turtle"}
    assert "Rien n'est enregistré" in soup.get_text()
    download = client.get("/steward/templates/acteurs.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.data.decode("utf-8-sig") == template_csv()
    assert client.get("/steward/templates/inconnu.csv").status_code == 404


def test_the_downloaded_template_checked_as_it_is_does_not_conform(client):
    template = client.get("/steward/templates/acteurs.csv").data
    response = _post(client, template, name="acteurs.csv", sortie="json")
    report = response.get_json()
    assert report["conforms"] is False
    (result,) = report["results"]
    assert (result["row"], result["column"]) == (2, "nom")
    assert "ligne d'exemple du modèle" in result["message"]


def test_web_report_groups_by_entry_with_row_and_column(client, store):
    before = sorted_quads(store)
    response = _post(client, f"{HEADER}\n{VALID_ROW}\n{UNKNOWN_COMMUNE_ROW}\n".encode())
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    assert "Non conforme" in soup.get_text()
    entries = soup.select("article.entree")
    bad = next(e for e in entries if "cpts-de-nulle-part" in e.get_text())
    assert "ligne 2" not in bad.get_text() and "ligne 3, colonne localisation" in bad.get_text()
    assert bad.select_one(".badge-violation")
    links = {a["download"]: a["href"] for a in soup.select("a[download]")}
    assert links["rapport-validation.ttl"].startswith("data:text/turtle")
    assert sorted_quads(store) == before  # validation writes nothing


def test_web_json_output_and_pasted_turtle(client):
    turtle = (
        "@prefix sg: <https://w3id.org/santegraph/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        '<acteur/x> a sg:MSP ;\n  skos:prefLabel "X"@fr ;\n'
        "  sg:localisation <territoire/commune/59999> .\n"
    )
    form = {"texte": turtle, "format": "turtle", "sortie": "json"}
    response = client.post("/steward/validate", data=form)
    assert response.status_code == 200
    report = response.get_json()
    assert report["conforms"] is False
    assert {r["line"] for r in report["results"] if r["severity"] == "Violation"} == {3}


def test_web_escapes_hostile_values(client):
    hostile = "<script>alert(1)</script>"
    response = _post(client, f"{HEADER}\n{hostile};CPTS;59999;;R\n".encode())
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.data
    assert b"&lt;script&gt;" in response.data


@pytest.mark.parametrize(
    "data, name, expected",
    [
        (b"nom;kind\nX;CPTS\n", "entree.csv", "Colonnes attendues"),
        (f"{HEADER}\nCPTS Métropole;CPTS;59183;;R\n".encode("latin-1"), "e.csv", "UTF-8"),
        (b"", "vide.csv", "vide"),
        (b"<a> <b> .\n", "e.ttl", "ligne 1, colonne"),
    ],
)
def test_web_unreadable_submission_is_a_400_with_the_reason(client, data, name, expected):
    response = _post(client, data, name=name)
    assert response.status_code == 400
    text = BeautifulSoup(response.data, "html.parser").get_text(" ")
    assert expected in text, text


def test_web_upload_over_the_limit_is_a_413_in_french(store):
    settings = load_settings(
        {"content_dir": str(MINI), "base_iri": BASE, "max_upload_bytes": 2000}, environ={}
    )
    client = create_app(settings, store=store).test_client()
    response = _post(client, (f"{HEADER}\n" + f"{VALID_ROW}\n" * 100).encode())
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.data.decode()


def _graph():
    import pyoxigraph as ox

    return ox.NamedNode(BASE + "graph/local/test")


def test_unmapped_cells_are_in_the_shacl_report_graph_too(run, tmp_path):
    path = _write(tmp_path, "t.csv", f"{HEADER}\nA;CPTX;59183;03 53 73 00 00;R\n")
    code, out, _ = run("validate", path, "--format", "turtle")
    assert code == EXIT_INVALID
    assert "sh:conforms false" in out and "type inconnu" in out
