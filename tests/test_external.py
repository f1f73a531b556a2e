"""The inputs the tests take from outside the repository (tests/external.py): a clone
without them runs, says what it could not check, and a wrong location stops the run."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from .conftest import ROOT
from .external import NOT_MADE, ExternalInput, SourceText, summary_lines


def locate(tmp_path, **environ) -> ExternalInput:
    return ExternalInput.locate("texts", "TEXTS", tmp_path / "default", "the texts", environ)


def test_the_variable_wins_then_the_default_then_absent(tmp_path):
    (tmp_path / "mine").mkdir()
    assert locate(tmp_path, TEXTS=str(tmp_path / "mine")).path == tmp_path / "mine"
    absent = locate(tmp_path)
    assert absent.path is None
    assert absent.reason == f"texts absent (TEXTS is not set and {tmp_path}/default does not exist)"
    (tmp_path / "default").mkdir()
    assert locate(tmp_path).path == tmp_path / "default"
    off = locate(tmp_path, TEXTS="")
    assert off.path is None and off.reason == "texts absent (TEXTS is set empty)"


def test_a_variable_naming_a_missing_folder_is_a_problem_not_an_absence(tmp_path):
    wrong = locate(tmp_path, TEXTS=str(tmp_path / "typo"))
    assert wrong.path is None
    assert wrong.problem == f"TEXTS={tmp_path}/typo: no such folder (it should hold the texts)"


def test_without_the_texts_a_quotation_passes_and_is_counted(monkeypatch):
    from . import external

    absent = ExternalInput("source texts", "SANTEGRAPH_SOURCES_DIR", "the texts", None, "off")
    monkeypatch.setattr(external, "SOURCE_TEXTS", absent)
    external.take_not_made()
    text = SourceText("000_4a337a90df3403e9")
    assert text.says("anything") and text.lacks("anything") and text.matches("x+")
    assert external.take_not_made() == {"source texts": 3}
    with pytest.raises(pytest.skip.Exception, match=r"source texts absent \(off\)"):
        text.text  # noqa: B018 - a test about the whole text is skipped


def test_the_summary_counts_skipped_tests_and_checks_not_made(monkeypatch):
    from . import external

    absent = ExternalInput("source texts", "SANTEGRAPH_SOURCES_DIR", "the .txt", None, "off")
    monkeypatch.setattr(external, "INPUTS", (absent,))
    passed = SimpleNamespace(skipped=False, user_properties=[(NOT_MADE, {"source texts": 4})])
    other = SimpleNamespace(skipped=False, user_properties=[(NOT_MADE, {"source texts": 1})])
    skipped = SimpleNamespace(
        skipped=True, user_properties=[], longrepr=("t.py", 1, f"Skipped: {absent.reason}")
    )
    assert summary_lines([passed, other, skipped]) == [
        "source texts absent (off): 1 test skipped, 5 checks against them not made in 2 tests "
        "whose graph assertions ran; set SANTEGRAPH_SOURCES_DIR to the folder holding the .txt "
        "to check them"
    ]


def pytest_run(*args: str, **environ: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")} | environ
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-n0", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_run_without_the_texts_says_what_it_did_not_check():
    result = pytest_run(
        "tests/test_ontology.py::test_source_terms_point_to_existing_source_documents",
        SANTEGRAPH_SOURCES_DIR="",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert (
        "source texts absent (SANTEGRAPH_SOURCES_DIR is set empty): 0 tests skipped, 1 check "
        "against them not made in 1 test whose graph assertions ran" in result.stdout
    )


def test_a_wrong_location_stops_the_run(tmp_path):
    result = pytest_run("tests/test_external.py", SANTEGRAPH_W3C_TESTS=str(tmp_path / "nope"))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"SANTEGRAPH_W3C_TESTS={tmp_path}/nope: no such folder" in result.stderr
