"""The SPARQL benchmark harness runs end to end on a tiny dataset and reports well.

Nothing here looks at timings (speed targets belong to the benchmark report, see
docs/benchmarks.md): only that every query ran the three ways, that they agreed, and that
the Markdown section and the JSON results are complete.
"""

from __future__ import annotations

import json
import re

from bench import sparql_bench

from .conftest import MINI, ROOT

QUERY_NAMES = sorted(p.stem for p in (ROOT / "bench" / "queries").glob("*.rq"))


def test_every_benchmark_query_has_a_header():
    from santegraph.queries import QueryCatalogue

    catalogue = QueryCatalogue(ROOT / "bench" / "queries")
    assert 8 <= len(catalogue) <= 10
    for query in catalogue:
        assert query.title and query.description, query.name
        assert set(query.params) <= set(sparql_bench.PICKS) | set(sparql_bench.FIXED)
    forms = {q.form for q in catalogue}
    assert {"SELECT", "CONSTRUCT", "ASK"} <= forms


def test_the_harness_reports_every_query_three_ways(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"# Benchmarks\n\nbefore\n\n{sparql_bench.BEGIN}\nold\n{sparql_bench.END}\n\nafter\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    argv = ["--scale", "0.002", "--repetitions", "1", "--warmup", "0", "--clients", "2"]
    argv += ["--rounds", "1", "--content-dir", str(MINI), "--out", str(out)]
    argv += ["--doc", str(doc), "--write-doc", "--quiet"]
    assert sparql_bench.main(argv) == 0

    # the doc: only the part between the markers changed
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nbefore\n\n" + sparql_bench.BEGIN)
    assert text.endswith(sparql_bench.END + "\n\nafter\n")
    assert "\nold\n" not in text
    section = text[text.index(sparql_bench.BEGIN) : text.index(sparql_bench.END)]
    assert "AMD" in section or "cores" in section
    assert "pyoxigraph 0.5" in section and "oxigraph 0.5" in section
    assert "load average" in section

    # two tables (1 client, 2 clients), one row per query, well-formed cells
    rows = [line for line in section.splitlines() if line.startswith("| 0")]
    assert sorted({r.split(" | ")[0].removeprefix("| ") for r in rows}) == QUERY_NAMES
    assert len(rows) == 2 * len(QUERY_NAMES)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 8
        for timing in cells[2:5]:
            assert re.fullmatch(r"[\d,.]+ \([\d,.]+\)", timing), row
        assert float(cells[5]) > 0 and float(cells[6]) > 0
        assert cells[7] in ("PASS", "FAIL")
    assert "| santegraph | " in section and "queries/s" in section
    assert "Peak resident memory" in section

    # the JSON results: same answer size on the three ways, one timing per run
    [results] = out.glob("results-*.json")
    report = json.loads(results.read_text(encoding="utf-8"))
    assert report["dataset"]["quads"] > report["dataset"]["synthetic_quads"] > 0
    assert report["santegraph"]["query_workers"] >= 1
    # peak memory of oxigraph serve, of the santegraph server and of its query workers
    assert len(report["memory_mib"]["oxigraph"]) == 1
    assert len(report["memory_mib"]["santegraph"]) >= 2
    assert all(mib > 1 for way in report["memory_mib"].values() for mib in way)
    by_name = {q["name"]: q for q in report["queries"]}
    assert sorted(by_name) == QUERY_NAMES
    assert by_name["09-ask-commune-in-region"]["size"] == -2  # true
    assert by_name["08-construct-service-audiences"]["size"] > 0
    for query in report["queries"]:
        assert set(query["single"]) == set(sparql_bench.WAYS)
        assert all(len(times) == 1 for times in query["single"].values())
        assert all(len(times) == 2 for times in query["loaded"].values())  # 2 clients × 1
        assert set(query["bytes"]) == set(sparql_bench.WAYS)
    for way in sparql_bench.WAYS:
        assert report["concurrency"][way]["queries"] == 2 * len(QUERY_NAMES)

    # a saved run renders again to the same section, without measuring
    again = tmp_path / "again.md"
    again.write_text(f"{sparql_bench.BEGIN}\n{sparql_bench.END}\n", encoding="utf-8")
    argv = ["--from-results", str(results), "--doc", str(again), "--write-doc", "--quiet"]
    assert sparql_bench.main(argv) == 0
    assert section in again.read_text(encoding="utf-8")


def test_the_entailment_benchmark_measures_both_ways_and_writes_its_section(tmp_path):
    from bench import entailment_bench

    result = entailment_bench.run(MINI, repeat=1)
    assert result["inferred_triples"] > 0 and result["stated_triples"] > 0
    for key in ("load_with_s", "load_without_s", "reasoning_s", "commit_with_s"):
        assert result[key] > 0, key
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"before\n{entailment_bench.BEGIN}\nold\n{entailment_bench.END}\nafter\n", encoding="utf-8"
    )
    entailment_bench.DOC, original = doc, entailment_bench.DOC
    try:
        entailment_bench.write_doc(result)
    finally:
        entailment_bench.DOC = original
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("before\n") and text.endswith("\nafter\n") and "old" not in text
    assert "| full load" in text and "load average" in text
