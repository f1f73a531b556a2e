"""The project content as a whole: it loads, it conforms, every document has its graph."""

from ..external import SOURCE_TEXTS
from .conftest import BASE, ROOT


def test_the_whole_project_content_conforms_to_the_shapes(loaded_content):
    _, summary = loaded_content
    assert summary.report.conforms, summary.report.text()
    assert summary.triples > 90_000


def test_every_source_document_has_its_own_named_graph(loaded_content, content):
    store, _ = loaded_content
    graphs = set(store.list_graphs())
    files = {r["file"] for r in content.select("SELECT ?file { ?d sg:nomFichier ?file }")}
    transcribed = {p.name.removesuffix(".ttl") for p in (ROOT / "data" / "sources").iterdir()}
    assert {f.removesuffix(".txt") for f in files} == transcribed
    for stem in sorted(transcribed):
        assert f"{BASE}graph/sources/{stem}" in graphs, stem


def test_every_source_document_is_described_with_its_file_name(content):
    rows = content.select(
        """SELECT ?file WHERE { GRAPH ?g { ?doc a sg:DocumentSource ; sg:nomFichier ?file ;
                                            dct:title ?title } }"""
    )
    files = {r["file"] for r in rows}
    assert len(files) == len(list((ROOT / "data" / "sources").iterdir()))
    if (texts := SOURCE_TEXTS.folder_or_not_made()) is not None:
        assert files == {p.name for p in texts.glob("*.txt")}


def test_the_remaining_warnings_are_known_gaps_of_the_sources(loaded_content):
    """Warnings do not block; they are what stewards should fill (contacts, territories...)."""
    _, summary = loaded_content
    kinds = {r.source_shape.rsplit("#", 1)[-1] for r in summary.report.results}
    assert kinds <= {
        "Acteur-contact-warning",
        "Acteur-territoire-warning",
        "Service-derniereVerification-missing",
        "Concept-definition-warning",
        "DocumentSource-date-warning",
    }, kinds


def test_content_files_are_all_loaded(loaded_content):
    _, summary = loaded_content
    data_graphs = {g.removeprefix(BASE) for g in summary.graphs}
    assert "graph/ontology/santegraph" in data_graphs
    assert "graph/shapes/santegraph-shapes" in data_graphs
    assert {"graph/territoires/cog-2022", "graph/territoires/cog-2026"} <= data_graphs
    assert ROOT.joinpath("data", "vocabulaires").is_dir()


def test_territories_nest_at_most_four_levels_deep(loaded_content):
    """queries/acteurs-par-public-et-lieu.rq follows sg:inclusDans up to 4 steps, written
    out (a `+` path gave Virtuoso 7 wrong answers): a 5-step chain would be missed there."""
    store, _ = loaded_content

    def chain(steps: int) -> list:
        path = "/".join(["sg:inclusDans"] * steps)
        query = "PREFIX sg: <https://w3id.org/santegraph/def#> SELECT ?t WHERE { ?t %s ?u } LIMIT 1"
        return store.select(query % path)

    assert chain(3)  # commune < EPCI < département < région
    assert chain(5) == []
