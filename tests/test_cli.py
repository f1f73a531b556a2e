"""The `santegraph` command, driven in process through `main(argv)` on a temporary store."""

import json

import pyoxigraph as ox
import pytest

from santegraph.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from santegraph.config import settings_doc

from .conftest import MINI, SUBMISSIONS


def test_help_lists_every_command_with_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for command in ("serve", "load", "validate", "query", "export", "import", "stats"):
        assert command in out
    with pytest.raises(SystemExit):
        main(["load", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_load_then_query_prints_the_count(run):
    code, out, _ = run("load")
    assert code == EXIT_OK
    assert "loaded" in out
    code, out, _ = run("query", "SELECT (COUNT(*) AS ?n) {?s ?p ?o}")
    assert code == EXIT_OK
    count = int(out.splitlines()[-1])
    assert count > 20


def test_progress_stays_quiet_when_not_on_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["--store-path", str(tmp_path / "s"), "--content-dir", str(MINI), "load"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK
    assert err == ""  # no bar, no stage line: stderr is not a terminal here
    assert out.startswith("loaded ")


def test_progress_can_be_forced_for_logs(run):
    code, _, err = run("--progress", "load")
    assert code == EXIT_OK
    assert "validation SHACL" in err
    assert "écriture" in err


def test_load_twice_does_not_duplicate(run):
    run("load")
    _, first, _ = run("query", "SELECT (COUNT(*) AS ?n) {?s ?p ?o}")
    code, _, err = run("load")
    assert code == EXIT_OK
    assert "already holds data" in err
    _, second, _ = run("query", "SELECT (COUNT(*) AS ?n) {?s ?p ?o}")
    assert first == second


def test_query_formats(run):
    run("load")
    code, out, _ = run(
        "query",
        "SELECT ?c WHERE { ?c a <https://w3id.org/santegraph/def#Commune> } ORDER BY ?c",
        "--format",
        "json",
    )
    assert code == EXIT_OK
    values = [b["c"]["value"] for b in json.loads(out)["results"]["bindings"]]
    assert values == [
        "https://w3id.org/santegraph/id/territoire/commune/59183",
        "https://w3id.org/santegraph/id/territoire/commune/59350",
    ]
    code, out, _ = run("query", "ASK { ?s ?p ?o }")
    assert out.strip() == "true"
    code, out, _ = run(
        "query", "CONSTRUCT WHERE { ?s a <https://w3id.org/santegraph/def#Commune> }"
    )
    assert len(list(ox.parse(out.encode(), format=ox.RdfFormat.TURTLE))) == 2


def test_a_malformed_query_exits_1_with_the_position(run):
    code, _, err = run("query", "SELECT ?s WHERE { ?s ?p }")
    assert code == EXIT_INVALID
    assert "1:" in err and "error" in err


def test_an_update_is_not_a_query(run):
    code, _, err = run("query", "DELETE WHERE { ?s ?p ?o }")
    assert code == EXIT_INVALID
    assert "updates go through" in err


def test_validate_exit_codes(run):
    run("load")
    assert run("validate", str(SUBMISSIONS / "valid-msp.ttl"))[0] == EXIT_OK
    code, out, _ = run("validate", str(SUBMISSIONS / "no-label.ttl"))
    assert code == EXIT_INVALID
    assert "acteur/sans-nom" in out and "Violation" in out
    code, _, err = run("validate", str(SUBMISSIONS / "broken.ttl"))
    assert code == EXIT_USAGE
    assert "broken.ttl:6:" in err
    assert run("validate", "missing.ttl")[0] == EXIT_USAGE


def test_validate_writes_the_standard_report(run, tmp_path):
    run("load")
    report = tmp_path / "report.ttl"
    run("validate", str(SUBMISSIONS / "no-label.ttl"), "--report", str(report))
    graph = list(ox.parse(path=str(report), format=ox.RdfFormat.TURTLE))
    assert ox.NamedNode("http://www.w3.org/ns/shacl#ValidationReport") in {q.object for q in graph}


def test_a_rejected_load_exits_1_and_changes_nothing(run, tmp_path):
    run("load")
    _, before, _ = run("export")
    code, _, err = run("load", str(SUBMISSIONS / "no-label.ttl"))
    assert code == EXIT_INVALID
    assert "store was left unchanged" in err
    _, after, _ = run("export")
    assert sorted(after.splitlines()) == sorted(before.splitlines())


def test_export_then_import_round_trips(run, tmp_path):
    run("load")
    dump = tmp_path / "dump.nq"
    assert run("export", "-o", str(dump))[0] == EXIT_OK
    lines = dump.read_text().splitlines()
    assert len(lines) > 20
    code, out, _ = run("import", str(dump))
    assert code == EXIT_OK
    assert f"imported {len(lines)} triples" in out


def test_stats_counts_graphs_and_classes(run):
    run("load")
    code, out, _ = run("stats")
    assert code == EXIT_OK
    assert "backend: embedded" in out
    assert "https://w3id.org/santegraph/def#Commune" in out


def test_config_doc_is_the_settings_reference(capsys):
    assert main(["config", "--doc"]) == EXIT_OK
    assert capsys.readouterr().out == settings_doc()


def test_bad_settings_exit_2(run, monkeypatch):
    monkeypatch.setenv("SANTEGRAPH_BACKEND", "remote")
    code, _, err = run("stats")
    assert code == EXIT_USAGE
    assert "remote_query_url" in err


def test_serve_on_a_taken_port_says_so_and_exits_2(run):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, _, err = run("serve", "--port", str(port), "--no-load")

    assert code == EXIT_USAGE
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in err
    assert "--port, SANTEGRAPH_PORT" in err
    assert "santegraph on" not in err  # never announced where it does not listen
    assert "Traceback" not in err
