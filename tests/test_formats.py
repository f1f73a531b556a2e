"""Result format names: `santegraph query --format NAME` and `/sparql?format=NAME` read the
same table (santegraph/formats.py), so a name gives the same answer in both."""

from __future__ import annotations

import argparse
import csv
import io

import pyoxigraph as ox
import pytest

from santegraph.cli import EXIT_OK, EXIT_USAGE, build_parser, main
from santegraph.config import load_settings
from santegraph.formats import RESULT_MEDIA_TYPES, all_names, media_type_for, result_kind
from santegraph.loading import Loader
from santegraph.store import EmbeddedStore
from santegraph.web import create_app

from .conftest import BASE, MINI

COMMUNE = "<https://w3id.org/santegraph/def#Commune>"
QUERIES = {
    "SELECT": f"SELECT ?c WHERE {{ ?c a {COMMUNE} }} ORDER BY ?c",
    "ASK": f"ASK {{ ?c a {COMMUNE} }}",
    "CONSTRUCT": f"CONSTRUCT WHERE {{ ?c a {COMMUNE} }}",
}


def query_formats(parser: argparse.ArgumentParser) -> list[str]:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    query = commands.choices["query"]
    return next(a for a in query._actions if "--format" in a.option_strings).choices


def test_the_command_line_offers_every_name_of_the_table():
    assert query_formats(build_parser()) == ["table", *all_names()]


def test_a_name_means_the_media_type_of_the_query_form():
    assert media_type_for("xml", "SELECT") == "application/sparql-results+xml"
    assert media_type_for("xml", "CONSTRUCT") == "application/rdf+xml"
    assert media_type_for("json", "DESCRIBE") == "application/ld+json"
    assert media_type_for("ttl", "SELECT") is None  # a graph syntax for solutions
    assert media_type_for("csv", "CONSTRUCT") is None
    assert media_type_for(" TSV ", "ASK") == "text/tab-separated-values"
    assert media_type_for("text/xml", "SELECT") == "application/sparql-results+xml"


def answer(data: bytes, media_type: str, form: str):
    """What an answer says, whatever its syntax: rows, a boolean or a set of triples."""
    if result_kind(form) == "graph":
        triples = ox.parse(data, format=ox.RdfFormat.from_media_type(media_type))
        return {str(t) for t in triples}
    if media_type == "text/csv":  # pyoxigraph does not read CSV results (lossy)
        return list(csv.reader(io.StringIO(data.decode())))
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.from_media_type(media_type))
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    return [[str(value) for value in solution] for solution in parsed]


@pytest.fixture(scope="module")
def web():
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    store = EmbeddedStore(":memory:")
    Loader(store, settings, progress=False).ensure_content()
    app = create_app(settings, store=store)
    yield app.test_client()
    app.extensions["santegraph"].query_runner.close()
    store.close()


def test_each_name_gives_the_same_answer_on_the_command_line_and_on_sparql(
    web, tmp_path, capsysbinary
):
    common = ["--store-path", str(tmp_path / "store"), "--content-dir", str(MINI)]
    assert main([*common, "--base-iri", BASE, "--no-progress", "load"]) == EXIT_OK
    capsysbinary.readouterr()
    for form, query in QUERIES.items():
        for name in all_names():
            media_type = media_type_for(name, form)
            code = main([*common, "query", query, "--format", name])
            out, err = capsysbinary.readouterr()
            response = web.get("/sparql", query_string={"query": query, "format": name})
            assert response.status_code == 200, (form, name)
            if media_type is None:
                # /sparql falls back on Accept (none here: the form's default type);
                # the command says which names this form's results can take
                assert response.mimetype == RESULT_MEDIA_TYPES[result_kind(form)][0]
                assert code == EXIT_USAGE, (form, name)
                assert f"{form} results can be written as" in err.decode()
                continue
            assert code == EXIT_OK, (form, name, err)
            assert response.mimetype == media_type, (form, name)
            assert answer(out, media_type, form) == answer(response.data, media_type, form)
