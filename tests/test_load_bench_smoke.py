"""The load benchmark runs end to end at a tiny scale and reports well.

No timing is looked at (speed targets belong to docs/benchmarks.md): only that every way
ran and succeeded, and that the Markdown section and the JSON results are complete.
"""

from __future__ import annotations

import json

from bench import load_bench


def test_the_harness_compares_import_and_load_with_oxigraph_load(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"before\n{load_bench.BEGIN}\nold\n{load_bench.END}\nafter\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["--scales", "0.002", "--no-content", "--pages", "/healthz", "--out", str(out)]
    argv += ["--doc", str(doc), "--write-doc", "--quiet"]
    assert load_bench.main(argv) == 0

    text = doc.read_text(encoding="utf-8")
    assert text.startswith("before\n" + load_bench.BEGIN) and text.endswith(
        load_bench.END + "\nafter\n"
    )
    section = text[text.index(load_bench.BEGIN) : text.index(load_bench.END)]
    assert "Load average" in section and "pyoxigraph 0.5" in section
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert [r.split(" | ")[0] for r in rows[:2]] == [
        "| `import` content + synthetic 0.002",
        "| `load` synthetic 0.002 into the content",
    ]
    for row in rows[:2]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 10
        assert float(cells[4]) > 0 and cells[5] in ("PASS", "FAIL")
        assert "→" in cells[9]  # the load average beside the figures
    assert "answered `/healthz` after" in section

    [results] = out.glob("results-*.json")
    report = json.loads(results.read_text(encoding="utf-8"))
    (scale,) = report["scales"]
    for way in ("oxigraph_import", "santegraph_import", "oxigraph_load", "santegraph_load"):
        assert scale[way]["exit"] == 0, scale[way]["output"]
        assert scale[way]["peak_rss_mib"] > 1
    assert scale["dump_quads"] > scale["synthetic_quads"] > 0
    assert report["start"]["/healthz first"]["status"] == 200
