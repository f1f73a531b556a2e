"""The steward workflow on the command line: submit, correct, withdraw, history, tokens.

The steward names themself with --as and proves it with $SANTEGRAPH_STEWARD_TOKEN; without
--yes a command previews and writes nothing. Exit codes: 0 done (or previewed), 1
violations or conflict, 2 unreadable input or no valid credential.
"""

from __future__ import annotations

import json
import re

import pytest

from santegraph.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from santegraph.steward.credentials import credential_line

from .conftest import SUBMISSIONS

TOKEN = "jeton-cli-de-test-" + "t" * 24


@pytest.fixture
def run(run, monkeypatch):
    """The CLI (conftest) with the tiny content loaded and one steward configured."""
    monkeypatch.setenv("SANTEGRAPH_STEWARD_TOKENS", credential_line("Marie Fictive", TOKEN))
    monkeypatch.setenv("SANTEGRAPH_STEWARD_TOKEN", TOKEN)
    assert run("load")[0] == EXIT_OK
    return run


def graphs(run) -> list[str]:
    code, out, _ = run(
        "query",
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER(CONTAINS(STR(?g), "/soumission/")) }',
        "--format",
        "csv",
    )
    return out.split()[1:]


def test_submit_previews_without_yes_then_writes(run):
    valid = str(SUBMISSIONS / "valid-msp.ttl")
    code, out, _ = run("submit", valid, "--as", "Marie Fictive")
    assert code == EXIT_OK
    assert "Depot of" in out and "ajoutée" in out and "+4 / -0 triples" in out
    assert "preview only: nothing was written" in out
    assert graphs(run) == []

    code, out, _ = run("submit", valid, "--as", "Marie Fictive", "--comment", "MSP", "--yes")
    assert code == EXIT_OK
    (graph,) = graphs(run)
    assert f"written: {graph} version 1" in out

    code, out, _ = run("history", "--format", "json")
    (event,) = json.loads(out)
    assert (event["kind"], event["channel"], event["comment"]) == ("Depot", "cli", "MSP")


def test_correct_and_withdraw_are_journaled(run, tmp_path):
    run("submit", str(SUBMISSIONS / "valid-msp.ttl"), "--as", "Marie Fictive", "--yes")
    (graph,) = graphs(run)
    fixed = tmp_path / "fix.ttl"
    fixed.write_text(
        (SUBMISSIONS / "valid-msp.ttl").read_text().replace("MSP du Port", "MSP du Port (59)")
    )
    code, out, _ = run("correct", graph, str(fixed), "--as", "Marie Fictive", "--yes")
    assert code == EXIT_OK and "modifiée" in out and "+1 / -1 triples" in out
    code, out, _ = run("withdraw", graph, "--as", "Marie Fictive", "--comment", "doublon", "--yes")
    assert code == EXIT_OK and "Retrait of" in out
    assert graphs(run) == []
    code, out, _ = run("history")
    kinds = [line.split()[1] for line in out.splitlines()]
    assert kinds == ["Retrait", "Correction", "Depot"]
    assert "doublon" in out


def test_a_correction_that_changes_nothing_writes_nothing(run):
    """The same description again: no write, no new version in the journal."""
    valid = str(SUBMISSIONS / "valid-msp.ttl")
    run("submit", valid, "--as", "Marie Fictive", "--yes")
    (graph,) = graphs(run)
    code, out, _ = run("correct", graph, valid, "--as", "Marie Fictive", "--yes")
    assert code == EXIT_OK
    assert "+0 / -0 triples" in out and "nothing changed: nothing was written" in out
    code, out, _ = run("history", "--format", "json")
    assert [e["version"] for e in json.loads(out)] == [1]


def test_withdraw_entry_removes_one_entry_of_a_submission(run, tmp_path):
    two = tmp_path / "deux.ttl"
    two.write_text(
        (SUBMISSIONS / "valid-msp.ttl").read_text()
        + '<acteur/autre> a sg:MSP ; skos:prefLabel "Autre"@fr ; sg:telephone "1" .\n'
    )
    run("submit", str(two), "--as", "Marie Fictive", "--yes")
    (graph,) = graphs(run)
    entry = "https://w3id.org/santegraph/id/acteur/autre"
    code, out, _ = run("withdraw", graph, "--entry", entry, "--as", "Marie Fictive", "--yes")
    assert code == EXIT_OK
    assert f"retirée   {entry}" in out and "Correction of" in out
    code, out, _ = run("query", f"ASK {{ GRAPH <{graph}> {{ <{entry}> ?p ?o }} }}")
    assert "false" in out
    assert graphs(run) == [graph]  # the MSP stays


