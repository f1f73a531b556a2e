"""The `santegraph` command. Exit codes: 0 ok, 1 invalid data or failed query, 2 usage or
unreadable input (see EXIT_CODES). Progress bars appear on a terminal only."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings, load_settings, settings_doc
from .errors import (
    AuthenticationFailed,
    ConfigError,
    InputError,
    QueryError,
    SantegraphError,
    StoreError,
    ValidationFailed,
)
from .formats import all_names, media_type_for, names_for
from .iris import inferences_graph
from .loading import Loader
from .queries import INTERNAL, PUBLIC, catalogue, query_form
from .rdfio import DUMP_FORMATS
from .store import GraphStore, open_store
from .store.base import Row, text

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_CODES = {
    ValidationFailed: EXIT_INVALID,
    QueryError: EXIT_INVALID,
    InputError: EXIT_USAGE,
    ConfigError: EXIT_USAGE,
    StoreError: EXIT_USAGE,
    AuthenticationFailed: EXIT_USAGE,
}


def _examples(text: str) -> str:
    return "examples:\n" + textwrap.indent(textwrap.dedent(text).strip(), "  ")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="santegraph",
        description="Knowledge graph and SPARQL service for territorial health coordination "
        "(who does what, for whom, where). Settings come from flags, SANTEGRAPH_* "
        "variables and an optional santegraph.toml, in that order of precedence.",
        epilog=_examples(
            """
            santegraph serve                      # load the project content if needed, serve :8000
            santegraph query 'SELECT (COUNT(*) AS ?n) {?s ?p ?o}'
            santegraph validate my-cpts.ttl       # check a submission, write nothing
            santegraph stats
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"santegraph {__version__}")
    parser.add_argument("--config", help="config file (TOML); default ./santegraph.toml")
    parser.add_argument("--backend", choices=["embedded", "remote"], help="store backend")
    parser.add_argument("--store-path", help="embedded store directory, or :memory:")
    parser.add_argument("--remote-query-url", help="remote SPARQL query endpoint")
    parser.add_argument("--remote-update-url", help="remote SPARQL update endpoint")
    parser.add_argument("--remote-store-url", help="remote Graph Store Protocol endpoint")
    parser.add_argument("--base-iri", help="public base IRI of minted resources")
    parser.add_argument("--content-dir", help="folder holding ontology/, shapes/, data/")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress bars (default: only on a terminal)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, examples: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=help,
            epilog=_examples(examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = command(
        "serve",
        "Serve the web app and SPARQL endpoint (loads the project content on first run).",
        """
        santegraph serve
        santegraph serve --host 0.0.0.0 --port 8080
        santegraph serve --supervise          # restart the server if it dies
        SANTEGRAPH_BACKEND=remote \\
          SANTEGRAPH_REMOTE_QUERY_URL=http://oxigraph:7878/query santegraph serve
        """,
    )
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default 8000)")
    p.add_argument("--threads", type=int, help="WSGI worker threads")
    p.add_argument("--no-load", action="store_true", help="do not load content on first run")
    p.add_argument(
        "--supervise",
        action="store_true",
        help="run the server in a child process and restart it if it dies (for a machine "
        "without systemd or a container restart policy; docs/operations.md)",
    )

    p = command(
        "load",
        "Validate and load RDF files atomically. Without FILE, load the project content "
        "(ontology/, shapes/, data/).",
        """
        santegraph load                           # project content, if the store is empty
        santegraph load --replace                 # rebuild the whole store from the project
        santegraph load data/sources/001_cf98c4f57362bdba.ttl
        santegraph load new.ttl --graph https://w3id.org/santegraph/id/graph/local/new
        """,
    )
    p.add_argument("files", nargs="*", type=Path, metavar="FILE")
    p.add_argument("--graph", help="load every FILE into this named graph")
    p.add_argument("--add", action="store_true", help="add to the graph instead of replacing it")
    p.add_argument(
        "--replace",
        action="store_true",
        help="without FILE: empty the store and reload the project content (one atomic update)",
    )

    p = command(
        "validate",
        "Validate RDF files (Turtle, N-Triples, JSON-LD...) or steward CSV files "
        "(docs/csv-templates.md) against the shapes, in the context of the store; write "
        "nothing. Exit 0 conforms, 1 violations, 2 unreadable input.",
        """
        santegraph validate my-entry.ttl
        santegraph validate acteurs.csv           # steward CSV template, row/column in the report
        santegraph validate data/                 # every RDF or CSV file under a folder
        santegraph validate entry.jsonld --format json      # report as JSON
        santegraph validate entry.ttl --report report.ttl   # also write sh:ValidationReport
        """,
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--graph", help="the named graph the files would be loaded into")
    p.add_argument("--report", type=Path, help="write the sh:ValidationReport (Turtle) here")
    p.add_argument(
        "--format",
        choices=["text", "json", "turtle"],
        default="text",
        help="report on stdout: text for people (default), json, or the sh:ValidationReport "
        "as Turtle",
    )

    p = command(
        "query",
        "Run a SPARQL query (text, @file.rq or the name of a query of queries/).",
        """
        santegraph query 'SELECT (COUNT(*) AS ?n) {?s ?p ?o}'
        santegraph query @queries/some-question.rq --format csv
        santegraph query 'CONSTRUCT WHERE {?s a ?t} LIMIT 5' --format ttl
        """,
    )
    p.add_argument("query", help="SPARQL text, @path/to/file.rq, or a named query")
    p.add_argument(
        "--format",
        choices=["table", *all_names()],
        default="table",
        help="output format, named as /sparql's format= (default: a text table, Turtle for "
        "graphs); json and xml mean JSON-LD and RDF/XML for CONSTRUCT and DESCRIBE",
    )

    p = command(
        "export",
        "Write the whole dataset (every named graph) as N-Quads or TriG.",
        """
        santegraph export > dump.nq
        santegraph export --format trig -o dump.trig
        """,
    )
    p.add_argument("--format", choices=sorted(DUMP_FORMATS), default="nquads")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    p.add_argument(
        "--inferences",
        action="store_true",
        help="also write graph/inferences (what the ontology entails; rebuilt on import)",
    )

    p = command(
        "import",
        "Replace the whole dataset by a dump (validated first, one atomic update).",
        """
        santegraph import dump.nq
        santegraph import backup.trig.gz
        """,
    )
    p.add_argument("dump", type=Path)

    command(
        "stats",
        "Counts per graph, class, source document and territory, and the quality notes.",
        """
        santegraph stats
        """,
    )

    p = command(
        "config",
        "Print the effective settings (secrets masked), or the settings reference.",
        """
        santegraph config
        santegraph config --doc > docs/configuration-table.md
        """,
    )
    p.add_argument("--doc", action="store_true", help="print the settings table (Markdown)")

    p = command(
        "territories",
        "Import official territories (COG) from the @etalab/decoupage-administratif package.",
        """
        npm ci
        santegraph territories --package-dir node_modules/cog-2022 --year 2022
        """,
    )
    p.add_argument("territory_args", nargs=argparse.REMAINDER, help="see --help of the importer")

    from .steward.cli import add_commands

    add_commands(command)  # submit, correct, withdraw, history, steward-token
    from .directories.cli import add_commands as add_directory_commands

    add_directory_commands(command)  # import-directory, export-directory, stale
    return parser


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in (
        "backend",
        "store_path",
        "remote_query_url",
        "remote_update_url",
        "remote_store_url",
        "base_iri",
        "content_dir",
        "host",
        "port",
        "threads",
    ):
        if getattr(args, name, None) is not None:
            overrides[name] = getattr(args, name)
    return load_settings(overrides, config_file=args.config)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "config":
            return _config(args)
        if args.command == "territories":
            from .territories import main as territories_main

            return territories_main(args.territory_args)
        settings = _settings_from(args)
        handler = COMMANDS[args.command]
        if args.command == "serve" and args.supervise:
            from .supervisor import supervise

            child = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--supervise"]
            return supervise(child)
        if args.command in ("serve", "steward-token"):
            return handler(args, settings)
        with open_store(settings) as store:
            return handler(args, settings, store)
    except ValidationFailed as exc:
        print(exc.report.text(), file=sys.stderr)
        print(f"\nerror: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except SantegraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return next((code for cls, code in EXIT_CODES.items() if isinstance(exc, cls)), 1)
    except BrokenPipeError:  # `santegraph export | head`
        return EXIT_OK


# ---------------------------------------------------------------------- commands


def _loader(args: argparse.Namespace, settings: Settings, store: GraphStore) -> Loader:
    return Loader(store, settings, progress=args.progress)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import logging

    import waitress

    from .web import create_app

    store = open_store(settings)
    if not args.no_load:
        summary = Loader(store, settings, progress=args.progress).ensure_content()
        if summary:
            print(
                f"loaded {summary.triples} triples into {len(summary.graphs)} graphs",
                file=sys.stderr,
            )
    app = create_app(settings, store=store)
    # waitress's socket map: ours, to close what it opened if bind fails
    sockets: dict[int, Any] = {}
    try:  # waitress binds here: a taken port is said before "santegraph on ..."
        server = waitress.create_server(
            app,
            map=sockets,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            ident="santegraph",
        )
    except OSError as exc:
        for dispatcher in list(sockets.values()):
            dispatcher.close()
        store.close()
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}; stop the "
            "server that holds it or choose another port (--port, SANTEGRAPH_PORT)"
        ) from exc
    print(
        f"santegraph on http://{settings.host}:{settings.port}/ ({store.describe_backend()})",
        file=sys.stderr,
    )
    if not settings.writes_enabled:
        print(
            "writes disabled: no steward credential configured (SANTEGRAPH_STEWARD_TOKENS)",
            file=sys.stderr,
        )
    elif not settings.secret_key:
        print(
            "steward web sessions disabled: no SANTEGRAPH_SECRET_KEY (tools can still write "
            "through /store and /update)",
            file=sys.stderr,
        )
    logging.basicConfig()  # waitress's own warnings, as waitress.serve would show them
    server.run()
    return EXIT_OK


