"""The steward workflow on the command line: submit, correct, withdraw, history, tokens.

The same gate as the web (workflow.py). The steward is named with ``--as NAME`` and
proves it with the token in ``SANTEGRAPH_STEWARD_TOKEN`` (an environment variable, not a
flag: flags end up in shell history and ``ps``). Without ``--yes`` a command only shows
its preview (diff, dependants, report) and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ..config import Settings
from ..errors import AuthenticationFailed, InputError, ValidationFailed
from ..loading import SUBMISSION_FORMATS, Loader, Payload
from ..store.base import GraphStore
from .credentials import Steward, credential_line, new_token, verify_token
from .workflow import Proposal, Stewardship

TOKEN_VARIABLE = "SANTEGRAPH_STEWARD_TOKEN"
BY_SUFFIX = {".csv": "csv", ".ttl": "turtle", ".nt": "ntriples", ".jsonld": "jsonld"}


def add_commands(command: Callable[[str, str, str], argparse.ArgumentParser]) -> None:
    """Register the steward subcommands (``command`` is cli.build_parser's helper)."""
    p = command(
        "steward-token",
        "Make a new random token for a steward: print it once, with the `steward_tokens` "
        "entry (name:sha256) the operator configures. The token itself is never stored.",
        """
        santegraph steward-token "Marie Fictive"
        """,
    )
    p.add_argument("name")

    def steward_args(p: argparse.ArgumentParser, write: bool = True) -> None:
        p.add_argument("--as", dest="steward", required=True, metavar="NAME", help="steward name")
        if write:
            p.add_argument("--comment", default="", help="why (kept in the journal)")
            p.add_argument("--yes", action="store_true", help="write (default: preview only)")
            p.add_argument(
                "--accept-warnings", action="store_true", help="write even with SHACL warnings"
            )
            p.add_argument(
                "--accept-duplicates",
                action="store_true",
                help="write even if entries look like ones the graph already has",
            )

    p = command(
        "submit",
        "Submit entries (Turtle, N-Triples, JSON-LD or CSV template) as a new steward graph: "
        "preview, then with --yes validate in context and write atomically with a journal "
        f"event. The token is read from ${TOKEN_VARIABLE}.",
        f"""
        export {TOKEN_VARIABLE}=...              # given by the operator
        santegraph submit nouvelle-msp.ttl --as "Marie Fictive"          # preview only
        santegraph submit acteurs.csv --as "Marie Fictive" --comment "CPTS" --yes
        """,
    )
    p.add_argument("file", type=Path, metavar="FILE")
    steward_args(p)

    p = command(
        "correct",
        "Replace, in a steward graph, the description of every entry FILE describes (the "
        "previous version stays in the journal).",
        """
        santegraph correct https://w3id.org/santegraph/id/graph/soumission/... fix.ttl \\
          --as "Marie Fictive" --yes
        """,
    )
    p.add_argument("graph")
    p.add_argument("file", type=Path, metavar="FILE")
    steward_args(p)

    p = command(
        "withdraw",
        "Withdraw a steward graph, or one entry of it (--entry): shows the entries of other "
        "graphs that depend on it; refused if they would no longer conform.",
        """
        santegraph withdraw https://w3id.org/santegraph/id/graph/soumission/... \\
          --as "Marie Fictive" --comment "doublon" --yes
        santegraph withdraw https://w3id.org/santegraph/id/graph/soumission/... \\
          --entry https://w3id.org/santegraph/id/acteur/msp-du-port --as "Marie Fictive" --yes
        """,
    )
    p.add_argument("graph")
    p.add_argument("--entry", metavar="IRI", help="withdraw only this entry of the submission")
    steward_args(p)

    p = command(
        "history",
        "The journal of steward operations (who, when, what, which graph), newest first.",
        """
        santegraph history
        santegraph history --graph https://w3id.org/santegraph/id/graph/soumission/...
        santegraph history --format json
        """,
    )
    p.add_argument("--graph", help="only this graph")
    p.add_argument("--format", choices=["text", "json"], default="text")


def cmd_steward_token(args: argparse.Namespace, settings: Settings) -> int:
    token = new_token()
    print(f"token (give it to {args.name}, it is shown only once): {token}")
    print(f"steward_tokens entry: {credential_line(args.name, token)}")
    return 0


def _steward(args: argparse.Namespace, settings: Settings) -> Steward:
    token = os.environ.get(TOKEN_VARIABLE, "")
    steward = verify_token(settings, token, args.steward)
    if steward is None:
        raise AuthenticationFailed(
            f"no valid credential for steward {args.steward!r}: set {TOKEN_VARIABLE} to the "
            "token the operator gave you (its SHA-256 must be in steward_tokens)"
        )
    return steward


def _payload(loader: Loader, path: Path, settings: Settings) -> Payload:
    fmt = BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(BY_SUFFIX))
        raise InputError(f"unknown file type (known: {known})", source=str(path))
    assert fmt == "csv" or fmt in SUBMISSION_FORMATS
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read file", source=str(path)) from exc
    if len(data) > settings.max_upload_bytes:
        raise InputError(
            f"file too large ({len(data)} bytes, limit max_upload_bytes = "
            f"{settings.max_upload_bytes})",
            source=str(path),
        )
    return loader.read_bytes(data, path.name, fmt)


