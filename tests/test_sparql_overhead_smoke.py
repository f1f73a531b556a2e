"""The /sparql overhead harness runs end to end on a tiny dataset and writes its table.

No timing is looked at (speed belongs to docs/benchmarks.md): only that every layer of
every query was measured, and that the doc's section between the markers was rewritten.
"""

from __future__ import annotations

from bench import sparql_overhead

from .conftest import MINI


def test_the_overhead_harness_measures_every_layer(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"before\n{sparql_overhead.BEGIN}\nold\n{sparql_overhead.END}\nafter\n")
    argv = ["--scale", "0.002", "--repetitions", "2", "--warmup", "0"]
    argv += ["--content-dir", str(MINI), "--out", str(tmp_path / "out")]
    argv += ["--doc", str(doc), "--write-doc"]
    assert sparql_overhead.main(argv) == 0

    text = doc.read_text(encoding="utf-8")
    assert text.startswith("before\n" + sparql_overhead.BEGIN)
    assert text.endswith(sparql_overhead.END + "\nafter\n")
    assert "\nold\n" not in text
    header = next(line for line in text.splitlines() if line.startswith("| query |"))
    assert all(f" {layer} |" in header for layer in sparql_overhead.LAYERS)
    rows = [line for line in text.splitlines() if line.startswith("| 0")]
    assert sorted(r.split(" | ")[0].removeprefix("| ") for r in rows) == sorted(
        sparql_overhead.DEFAULT_QUERIES
    )
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 1 + len(sparql_overhead.LAYERS) + 1
        assert all(float(cell) > 0 for cell in cells[1:])
    assert not list((tmp_path / "out").glob("overhead-*.body"))  # cleaned up
