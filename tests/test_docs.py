"""Docs kept honest: README commands, CI, Docker and the configuration reference agree."""

import re
import shlex

from santegraph.config import settings_doc

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The README's first two shell blocks: install+serve, then install+test."""
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)
    assert len(blocks) >= 2, "the README must start with two ```sh blocks"
    return [blocks[0].strip(), blocks[1].strip()]


def test_readme_starts_with_the_two_commands():
    serve, test = readme_commands()
    assert serve.endswith("santegraph serve")
    assert "pip install -e ." in serve
    assert "pytest" in test and "'.[test]'" in test
    assert README.index(serve) < README.index("## How it is built")


def test_ci_runs_exactly_the_readme_test_command_then_lints():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _, test = readme_commands()
    lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert test in lines
    assert "set -euo pipefail" in ci
    assert ".venv/bin/ruff check ." in lines
    assert ".venv/bin/ruff format --check ." in lines
    assert ".venv/bin/mypy" in lines  # strict on src/, configured in pyproject.toml
    assert 'export PYTEST_ADDOPTS="--cov --cov-report=term"' in lines  # coverage per file


def test_dockerfile_uses_the_readme_install_and_serve_commands():
    serve, _ = readme_commands()
    install, _, run = serve.rpartition(" && ")
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert f"RUN {install}\n" in dockerfile
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1)
    assert [part.strip(' "') for part in cmd.strip("[]").split(",")] == shlex.split(run)
    assert re.search(r"^USER (?!root)\S+", dockerfile, re.MULTILINE), (
        "the image must not run as root"
    )


def test_compose_runs_santegraph_against_an_oxigraph_server():
    compose = (ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8")
    assert "--union-default-graph" in compose
    assert "SANTEGRAPH_BACKEND: remote" in compose
    for variable in ("QUERY_URL", "UPDATE_URL", "STORE_URL"):
        assert f"SANTEGRAPH_REMOTE_{variable}" in compose


def test_configuration_doc_contains_the_generated_settings_table():
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_doc() in doc, "regenerate with: santegraph config --doc"


def test_every_cli_command_is_in_the_readme():
    from santegraph.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in commands:
        assert f"`{name}" in README, f"command {name} missing from the README"


# --------------------------------------------------------------------- HTTP routes
def readme_paths() -> list[str]:
    """The paths of the README's HTTP table (first column), query strings left out."""
    section = README.split("## HTTP", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    cells = [re.split(r"(?<!\\)\|", row)[1] for row in rows]
    return [p.split("?", 1)[0] for cell in cells for p in re.findall(r"`(/[^`]*)`", cell)]


def route_pattern(rule: str) -> re.Pattern[str]:
    """A Flask rule as a regular expression: a variable matches a segment (a path: several),
    an ``any(...)`` one of its words; a README placeholder such as ``<public>`` matches too."""
    out, pos = [], 0
    for match in re.finditer(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>", rule):
        out.append(re.escape(rule[pos : match.start()]))
        converter, arguments = match.group(1), match.group(2)
        if converter == "any":
            out.append("(?:" + "|".join(re.escape(w.strip()) for w in arguments.split(",")) + ")")
        else:
            out.append(".+" if converter == "path" else "[^/]+")
        pos = match.end()
    out.append(re.escape(rule[pos:]))
    return re.compile("".join(out))


def app_rules() -> list[str]:
    from santegraph.config import load_settings
    from santegraph.store import EmbeddedStore
    from santegraph.web import create_app

    store = EmbeddedStore(":memory:")
    try:
        settings = load_settings({"store_path": ":memory:"}, environ={})
        return sorted({r.rule for r in create_app(settings, store=store).url_map.iter_rules()})
    finally:
        store.close()


def test_every_route_of_the_app_is_in_the_readme_and_every_readme_route_exists():
    rules, paths = app_rules(), readme_paths()
    patterns = {rule: route_pattern(rule) for rule in rules}
    undocumented = [r for r in rules if not any(patterns[r].fullmatch(p) for p in paths)]
    unknown = [p for p in paths if not any(pattern.fullmatch(p) for pattern in patterns.values())]
    assert undocumented == [], "routes missing from the README's HTTP table"
    assert unknown == [], "README paths the app does not serve"


def test_the_route_check_matches_as_flask_does():
    assert route_pattern("/publics/<slug>").fullmatch("/publics/<public>")
    assert not route_pattern("/publics/<slug>").fullmatch("/publics/a/toile.svg")
    assert route_pattern("/id/<path:rest>").fullmatch("/id/acteur/x")
    assert route_pattern("/ontology.<any(ttl, jsonld, nt, rdf):ext>").fullmatch("/ontology.ttl")
    assert not route_pattern("/ontology.<any(ttl, jsonld, nt, rdf):ext>").fullmatch("/ontology.x")
    assert readme_paths()[:2] == ["/", "/toile"]
