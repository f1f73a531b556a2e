"""The directory import benchmark runs end to end at a tiny size and reports well.

No timing is checked (docs/benchmarks.md holds the figures): only that the synthetic files
are in the published formats and import cleanly, that both imports and the oxigraph load
ran, and that the report section is complete and goes between its markers.
"""

from __future__ import annotations

import json

from bench import directory_bench


def test_the_benchmark_imports_a_tiny_synthetic_dump_and_reports(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"# B\n\n{directory_bench.BEGIN}\nold\n{directory_bench.END}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    argv = ["--structures", "12", "--services", "30", "--establishments", "10"]
    assert directory_bench.main([*argv, "--out", str(out), "--doc", str(doc), "--write-doc"]) == 0

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    finess, inclusion = results["imports"]
    assert (finess["format"], finess["records"], finess["rejected"]) == ("finess", 10, 0)
    assert finess["changes"] == {"ajouté": 10}
    assert (inclusion["records"], inclusion["rejected"]) == (42, 0)
    assert inclusion["changes"] == {"ajouté": 42}
    assert inclusion["merges"] == 1  # establishment 0 shares its SIRET with structure 0
    for run in (finess, inclusion):
        assert run["events"] > 0 and run["maxrss_kib"] > 0
        assert {"lecture", "validation", "ecriture"} <= set(run["phases"])
    assert results["export"]["quads"] > 0 and results["oxigraph_load_s"] > 0

    text = doc.read_text(encoding="utf-8")
    section = text[text.index(directory_bench.BEGIN) : text.index(directory_bench.END)]
    assert "\nold\n" not in section and "load average" in section
    assert "| finess | 10 |" in section and "| data-inclusion | 42 |" in section
    assert "Ratio import / oxigraph load" in section
    # the professional's pages on the imported store, against their raw queries
    assert [p["label"] for p in results["pages"]] == [label for label, _ in directory_bench.PAGES]
    assert all(p["status"] == 200 and p["runs"] > 0 for p in results["pages"])
    assert "| search |" in section and "page / raw" in section
