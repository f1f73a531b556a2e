"""The reliability run (bench/reliability.py) works end to end at a tiny size.

Nothing here looks at timings (they belong to docs/benchmarks.md): only that a real
supervised server was started, attacked and loaded, that every attack and every kind of
request was reported, that the figures add up, and that the server survived: no error,
no restart, a clean stop.
"""

from __future__ import annotations

import json

from bench import reliability

from .conftest import MINI


def test_the_reliability_run_reports_attacks_load_memory_and_restarts(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# B\n\n{reliability.BEGIN}\nold\n{reliability.END}\n", encoding="utf-8")
    argv = ["--content-dir", str(MINI), "--clients", "2", "--requests", "6"]
    argv += ["--bad-credentials", "3", "--huge-csv-rows", "50", "--gzip-bomb-mib", "20"]
    argv += ["--set", "query_timeout=2", "--write-every", "0.2", "--check-every", "0.2"]
    argv += ["--out", str(tmp_path / "out"), "--doc", str(doc), "--write-doc", "--quiet"]
    code = reliability.main(argv)

    (results,) = (tmp_path / "out").glob("*/results.json")
    result = json.loads(results.read_text())
    assert code == 0, result
    assert result["errors"] == 0 and result["restarts"] == 0
    assert result["server_exit_code"] == 0  # stopped on purpose, cleanly
    kinds = result["kinds"]
    assert {"page", "sparql", "runaway query", "steward write", "anonymous check"} <= set(kinds)
    assert sum(kinds[k]["requests"] for k in ("page", "sparql", "healthz") if k in kinds) == 12
    assert set(kinds["steward write"]["statuses"]) <= {"200", "201"}  # the writes went in
    for kind in kinds.values():
        assert kind["p50_ms"] <= kind["p99_ms"]
        assert sum(kind["statuses"].values()) == kind["requests"]
    names = [a["name"] for a in result["attacks"]]
    assert len(names) == 13 and "deep JSON-LD on /steward/validate" in names
    must_hold = {  # the findings fixed in this half of #13
        "deep JSON-LD on /steward/validate",
        "SERVICE to a loopback port",
        "billion laughs on PUT /store",
        "Turtle collection of 120,001 triples",
        "gzip bomb to `santegraph validate`",
    }
    assert all(a["ok"] for a in result["attacks"] if a["name"] in must_hold)
    processes = result["memory"]["processes"]
    assert {"server", "supervisor", "query worker", "check worker"} <= set(processes)
    assert result["memory"]["peak_total_mib"] >= processes["server"]["peak_mib"] > 0
    section = doc.read_text(encoding="utf-8")
    assert "old" not in section and "load average" in section and "0 errors" in section
