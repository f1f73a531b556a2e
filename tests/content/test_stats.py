"""`santegraph stats` on the real content: counts per class, document, territory, and notes."""

from santegraph.stats import collect_stats, format_stats

from .conftest import BASE


def test_stats_count_every_named_graph(loaded_content):
    store, summary = loaded_content
    stats = collect_stats(store)
    assert summary.inferred > 0
    assert stats.triples == summary.triples + summary.inferred
    # every loaded graph, and graph/inferences (what the ontology entails from them)
    assert {g for g, _ in stats.graphs} == {*summary.graphs, BASE + "graph/inferences"}
    assert dict(stats.graphs)[BASE + "graph/inferences"] == summary.inferred


def test_stats_list_resources_per_source_document(loaded_content):
    stats = collect_stats(loaded_content[0])
    per_file = dict(stats.sources)
    assert set(per_file) == {
        "000_4a337a90df3403e9.txt",
        "001_cf98c4f57362bdba.txt",
        "002_017d9451b3d5fdac.txt",
        "003_e24160ded3cfc3a8.txt",
        "004_25c7f846c338e30b.txt",
    }
    assert all(n > 20 for n in per_file.values())


def test_stats_list_the_inconsistencies_of_the_sources(loaded_content):
    stats = collect_stats(loaded_content[0])
    notes = {n["note"].removeprefix(BASE): n for n in stats.notes}
    # doc 003's table gives dates without a year (recorded, not silently fixed)
    assert notes["note/003_e24160ded3cfc3a8/1"]["type"] == BASE + "type-probleme/annee-manquante"
    # doc 002's collège code "1c)" is a typo kept as written and recorded
    assert any("1c)" in n["comment"] for n in stats.notes)
    text = format_stats(stats)
    assert f"quality notes ({len(stats.notes)}):" in text
    assert len(stats.notes) > 50


def test_stats_count_actors_per_territory(loaded_content):
    stats = collect_stats(loaded_content[0])
    by_territory = {t.removeprefix(BASE): n for t, _, n in stats.territories}
    assert by_territory["territoire/commune/59350"] >= 2  # Lille
    assert by_territory["territoire/region/32"] >= 1
