"""The project's record of santegraph's conformance beside a plain `oxigraph serve`.

The W3C query suite (tests/test_sparql_w3c.py) and update suite
(tests/test_sparql_update_w3c.py) run each case in the same run on a plain `oxigraph
serve` (the reference) and on santegraph; each states, case by case, where a target
answers otherwise than the suite, and the run checks every statement (strict). From those
lists this module makes the record in docs/backends.md ("Conformance beside oxigraph
serve") and checks it: no case passes on the reference and fails on santegraph, except the
update cases the steward gate refuses, each listed by name. After a change of the lists,
print the record with ``python -m tests.test_conformance_record`` and paste it.
"""

from __future__ import annotations

import textwrap

import pytest

from . import test_sparql_update_w3c as update_suite
from . import test_sparql_w3c as query_suite
from .conftest import ROOT
from .external import W3C_SUITES

# the record is built from the W3C suites' case lists: without them there is nothing to check
pytestmark = pytest.mark.skipif(
    W3C_SUITES.path is None, reason="W3C suites absent (SANTEGRAPH_W3C_TESTS)"
)

DOC = ROOT / "docs" / "backends.md"
BEGIN = "<!-- conformance record: made by tests/test_conformance_record.py -->"
END = "<!-- end of the conformance record -->"


def _ids(cases) -> list[str]:
    return [case.id for case in cases if case.id]


def _outcomes(ids: list[str], failing) -> str:
    failing = [i for i in ids if i in failing]
    return f"{len(ids) - len(failing)} pass, {len(failing)} differ"


def query_failures() -> dict[str, set[str]]:
    """Case ids (``…+FROM`` included) each target answers otherwise than the suite."""
    ids = _ids(query_suite.CASES)

    def failing(differences):
        return {i for i in ids if i.removesuffix("+FROM") in differences}

    return {
        "reference": failing(query_suite.REFERENCE_DIFFERENCES),
        "embedded": failing(query_suite.KNOWN_DIFFERENCES | query_suite.EMBEDDED_DIFFERENCES),
        "remote": failing(query_suite.KNOWN_DIFFERENCES | query_suite.REMOTE_DIFFERENCES),
    }


def record() -> str:
    query_ids, update_ids = _ids(query_suite.CASES), _ids(update_suite.CASES)
    query = query_failures()
    reference_update = set(update_suite.REFERENCE_DIFFERENCES)
    santegraph_update = set(update_suite.SANTEGRAPH_DIFFERENCES)
    gate = sorted(update_suite.GATE_CASES)
    update_santegraph = len(update_ids) - len(santegraph_update) - len(gate)
    regressions = sorted(
        (query["embedded"] | query["remote"]) - query["reference"]
        | santegraph_update - reference_update
    )
    lines = [
        BEGIN,
        "",
        "| W3C suite (rdf-tests, sparql11) | cases | plain `oxigraph serve` | santegraph, "
        "embedded | santegraph over `oxigraph serve` |",
        "| --- | --- | --- | --- | --- |",
        f"| Query and result formats, `/sparql` (each evaluation case also with its dataset "
        f"as `FROM` / `FROM NAMED`) | {len(query_ids)} "
        f"| {_outcomes(query_ids, query['reference'])} "
        f"| {_outcomes(query_ids, query['embedded'])} "
        f"| {_outcomes(query_ids, query['remote'])} |",
        f"| Update, `/update` with a steward credential | {len(update_ids)} "
        f"| {_outcomes(update_ids, reference_update)} "
        f"| {update_santegraph} pass, {len(santegraph_update)} differ, {len(gate)} refused "
        "by the steward gate | (the same gate: writes go through santegraph) |",
        "",
        "Cases that pass on `oxigraph serve` and fail on santegraph, other than the gate's: "
        + (", ".join(f"`{r}`" for r in regressions) if regressions else "**none**")
        + ". Where both differ from the suite, they differ alike (the lists and their "
        "reasons: `KNOWN_DIFFERENCES` in tests/test_sparql_w3c.py, `REFERENCE_DIFFERENCES` "
        "in both suites).",
        "",
        f"The steward gate refuses whole (403, nothing written) the {len(gate)} update cases "
        "that write the default graph (the union, never written) or a graph that is not a "
        "steward graph (every graph of the suite), or that LOAD (the server fetches "
        "nothing), `SILENT` or not: " + ", ".join(f"`{g}`" for g in gate) + ".",
        "",
        END,
    ]
    return "\n".join(lines)


def test_no_case_passes_on_oxigraph_serve_and_fails_on_santegraph():
    query = query_failures()
    assert query["embedded"] <= query["reference"]
    assert query["remote"] <= query["reference"]
    assert set(update_suite.SANTEGRAPH_DIFFERENCES) <= set(update_suite.REFERENCE_DIFFERENCES)
    # a gate case passes on the reference: it is the gate that refuses it
    assert not update_suite.GATE_CASES & set(update_suite.REFERENCE_DIFFERENCES)
    assert update_suite.GATE_CASES <= set(_ids(update_suite.CASES))


def test_the_record_in_docs_is_the_one_the_lists_make():
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC} has no conformance record"
    written = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert written == record(), "run `python -m tests.test_conformance_record` and paste it"


if __name__ == "__main__":
    print(textwrap.dedent(record()))