def _finish(args: argparse.Namespace, service: Stewardship, proposal: Proposal) -> int:
    print(describe(proposal))
    if not proposal.conforms:
        raise ValidationFailed(proposal.report)
    if not args.yes:
        print("\npreview only: nothing was written (add --yes to write)")
        return 0
    events = service.commit(
        proposal,
        acknowledge_warnings=args.accept_warnings,
        acknowledge_duplicates=getattr(args, "accept_duplicates", False),
    )
    if not events:
        print("\nnothing changed: nothing was written")
        return 0
    changed = [c for c in proposal.changes if c.changes_anything]
    for change, event in zip(changed, events, strict=True):
        print(f"\nwritten: {change.graph} version {change.version + 1} (journal: {event})")
    return 0


def describe(proposal: Proposal) -> str:
    lines = []
    for change in proposal.changes:
        lines.append(f"{change.kind} of {change.graph} (version {change.version})")
        lines += [f"  {status:9} {iri}" for iri, status in change.entries()]
        lines.append(f"  +{len(change.added)} / -{len(change.removed)} triples")
    if proposal.dependants:
        lines.append("entries of other graphs pointing at removed entries:")
        lines += [f"  {d.entry} {d.property} {d.target} ({d.graph})" for d in proposal.dependants]
    if proposal.duplicates:
        lines.append(
            "doublons possibles (pour mettre une entrée à jour, corrigez la soumission qui la "
            "décrit plutôt que d'en déposer une nouvelle) :"
        )
        for d in proposal.duplicates:
            name = f" « {d.name} »" if d.name else ""
            lines.append(f"  {d.entry} : {d.reason} que {d.existing}{name} ({d.graph})")
        for graph in sorted({d.graph for d in proposal.duplicates if d.in_submission}):
            lines.append(
                f"  corriger plutôt : santegraph correct {graph} FICHIER --as "
                f'"{proposal.steward.name}" --yes'
            )
        lines.append("  (ou --accept-duplicates pour déposer quand même)")
    lines.append(proposal.report.text())
    return "\n".join(lines)


def _service(args: argparse.Namespace, settings: Settings, store: GraphStore) -> Stewardship:
    return Stewardship(store, settings, Loader(store, settings, progress=args.progress))


def cmd_submit(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    steward = _steward(args, settings)
    service = _service(args, settings, store)
    payload = _payload(service.loader, args.file, settings)
    proposal = service.propose_deposit(
        steward, payload, channel="cli", source=args.file.name, comment=args.comment
    )
    return _finish(args, service, proposal)


def cmd_correct(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    steward = _steward(args, settings)
    service = _service(args, settings, store)
    payload = _payload(service.loader, args.file, settings)
    proposal = service.propose_correction(
        steward, args.graph, payload, channel="cli", source=args.file.name, comment=args.comment
    )
    return _finish(args, service, proposal)


def cmd_withdraw(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    steward = _steward(args, settings)
    service = _service(args, settings, store)
    if args.entry:
        try:
            proposal = service.propose_entry_withdrawal(
                steward, args.graph, args.entry, channel="cli", comment=args.comment
            )
        except ValueError as exc:
            raise InputError(f"--entry must be an absolute IRI: {exc}") from exc
    else:
        proposal = service.propose_withdrawal(
            steward, args.graph, channel="cli", comment=args.comment
        )
    return _finish(args, service, proposal)


def cmd_history(args: argparse.Namespace, settings: Settings, store: GraphStore) -> int:
    events = Stewardship(store, settings).history(graph=args.graph)
    if args.format == "json":
        print(json.dumps(events, ensure_ascii=False, indent=2))
        return 0
    for e in events:
        comment = f" — {e['comment']}" if e["comment"] else ""
        print(
            f"{e['time']}  {e['kind']:10} v{e['version']:<3} {e['steward_name']:20} "
            f"+{e['added']}/-{e['removed']}  {e['channel']:13} {e['graph']}{comment}"
        )
    if not events:
        print("no steward operation recorded", file=sys.stderr)
    return 0
