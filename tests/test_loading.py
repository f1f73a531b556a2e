"""Loading is validated and atomic, on both backends (tiny content under tests/data/mini)."""

import pytest

from santegraph.config import load_settings
from santegraph.errors import InputError, ValidationFailed
from santegraph.loading import Loader

from .conftest import BASE, MINI, SUBMISSIONS, canonical_quads, sorted_quads


@pytest.fixture
def loader(store):
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    return Loader(store, settings, progress=False)


def test_first_run_loads_ontology_shapes_and_data_each_in_its_graph(loader):
    summary = loader.ensure_content()
    assert summary is not None
    assert loader.store.list_graphs() == [
        BASE + "graph/acteurs/cpts",
        BASE + "graph/inferences",  # what the ontology entails, rebuilt by the loader
        BASE + "graph/ontology/mini",
        BASE + "graph/shapes/mini",
        BASE + "graph/territoires/communes",
    ]
    # relative IRIs of data/ are resolved against the configured base
    assert loader.store.ask(
        "ASK { <https://w3id.org/santegraph/id/acteur/cpts-sud-metropole-lilloise> ?p ?o }"
    )


def test_a_second_run_loads_nothing_and_duplicates_nothing(loader):
    loader.ensure_content()
    before = sorted_quads(loader.store)
    assert loader.ensure_content() is None
    assert sorted_quads(loader.store) == before


def test_rebuild_replaces_everything_with_the_project_content(loader):
    loader.ensure_content()
    loader.store.replace_graphs({BASE + "graph/stray": []})
    loader.store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/stray> {{ <x:a> <x:b> 1 }} }}")
    content = [q for q in canonical_quads(loader.store) if "graph/stray" not in q]
    loader.load_content(replace_all=True)
    assert canonical_quads(loader.store) == content


def test_the_class_hierarchy_is_usable_from_plain_sparql(loader):
    loader.ensure_content()
    for pattern in (
        "?a a sg:Acteur",  # graph/inferences holds the entailed types
        "?a a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* sg:Acteur",
    ):
        prefix = "PREFIX sg: <https://w3id.org/santegraph/def#> "
        rows = loader.store.select(f"{prefix} SELECT DISTINCT ?a WHERE {{ {pattern} }}")
        assert [r["a"].value for r in rows] == [BASE + "acteur/cpts-sud-metropole-lilloise"]


def test_a_valid_submission_is_checked_in_context_and_loaded(loader):
    loader.ensure_content()
    summary = loader.load_files([SUBMISSIONS / "valid-msp.ttl"])
    assert summary.graphs == [BASE + "graph/local/valid-msp"]
    assert loader.store.ask("ASK { <https://w3id.org/santegraph/id/acteur/msp-du-port> ?p ?o }")


def test_a_link_to_a_commune_the_store_does_not_know_is_rejected(loader):
    loader.ensure_content()
    before = sorted_quads(loader.store)
    with pytest.raises(ValidationFailed) as failure:
        loader.load_files([SUBMISSIONS / "unknown-commune.ttl"])
    (result,) = failure.value.report.results
    assert result.focus_node == BASE + "acteur/msp-nulle-part"
    assert result.path == "https://w3id.org/santegraph/def#localisation"
    assert result.value == BASE + "territoire/commune/99999"
    assert "commune connue" in result.message
    assert result.location.endswith("unknown-commune.ttl:4")
    assert sorted_quads(loader.store) == before


def test_a_violation_leaves_the_store_exactly_as_it_was(loader):
    loader.ensure_content()
    before = sorted_quads(loader.store)
    with pytest.raises(ValidationFailed) as failure:
        # the valid file would load on its own: the batch is all or nothing
        loader.load_files([SUBMISSIONS / "valid-msp.ttl", SUBMISSIONS / "no-label.ttl"])
    report = failure.value.report
    assert report.violation_count == 1
    assert report.results[0].focus_node == BASE + "acteur/sans-nom"
    assert "exactement un nom" in report.text()
    assert sorted_quads(loader.store) == before


def test_a_syntax_error_names_file_line_and_column_and_writes_nothing(loader):
    loader.ensure_content()
    before = sorted_quads(loader.store)
    with pytest.raises(InputError) as failure:
        loader.load_files([SUBMISSIONS / "valid-msp.ttl", SUBMISSIONS / "broken.ttl"])
    error = failure.value
    assert error.source.endswith("broken.ttl")
    assert error.line == 6
    assert error.column is not None
    assert sorted_quads(loader.store) == before


def test_warnings_are_reported_but_do_not_block(loader, tmp_path):
    loader.ensure_content()
    entry = tmp_path / "no-phone.ttl"
    entry.write_text(
        "@prefix sg: <https://w3id.org/santegraph/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        '<acteur/sans-tel> a sg:MSP ; skos:prefLabel "MSP sans téléphone"@fr .\n',
        encoding="utf-8",
    )
    summary = loader.load_files([entry])
    assert summary.report.conforms
    assert summary.report.warning_count == 1
    assert summary.report.results[0].severity == "Warning"


@pytest.mark.parametrize(
    "content,expected",
    [(b"", "empty"), (b"\xff\xfe<a> <b> <c> .", "not UTF-8")],
)
def test_unreadable_files_get_a_clear_error(loader, tmp_path, content, expected):
    bad = tmp_path / "bad.ttl"
    bad.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        loader.load_files([bad])


def test_import_of_an_export_round_trips_every_quad(loader, tmp_path):
    loader.ensure_content()
    before = canonical_quads(loader.store)
    dump = tmp_path / "dump.nq"
    dump.write_bytes(b"".join(loader.store.export("nquads")))
    loader.store.update("DROP ALL")
    loader.import_dump(dump)
    assert canonical_quads(loader.store) == before


def test_a_rebuild_that_conflicts_with_a_submission_names_the_submission(store, tmp_path):
    """A steward submitted the MSP du Port; later the content files describe it too, with
    another name. The rebuild validates both together and fails: the error names the
    submission and what to do, not only the content file."""
    import shutil

    from santegraph.steward.credentials import Steward
    from santegraph.steward.workflow import Stewardship

    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    settings = load_settings({"content_dir": str(content), "base_iri": BASE}, environ={})
    loader = Loader(store, settings, progress=False)
    loader.ensure_content()
    service = Stewardship(store, settings, loader)
    msp = loader.read_bytes((SUBMISSIONS / "valid-msp.ttl").read_bytes(), "msp.ttl", "turtle")
    proposal = service.propose_deposit(Steward("Marie Fictive"), msp, channel="cli", source="msp")
    service.commit(proposal)
    graph = proposal.changes[0].graph
    (content / "data" / "acteurs" / "msp.ttl").write_text(
        "@prefix sg: <https://w3id.org/santegraph/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        '<acteur/msp-du-port> a sg:MSP ; skos:prefLabel "Maison de santé du Port"@fr .\n',
        encoding="utf-8",
    )
    before = sorted_quads(store)

    with pytest.raises(ValidationFailed) as failure:
        loader.load_content(replace_all=True)

    (result,) = failure.value.report.results
    assert result.focus_node == BASE + "acteur/msp-du-port"
    assert result.graphs == (graph,)
    assert f"décrite aussi par la soumission <{graph}>" in failure.value.report.text()
    message = str(failure.value)
    assert f"steward submission(s) <{graph}>" in message
    assert "santegraph correct" in message and "santegraph withdraw" in message
    assert sorted_quads(store) == before
