"""The one IRI minting rule (see docs/modeling.md) and the named graph of a content file."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath


def slugify(text: str) -> str:
    """Lower-case ASCII, accents removed, runs of other characters turned into one '-'.

    >>> slugify("CPTS Sud Métropole Lilloise")
    'cpts-sud-metropole-lilloise'
    >>> slugify("  L'Œuvre d'Auteuil ")
    'l-oeuvre-d-auteuil'
    """
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def graph_for_file(path: Path, content_root: Path, base_iri: str) -> str:
    """Named graph of a content file: ``graph/`` + its first two path components.

    ``ontology/santegraph.ttl`` -> ``graph/ontology/santegraph``;
    ``data/vocabulaires/publics.ttl`` -> ``graph/vocabulaires/publics``;
    every file under ``data/sources/002_x/`` -> ``graph/sources/002_x``.
    A file outside the content tree gets ``graph/local/<stem>``.
    """
    try:
        relative = PurePosixPath(path.resolve().relative_to(content_root.resolve()).as_posix())
    except ValueError:
        return f"{base_iri}graph/local/{slugify(path.name.split('.')[0])}"
    parts = list(relative.parts)
    if parts and parts[0] == "data":
        parts = parts[1:]
    parts = parts[:2]
    parts[-1] = parts[-1].split(".")[0]
    return base_iri + "graph/" + "/".join(parts)


def submission_prefix(base_iri: str) -> str:
    """Steward graphs: one per submission, written only through steward/workflow.py."""
    return base_iri + "graph/soumission/"


# The name of a new submission graph after the prefix: one path segment of letters, digits,
# '-' and '_' (what new_graph_name mints, and what tools may choose), so that no graph name
# reads as another once a client resolves it (``soumission/../journal``), and none hides
# in encodings (``%2e%2e``), queries or fragments.
SUBMISSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,119}")


def submission_name_problem(graph: str, base_iri: str) -> str:
    """Why ``graph`` cannot name a new submission (in French), or "" if it can."""
    prefix = submission_prefix(base_iri)
    if not graph.startswith(prefix):
        return f"le graphe doit commencer par <{prefix}>"
    if not SUBMISSION_NAME.fullmatch(graph[len(prefix) :]):
        return (
            f"nom de soumission invalide « {graph[len(prefix) :][:80]} » : après <{prefix}>, "
            "un seul segment de 1 à 120 lettres sans accent, chiffres, « - » ou « _ », "
            "commençant par une lettre ou un chiffre"
        )
    return ""


def journal_graph(base_iri: str) -> str:
    """The audit log of steward operations (steward/workflow.py)."""
    return base_iri + "graph/journal"


def is_steward_graph(graph: str, base_iri: str) -> bool:
    """Graphs that belong to the steward workflow, not to the content files."""
    return graph.startswith(submission_prefix(base_iri)) or graph == journal_graph(base_iri)


def inferences_graph(base_iri: str) -> str:
    """What the ontology entails from the data (entailment.py): derived, rebuilt on change."""
    return base_iri + "graph/inferences"
