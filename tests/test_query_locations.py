"""Where named queries live: one rule (README, "How it is built"; santegraph.queries.
query_folder), whatever the content, the command or the page that needs them.

- ``queries/``: the public catalogue, which holds every query of the professional pages;
  it comes with the program (checkout or wheel), ``content_dir`` does not move it;
- ``src/santegraph/rq/``: the queries of the plumbing, never listed;
- ``bench/queries/``: benchmark inputs, read by bench/ only.
"""

from __future__ import annotations

import re

from santegraph import config
from santegraph.config import load_settings
from santegraph.queries import INTERNAL, PUBLIC, catalogue, query_folder

from .conftest import MINI, ROOT

SRC = ROOT / "src" / "santegraph"


def test_each_kind_has_its_folder():
    assert query_folder(PUBLIC) == ROOT / "queries"
    assert query_folder(INTERNAL) == SRC / "rq"
    assert {q.name for q in catalogue(PUBLIC)} == {p.stem for p in ROOT.glob("queries/*.rq")}
    assert {q.name for q in catalogue(INTERNAL)} == {p.stem for p in SRC.glob("rq/*.rq")}


def test_a_name_means_one_query():
    """``santegraph query NAME`` looks in both: no name may be in both."""
    public = {q.name for q in catalogue(PUBLIC)}
    internal = {q.name for q in catalogue(INTERNAL)}
    assert public and internal and not public & internal


def test_the_example_catalogue_is_the_public_queries_whatever_the_content(client):
    """The app over the tiny test content (content_dir = tests/data/mini, which has no
    queries/) lists the same catalogue as over the project's content."""
    assert not (MINI / "queries").exists()
    listed = [e["name"] for e in client.get("/sparql/examples").get_json()]
    assert listed == [p.stem for p in sorted(ROOT.glob("queries/*.rq"))]


def test_the_cli_runs_a_public_query_by_name_with_another_content_dir(run):
    assert run("load")[0] == 0
    code, out, err = run("query", "types-dispositif", "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0].startswith("type")


# a catalogue made from a folder, a path ending in rq or queries, a .rq file name
PATTERNS = (r"QueryCatalogue\(", r"/\s*[\"'](?:rq|queries)[\"']", r"\.rq[\"']")


def test_code_finds_named_queries_through_query_folder_only():
    """A folder of .rq files built anywhere else would be a second rule."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "queries.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert found == []


def test_the_store_of_the_installed_package_is_in_the_current_folder(tmp_path, monkeypatch):
    """The wheel's content lives in site-packages: its store must not (var/store of the
    current folder). A checkout, or a content_dir, keeps its store beside the content."""
    monkeypatch.chdir(tmp_path)
    assert load_settings({}, environ={}).store_location == str(ROOT / "var" / "store")
    given = load_settings({"content_dir": str(MINI)}, environ={})
    assert given.store_location == str(MINI / "var" / "store")
    monkeypatch.setattr(config, "running_from_checkout", lambda: False)
    installed = load_settings({}, environ={})
    assert installed.content_path == config.BUNDLE_DIR
    assert installed.store_location == str(tmp_path / "var" / "store")