def cmd_load(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    loader = _loader(args, settings, store)
    if not args.files:
        if args.graph or args.add:
            raise InputError("--graph and --add need FILE arguments")
        summary = loader.load_content(replace_all=True) if args.replace else loader.ensure_content()
        if summary is None:
            print("the store already holds data; use --replace to rebuild it", file=sys.stderr)
            return EXIT_OK
    else:
        if args.replace:
            raise InputError("--replace rebuilds the project content: give no FILE")
        summary = loader.load_files(_expand(args.files), graph=args.graph, add=args.add)
    if summary.report and summary.report.results:
        print(summary.report.text(), file=sys.stderr)
    print(f"loaded {summary.triples} triples into {len(summary.graphs)} graph(s)")
    return EXIT_OK


def _expand(paths: Sequence[Path], suffixes: Sequence[str] | None = None) -> list[Path]:
    from .loading import RDF_SUFFIXES

    suffixes = RDF_SUFFIXES if suffixes is None else suffixes
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in suffixes)
        elif not path.exists():
            raise InputError("no such file", source=str(path))
        else:
            files.append(path)
    return files


def cmd_validate(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    from .loading import SUBMISSION_SUFFIXES

    files = _expand(args.files, SUBMISSION_SUFFIXES)
    for path in files:  # the same limit as a web upload
        if path.stat().st_size > settings.max_upload_bytes:
            raise InputError(
                f"file too large ({path.stat().st_size} bytes, limit max_upload_bytes = "
                f"{settings.max_upload_bytes})",
                source=str(path),
            )
    report = _loader(args, settings, store).validate_files(files, graph=args.graph)
    if args.report:
        args.report.write_text(report.graph.serialize(format="turtle"), encoding="utf-8")
    if args.format == "json":
        import json

        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    elif args.format == "turtle":
        print(report.graph.serialize(format="turtle"))
    else:
        print(report.text())
    return EXIT_OK if report.conforms else EXIT_INVALID


def _read_query(text: str, settings: Settings) -> str:
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(exc.strerror or "cannot read", source=str(path)) from exc
    if text.isidentifier() or text.replace("-", "_").isidentifier():
        for kind in (PUBLIC, INTERNAL):
            for named in catalogue(kind):
                if named.name == text:
                    return named.text
    return text


def cmd_query(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    query = _read_query(args.query, settings)
    form = query_form(query)
    if form == "UPDATE":
        raise QueryError("`santegraph query` runs queries; updates go through `load`")
    out = sys.stdout
    if args.format != "table":
        media_type = media_type_for(args.format, form)
        if media_type is None:
            names = ", ".join(names_for(form))
            raise InputError(f"{form} results can be written as: {names}", source="--format")
        result = store.query_stream(query, media_type)
        for chunk in result.chunks:
            out.buffer.write(chunk)
        out.flush()
        return EXIT_OK
    if form == "ASK":
        print("true" if store.ask(query) else "false")
    elif form in ("CONSTRUCT", "DESCRIBE"):
        for chunk in store.query_stream(query, "text/turtle").chunks:
            out.buffer.write(chunk)
        out.flush()
    else:
        variables, rows = store.select_with_vars(query)
        print(format_table(variables, rows))
    return EXIT_OK


def format_table(variables: list[str], rows: list[Row]) -> str:
    cells = [[text(row, v) for v in variables] for row in rows]
    widths = [max([len(v)] + [len(c[i]) for c in cells]) for i, v in enumerate(variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def cmd_export(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    target = args.output.open("wb") if args.output else sys.stdout.buffer
    try:
        derived = () if args.inferences else (inferences_graph(settings.base_iri),)
        for chunk in store.export(args.format, leave_out=derived):
            target.write(chunk)
    finally:
        if args.output:
            target.close()
        else:
            target.flush()
    return EXIT_OK


def cmd_import(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    if not args.dump.is_file():
        raise InputError("no such file", source=str(args.dump))
    summary = _loader(args, settings, store).import_dump(args.dump)
    print(f"imported {summary.triples} triples in {len(summary.graphs)} graph(s)")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    from .stats import collect_stats, format_stats

    print(format_stats(collect_stats(store, settings)))
    return EXIT_OK


def _config(args: argparse.Namespace) -> int:
    if args.doc:
        print(settings_doc(), end="")
        return EXIT_OK
    settings = _settings_from(args)
    for name, value in settings.masked().items():
        print(f"{name} = {value!r}")
    print(f"# store location: {settings.store_location}")
    print(f"# writes enabled: {settings.writes_enabled}")
    return EXIT_OK


from .directories import cli as directory_cli  # noqa: E402 - and the directory ones
from .steward import cli as steward_cli  # noqa: E402 - the steward commands: steward/cli.py

COMMANDS: dict[str, Callable[..., int]] = {
    "serve": cmd_serve,
    "steward-token": steward_cli.cmd_steward_token,
    "submit": steward_cli.cmd_submit,
    "correct": steward_cli.cmd_correct,
    "withdraw": steward_cli.cmd_withdraw,
    "history": steward_cli.cmd_history,
    "import-directory": directory_cli.cmd_import_directory,
    "export-directory": directory_cli.cmd_export_directory,
    "stale": directory_cli.cmd_stale,
    "load": cmd_load,
    "validate": cmd_validate,
    "query": cmd_query,
    "export": cmd_export,
    "import": cmd_import,
    "stats": cmd_stats,
}


if __name__ == "__main__":
    sys.exit(main())
