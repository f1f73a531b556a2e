"""``santegraph import-directory``, ``export-directory`` and ``stale``.

An import needs no server: it runs on the store directly, like ``santegraph load``, and
goes through the same steward gate as the web (validation in context, journal). It is
attributed to the steward named by ``--as`` (whose token is read from
``$SANTEGRAPH_STEWARD_TOKEN``, as for ``santegraph submit``), or else to the local
operator (``opérateur <user name>``), who has the store in hand anyway.

A first import, which only adds, is written at once; a run that would change or withdraw
records already in the graph shows its diff first and asks for confirmation on a terminal,
or wants ``--yes`` when run from a script.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ..config import Settings
from ..errors import AuthenticationFailed, InputError
from ..loading import Loader
from ..steward.credentials import Steward, verify_token
from ..steward.workflow import Stewardship
from ..store.base import GraphStore
from . import report
from .importer import FORMATS, DirectoryImporter, Preview
from .sources import SourceFile
from .sync import CHANGED, REMOVED

TOKEN_VARIABLE = "SANTEGRAPH_STEWARD_TOKEN"


def add_commands(command: Callable[[str, str, str], argparse.ArgumentParser]) -> None:
    p = command(
        "import-directory",
        "Import a directory (data·inclusion, FINESS, santegraph CSV template) through the "
        "steward gate: validated in the context of the graph, synchronised with the previous "
        "import of the same source (added / changed / removed records, conflicts with local "
        "corrections), deduplicated across sources, journaled. Formats: "
        + "; ".join(f"{k}: {v}" for k, v in FORMATS.items()),
        """
        santegraph import-directory data-inclusion structures.json services.json
        santegraph import-directory finess etalab-cs1100507-stock-20260115-0336.csv
        santegraph import-directory csv acteurs.csv --source cpts-flandres
        santegraph import-directory data-inclusion structures.json services.json --dry-run
        santegraph import-directory finess etablissements.csv --skip-invalid --yes
        """,
    )
    p.add_argument("import_format", choices=sorted(FORMATS), metavar="FORMAT")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--source", default="", help="dataset name (default: the format's name)")
    p.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="leave out the records the schema or the shapes refuse, import the rest",
    )
    p.add_argument("--yes", action="store_true", help="confirm changes and withdrawals")
    p.add_argument("--as", dest="steward", metavar="NAME", help="steward name (token in env)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="report format")
    p.add_argument("--verbose", action="store_true", help="list unchanged records and infos")

    p = command(
        "export-directory",
        "Write santegraph's organisations and services as data·inclusion records "
        "(structures.json, services.json), each validated by data-inclusion-schema.",
        """
        santegraph export-directory data-inclusion -o export/
        """,
    )
    p.add_argument("export_format", choices=["data-inclusion"], metavar="FORMAT")
    p.add_argument("-o", "--output", type=Path, default=Path("."), help="folder (default: .)")

    p = command(
        "stale",
        "Entries not checked for longer than `stale_after_days` (or never): to verify.",
        """
        santegraph stale
        santegraph stale --days 365 --format json
        """,
    )
    p.add_argument("--days", type=int, help="age limit (default: the stale_after_days setting)")
    p.add_argument("--format", choices=["text", "json"], default="text")


def _steward(args: argparse.Namespace, settings: Settings) -> Steward:
    if not args.steward:
        return Steward(f"opérateur {getpass.getuser()}")
    steward = verify_token(settings, os.environ.get(TOKEN_VARIABLE, ""), args.steward)
    if steward is None:
        raise AuthenticationFailed(
            f"no valid credential for steward {args.steward!r}: set {TOKEN_VARIABLE} to the "
            "token the operator gave you (its SHA-256 must be in steward_tokens)"
        )
    return steward


def _confirmed(args: argparse.Namespace, preview: Preview) -> bool:
    counts = preview.counts()
    assert preview.plan is not None  # prepare() plans at least one round
    touches = counts.get(CHANGED, 0) + counts.get(REMOVED, 0) + len(preview.plan.conflicts)
    if not touches or args.yes:
        return True
    if sys.stdin.isatty() and sys.stdout.isatty():
        answer = input(
            f"\n{counts.get(CHANGED, 0)} modifié(s), {counts.get(REMOVED, 0)} retiré(s) : "
            "confirmer l'écriture ? [o/N] "
        )
        return answer.strip().lower() in ("o", "oui", "y", "yes")
    print(
        "\ncet import modifie ou retire des enregistrements déjà dans le graphe : relisez le "
        "différentiel ci-dessus et relancez avec --yes pour confirmer",
        file=sys.stderr,
    )
    return False


def cmd_import_directory(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    steward = _steward(args, settings)
    files = [SourceFile.from_path(path) for path in args.files]
    for source in files:
        assert source.path is not None  # from_path
        if source.path.stat().st_size == 0:
            raise InputError("le fichier est vide", source=source.name)
    loader = Loader(store, settings, progress=args.progress)
    # a fresh store first gets the project content (vocabularies, COG), as `serve` does
    loaded = loader.ensure_content()
    if loaded:
        print(f"loaded {loaded.triples} triples into {len(loaded.graphs)} graphs", file=sys.stderr)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    importer = DirectoryImporter(Stewardship(store, settings, loader), progress=progress)
    preview = importer.prepare(
        args.import_format,
        files,
        steward,
        source=args.source,
        skip_invalid=args.skip_invalid,
        origin="cli",
    )
    if args.format == "json":
        print(json.dumps(report.summary(preview), ensure_ascii=False, indent=2))
    else:
        print(report.text(preview, verbose=args.verbose))
    if preview.refused:
        return 1
    if args.dry_run or preview.nothing_to_do:
        if args.dry_run and args.format == "text":
            print("\n--dry-run : rien n'a été écrit")
        return 0
    if not _confirmed(args, preview):
        return 1
    events = importer.commit(preview)
    if args.format == "text":
        print(f"\nécrit : {len(events)} graphe(s) modifié(s), import {preview.run}")
    return 0


def cmd_export_directory(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    from .export import export_data_inclusion

    result = export_data_inclusion(store, settings)
    args.output.mkdir(parents=True, exist_ok=True)
    for name, records in (("structures", result.structures), ("services", result.services)):
        path = args.output / f"{name}.json"
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{path} : {len(records)} {name}")
    for problem in result.problems:
        print(f"  écarté : {problem}", file=sys.stderr)
    return 0


def cmd_stale(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    from .freshness import stale_entries

    days = args.days if args.days is not None else settings.stale_after_days
    entries = stale_entries(store, settings, days)
    if args.format == "json":
        print(json.dumps([e.__dict__ for e in entries], ensure_ascii=False, indent=2))
        return 0
    print(f"{len(entries)} entrée(s) à vérifier (non vérifiées depuis plus de {days} jours) :")
    for e in entries:
        when = f"vérifiée le {e.checked}" if e.checked else "jamais vérifiée"
        print(f"  {e.label} — {when}{' — ' + e.source if e.source else ''} ({e.entry})")
    return 0
