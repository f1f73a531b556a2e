"""An import's preview said in French: for the command line, as data for the web and JSON."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .importer import FORMATS, Preview
from .model import INFO, VIOLATION, WARNING, Problem
from .sync import ADDED, CHANGED, KEPT, REMOVED, UNCHANGED

KINDS = {
    "structure": "structure",
    "service": "service",
    "etablissement": "établissement",
    "acteur": "acteur",
}
SEVERITIES = {VIOLATION: "refus", WARNING: "attention", INFO: "info"}


def summary(preview: Preview) -> dict[str, Any]:
    """The preview as plain data (JSON output, web page)."""
    counts = preview.counts()
    plan = preview.plan
    return {
        "format": preview.format,
        "jeu": preview.dataset,
        "fichiers": [
            {"nom": f.name, "sha256": f.checksum(), "octets": f.size} for f in preview.files
        ],
        "lus": dict(preview.read_counts()),
        "refuses": [r.key for r in preview.rejected],
        "ajoutes": counts.get(ADDED, 0),
        "modifies": counts.get(CHANGED, 0),
        "retires": counts.get(REMOVED, 0),
        "inchanges": counts.get(UNCHANGED, 0),
        "conserves": counts.get(KEPT, 0),
        "conflits": [c.__dict__ for c in (plan.conflicts if plan else [])],
        "graphes": sorted(plan.contents) if plan else [],
        "fusions": [m.__dict__ for m in preview.merges],
        "problemes": [p.as_dict() for p in preview.problems],
        "conforme": not preview.refused,
        "violations": preview.report.violation_count,
        "avertissements": preview.report.warning_count,
    }


def text(preview: Preview, *, verbose: bool = False) -> str:
    """The preview for a terminal: counts, the records that change, every problem."""
    lines = [f"Import {FORMATS[preview.format]} — jeu « {preview.dataset} »"]
    for f in preview.files:
        lines.append(f"  fichier {f.name} : {f.size} octets, sha256 {f.checksum()[:16]}…")
    read = preview.read_counts()
    lines.append(
        "Lus : "
        + ", ".join(f"{n} {KINDS.get(k, k)}(s)" for k, n in sorted(read.items()))
        + f" ; refusés : {len(preview.rejected)}"
    )
    if preview.plan is not None:
        c = preview.counts()
        lines.append(
            f"Synchronisation : {c.get(ADDED, 0)} ajouté(s), {c.get(CHANGED, 0)} modifié(s), "
            f"{c.get(REMOVED, 0)} retiré(s), {c.get(UNCHANGED, 0)} inchangé(s), "
            f"{len(preview.plan.conflicts)} conflit(s)"
        )
        for change in preview.plan.changes:
            if change.status == UNCHANGED and not verbose:
                continue
            kind, _, ident = change.key.partition(":")
            lines.append(f"  {change.status:9} {KINDS.get(kind, kind)} {ident} « {change.label} »")
        for conflict in preview.plan.conflicts:
            what = conflict.property.rsplit("/", 1)[-1].rsplit("#", 1)[-1] or "enregistrement"
            lines.append(
                f"  CONFLIT   {conflict.key} « {conflict.label} », {what} : valeur locale "
                f"{conflict.local} gardée, la source dit {conflict.source}"
            )
        if preview.plan.empty:
            lines.append("Rien à changer : le graphe est déjà à jour avec ces fichiers.")
    for merge in preview.merges:
        verb = "fusionné avec" if merge.certain else "doublon possible de"
        lines.append(f"Doublon : {merge.record} {verb} {merge.target} ({merge.why})")
    topics = Counter(p.topic for p in preview.problems)
    if preview.problems:
        lines.append(
            "Signalements : " + ", ".join(f"{n} {topic}" for topic, n in sorted(topics.items()))
        )
        for problem in sorted(preview.problems, key=_order):
            if problem.severity == INFO and not verbose:
                continue
            lines.append(
                f"  [{SEVERITIES.get(problem.severity, problem.severity)}] {problem.text()}"
            )
        hidden = sum(p.severity == INFO for p in preview.problems)
        if hidden and not verbose:
            lines.append(f"  (+ {hidden} information(s) : --verbose pour les voir)")
    if preview.proposal is not None:
        report = preview.report
        lines.append(
            f"Validation SHACL dans le contexte du graphe : {report.violation_count} violation(s), "
            f"{report.warning_count} avertissement(s) sur {report.checked_triples} triplets"
        )
    if preview.refused:
        lines.append(
            "IMPORT REFUSÉ : rien ne sera écrit. Corrigez les enregistrements refusés, ou "
            "relancez avec --skip-invalid pour les écarter et importer le reste."
        )
    elif preview.rejected:
        lines.append(f"{len(preview.rejected)} enregistrement(s) écarté(s) (--skip-invalid).")
    return "\n".join(lines)


def _order(problem: Problem) -> tuple[int, str, int, str]:
    rank = {VIOLATION: 0, WARNING: 1, INFO: 2}.get(problem.severity, 3)
    return (rank, problem.file, _row(problem.where), problem.field)


def _row(where: str) -> int:
    digits = "".join(ch for ch in where if ch.isdigit())
    return int(digits) if digits else 0