def test_another_steward_without_a_role_cannot_withdraw(run, monkeypatch):
    run("submit", str(SUBMISSIONS / "valid-msp.ttl"), "--as", "Marie Fictive", "--yes")
    (graph,) = graphs(run)
    paul_token = "jeton-de-paul-" + "p" * 24
    monkeypatch.setenv(
        "SANTEGRAPH_STEWARD_TOKENS",
        f"{credential_line('Marie Fictive', TOKEN)},{credential_line('Paul Durand', paul_token)}",
    )
    monkeypatch.setenv("SANTEGRAPH_STEWARD_TOKEN", paul_token)
    code, _, err = run("withdraw", graph, "--as", "Paul Durand", "--yes")
    assert code == EXIT_INVALID and "déposée par Marie Fictive" in err
    assert graphs(run) == [graph]
    monkeypatch.setenv("SANTEGRAPH_STEWARD_ROLES", "Paul Durand:admin")
    assert run("withdraw", graph, "--as", "Paul Durand", "--yes")[0] == EXIT_OK
    assert graphs(run) == []


def test_submitting_an_entry_again_says_to_correct_instead(run):
    valid = str(SUBMISSIONS / "valid-msp.ttl")
    run("submit", valid, "--as", "Marie Fictive", "--yes")
    (graph,) = graphs(run)
    code, out, err = run("submit", valid, "--as", "Marie Fictive", "--yes")
    assert code == EXIT_INVALID
    assert "doublons possibles" in out and "même IRI" in out
    assert f'santegraph correct {graph} FICHIER --as "Marie Fictive" --yes' in out
    assert "doublon(s) possible(s)" in err
    assert graphs(run) == [graph]
    code, _, _ = run("submit", valid, "--as", "Marie Fictive", "--yes", "--accept-duplicates")
    assert code == EXIT_OK and len(graphs(run)) == 2


def test_violations_exit_1_and_write_nothing(run):
    code, _, err = run(
        "submit", str(SUBMISSIONS / "unknown-commune.ttl"), "--as", "Marie Fictive", "--yes"
    )
    assert code == EXIT_INVALID
    assert "commune connue" in err
    assert graphs(run) == []


def test_warnings_need_accept_warnings(run, tmp_path):
    no_phone = tmp_path / "sans-tel.ttl"
    no_phone.write_text(
        "@prefix sg: <https://w3id.org/santegraph/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        '<acteur/y> a sg:MSP ; skos:prefLabel "Y"@fr .\n'
    )
    code, _, err = run("submit", str(no_phone), "--as", "Marie Fictive", "--yes")
    assert code == EXIT_INVALID and "avertissement" in err
    assert graphs(run) == []
    code, _, _ = run("submit", str(no_phone), "--as", "Marie Fictive", "--yes", "--accept-warnings")
    assert code == EXIT_OK and len(graphs(run)) == 1


@pytest.mark.parametrize("token", ["", "mauvais-jeton-" + "m" * 20])
def test_a_missing_or_wrong_token_exits_2(run, monkeypatch, token):
    monkeypatch.setenv("SANTEGRAPH_STEWARD_TOKEN", token)
    code, _, err = run("submit", str(SUBMISSIONS / "valid-msp.ttl"), "--as", "Marie Fictive")
    assert code == EXIT_USAGE
    assert "no valid credential for steward 'Marie Fictive'" in err


def test_unreadable_input_exits_2(run):
    code, _, err = run("submit", str(SUBMISSIONS / "broken.ttl"), "--as", "Marie Fictive")
    assert code == EXIT_USAGE and "broken.ttl" in err


def test_load_refuses_steward_graphs(run):
    code, _, err = run(
        "load",
        str(SUBMISSIONS / "valid-msp.ttl"),
        "--graph",
        "https://w3id.org/santegraph/id/graph/journal",
    )
    assert code == EXIT_USAGE and "santegraph submit" in err


def test_rebuild_keeps_steward_graphs_and_the_journal(run):
    run("submit", str(SUBMISSIONS / "valid-msp.ttl"), "--as", "Marie Fictive", "--yes")
    before = graphs(run)
    code, _, _ = run("load", "--replace")
    assert code == EXIT_OK
    assert graphs(run) == before
    assert len(json.loads(run("history", "--format", "json")[1])) == 1


def test_steward_token_prints_a_token_and_its_credential_line(capsys):
    assert main(["steward-token", "Paul"]) == EXIT_OK
    out = capsys.readouterr().out
    token = re.search(r"shown only once\): (\S+)", out).group(1)
    assert f"steward_tokens entry: {credential_line('Paul', token)}" in out
    assert len(token) >= 40
