"""The toile benchmark harness runs once on a tiny store and produces a well-formed report.

Nothing here looks at timings (speed targets belong to the benchmark report, see
docs/benchmarks.md): only that each case was measured both ways, that the recorded store
calls are the toile's named queries with their bindings, and that the Markdown section
replaces only what lies between its markers.
"""

from __future__ import annotations

import argparse

from bench import toile_bench
from santegraph.config import load_settings
from santegraph.store import EmbeddedStore

from .conftest import BASE, MINI
from .test_toile_build import load

CASES = [
    ("public only", "/publics/jeunes"),
    ("public + need + role + place", "/publics/jeunes?besoin=prevention&role=orientation&lieu=59"),
    ("unknown public", "/publics/inconnu"),
]


def test_the_harness_measures_and_reports(tmp_path):
    store = EmbeddedStore()
    load(store)
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    messages = []
    results = toile_bench.run_dataset(
        "tiny", store, settings, CASES, warmup=1, repetitions=2, log=messages.append, min_seconds=0
    )
    assert [r.status for r in results] == [200, 200, 404]
    everywhere, filtered, unknown = results
    assert (everywhere.actors, everywhere.links) == (3, 2)  # two recorded referrals
    assert filtered.actors == 1
    for r in (everywhere, filtered):
        assert len(r.page) == len(r.raw) == len(r.in_page_queries) == len(r.svg) == 2
        assert len(r.floor) == 2
        assert all(t > 0 for t in r.page + r.raw + r.svg + r.floor)
        assert not r.capped
        names = [q.split(" (")[0] for q in r.queries]
        assert {"toile-acteurs", "acteurs-fiches", "orientations-du-parcours"} <= set(names)
        # kept per store generation by the pages, so not queried by a warm page
        assert not {"publics-hierarchie", "vocabulaire-toile", "secteurs"} & set(names)
    assert "toile-acteurs (public×" in " ".join(everywhere.queries)
    assert "lieu×1" in " ".join(filtered.queries)
    assert unknown.page == [] and not unknown.summary()["pass"]
    # the recorder leaves the store as it found it
    assert "select" not in store.__dict__

    args = argparse.Namespace(warmup=1, repetitions=2, argv=["--datasets", "tiny"])
    report = toile_bench.build_report(args, {"tiny": {"description": "tiny."}}, results, 1, 1)
    section = toile_bench.render(report)
    rows = [line for line in section.splitlines() if line.startswith("| tiny |")]
    assert len(rows) == 3
    assert rows[0].count("|") == rows[1].count("|") == rows[2].count("|") == 15
    assert rows[0].split("|")[4].strip() == "2"  # runs
    assert rows[0].endswith(("| PASS |", "| FAIL |"))
    assert "HTTP 404" in rows[2]

    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        f"# B\n\nbefore\n\n{toile_bench.BEGIN}\nold\n{toile_bench.END}\n\nafter\n", "utf-8"
    )
    toile_bench.write_doc(doc, section)
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and text.startswith("# B\n\nbefore\n") and text.endswith("after\n")
    assert section in text


def test_a_fast_case_repeats_until_its_time_or_the_cap(monkeypatch):
    """Past --repetitions, a case repeats while it has taken less than --min-seconds, at
    most MAX_REPETITIONS times (here: the cap decides, the time never runs out)."""
    store = EmbeddedStore()
    load(store)
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    monkeypatch.setattr(toile_bench, "MAX_REPETITIONS", 5)
    (result,) = toile_bench.run_dataset(
        "tiny", store, settings, CASES[:1], warmup=1, repetitions=2, log=print, min_seconds=1e9
    )
    assert len(result.page) == len(result.raw) == len(result.svg) == 5


def test_the_floor_route_makes_the_page_store_calls_and_answers_its_html():
    """The floor is the page minus drawing the toile: the same recorded store calls through
    the same store methods, then the recorded HTML, through the same app and client."""
    from santegraph.web import create_app

    store = EmbeddedStore()
    load(store)
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    recorder = toile_bench.Recorder(store)
    try:
        app = create_app(settings, store=store)
        floor = toile_bench.Floor(store)
        floor.install(app)
        client = app.test_client()
        client.get("/publics/jeunes")  # warm: vocabularies and indexes are kept per generation
        recorder.start()
        page = client.get("/publics/jeunes").get_data(as_text=True)
        calls = recorder.stop()
        assert len(calls) >= 3
        floor.calls, floor.html = calls, page
        recorder.start()
        answer = client.get(toile_bench.FLOOR_PATH)
        replayed = recorder.stop()
        assert answer.status_code == 200 and answer.get_data(as_text=True) == page
        assert [(c.method, c.args, c.kwargs) for c in replayed] == [
            (c.method, c.args, c.kwargs) for c in calls
        ]
    finally:
        recorder.restore()
